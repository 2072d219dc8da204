//! A provider that signs bad ID tokens: a small axum app on 127.0.0.1
//! with discovery, a JWK Set (one ES256 key) and a token endpoint that
//! answers whatever ID token the test forges. Each forgery is refused and
//! signs nobody in; the honest token from the same provider goes through.
//! Its userinfo endpoint serves userinfo.rs too.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey as _;
use serde_json::{Value, json};

use super::{CLIENT, add_provider, find, local};
use crate::oidc::params;
use crate::support::TestApp;

/// What the next token response's ID token says, and which key signs it.
#[derive(Clone)]
pub(super) struct Forgery {
    pub claims: Value,
    pub key: SigningKey,
}

pub(super) struct Mock {
    pub base: String,
    pub good: SigningKey,
    pub next: Arc<Mutex<Option<Forgery>>>,
    /// What its userinfo endpoint answers to the access token `at`.
    pub userinfo: Arc<Mutex<Value>>,
    /// Its userinfo status: other than 200, it answers plain text.
    pub userinfo_status: Arc<Mutex<u16>>,
}

pub(super) async fn mock() -> Mock {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let good = SigningKey::random(&mut rand_core_06::OsRng);
    let point = good.verifying_key().to_encoded_point(false);
    let jwks = json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    }]});
    let discovery = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    });
    let next: Arc<Mutex<Option<Forgery>>> = Arc::default();
    let forged = next.clone();
    let userinfo = Arc::new(Mutex::new(json!({ "sub": "forger-1" })));
    let userinfo_status = Arc::new(Mutex::new(200));
    let (info, status) = (userinfo.clone(), userinfo_status.clone());
    let router = axum::Router::new()
        .route(
            "/userinfo",
            get(move |headers: axum::http::HeaderMap| async move {
                use axum::response::IntoResponse as _;
                assert_eq!(headers.get("authorization").unwrap(), "Bearer at");
                let status = *status.lock().unwrap();
                if status != 200 {
                    let code = axum::http::StatusCode::from_u16(status).unwrap();
                    return (code, "not JSON").into_response();
                }
                Json(info.lock().unwrap().clone()).into_response()
            }),
        )
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route("/jwks", get(move || async move { Json(jwks) }))
        .route(
            "/token",
            post(move || async move {
                let forgery = forged.lock().unwrap().clone().expect("a forgery is set");
                let der = forgery.key.to_pkcs8_der().unwrap();
                let key = jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes());
                let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
                header.kid = Some("k1".into());
                let id_token = jsonwebtoken::encode(&header, &forgery.claims, &key).unwrap();
                Json(json!({
                    "access_token": "at", "token_type": "Bearer", "expires_in": 60,
                    "id_token": id_token,
                }))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Mock {
        base,
        good,
        next,
        userinfo,
        userinfo_status,
    }
}

#[tokio::test]
async fn forged_id_tokens_are_refused() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| p.create_accounts = true).await;
    let now = app.core.clock.now_secs();
    let other = SigningKey::random(&mut rand_core_06::OsRng);

    // Each case: a change to an honest token's claims, and the key.
    type Change = fn(&mut Value, &str);
    let cases: [(&str, Change, bool); 6] = [
        (
            "wrong issuer",
            |c, _| c["iss"] = json!("http://evil.example"),
            true,
        ),
        (
            "wrong audience",
            |c, _| c["aud"] = json!("someone-else"),
            true,
        ),
        (
            "expired",
            |c, _| c["exp"] = json!(c["iat"].as_i64().unwrap() - 3600),
            true,
        ),
        (
            "wrong nonce",
            |c, _| c["nonce"] = json!("not-the-nonce"),
            true,
        ),
        (
            "no nonce",
            |c, _| {
                c.as_object_mut().unwrap().remove("nonce");
            },
            true,
        ),
        ("signed by another key", |_, _| {}, false),
    ];
    for (what, change, good_key) in cases {
        let (state, nonce) = start(&app).await;
        let mut claims = honest(&mock.base, &nonce, now);
        change(&mut claims, &nonce);
        *mock.next.lock().unwrap() = Some(Forgery {
            claims,
            key: if good_key {
                mock.good.clone()
            } else {
                other.clone()
            },
        });
        let page = app
            .page(&format!(
                "/login/upstream/corp/callback?code=c&state={state}"
            ))
            .await;
        assert_eq!(page.status, 502, "{what}: {}", page.body);
        assert!(page.body.contains("could not be verified"), "{what}");
        assert!(find(&app, "forger").await.is_none(), "{what}");
    }

    // The honest token from the same provider signs in.
    let (state, nonce) = start(&app).await;
    *mock.next.lock().unwrap() = Some(Forgery {
        claims: honest(&mock.base, &nonce, now),
        key: mock.good.clone(),
    });
    let page = app
        .page(&format!(
            "/login/upstream/corp/callback?code=c&state={state}"
        ))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(find(&app, "forger").await.is_some());
    app.shutdown().await;
}

/// Starts a sign-in; the state and nonce the provider was sent.
pub(super) async fn start(app: &TestApp) -> (String, String) {
    let page = app.page("/login/upstream/corp").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let sent = params(page.location().unwrap());
    assert_eq!(sent["code_challenge_method"], "S256");
    assert!(local(page.location().unwrap()).starts_with("/authorize?"));
    (sent["state"].clone(), sent["nonce"].clone())
}

pub(super) fn honest(issuer: &str, nonce: &str, now: i64) -> Value {
    json!({
        "iss": issuer, "sub": "forger-1", "aud": CLIENT, "iat": now, "exp": now + 300,
        "nonce": nonce, "preferred_username": "forger",
        "email": "forger@corp.example", "email_verified": true,
    })
}
