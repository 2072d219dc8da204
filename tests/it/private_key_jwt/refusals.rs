//! Every way a client assertion is refused: `invalid_client` (or
//! `invalid_request` for two methods at once), and nothing issued.

use authgate::clock::Clock;
use authgate::crypto::keys::SigningAlg;
use authgate::model::client::ClientKeys;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{ASSERTION_TYPE, claims, device_code, jwks, key, key_client, sign};
use crate::support::TestApp;

/// `claims` with `name` set to `value` (or removed when `Null`).
fn with(mut claims: Value, name: &str, value: Value) -> Value {
    if value.is_null() {
        claims.as_object_mut().unwrap().remove(name);
    } else {
        claims[name] = value;
    }
    claims
}

#[tokio::test]
async fn bad_assertions_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    let good_key = key(SigningAlg::Es256);
    let client = key_client(&app, ClientKeys::Jwks(jwks(&[&good_key]))).await;
    let now = app.clock.now_secs();
    let other_key = key(SigningAlg::Es256);
    let mut stranger = other_key.clone();
    // Another key that claims the registered key's id.
    stranger.kid = good_key.kid.clone();

    let base = || claims(&app, &client);
    let cases: Vec<(&str, String, &str)> = vec![
        ("another key", sign(&stranger, &base()), "signature"),
        (
            "wrong audience",
            sign(
                &good_key,
                &with(base(), "aud", json!("https://elsewhere.example")),
            ),
            "aud",
        ),
        (
            "audience list without us",
            sign(
                &good_key,
                &with(
                    base(),
                    "aud",
                    json!(["https://a.example", "https://b.example"]),
                ),
            ),
            "aud",
        ),
        (
            "expired",
            sign(&good_key, &with(base(), "exp", json!(now - 120))),
            "expired",
        ),
        (
            "far future",
            sign(&good_key, &with(base(), "exp", json!(now + 3600))),
            "10 minutes",
        ),
        (
            "not yet valid",
            sign(&good_key, &with(base(), "nbf", json!(now + 600))),
            "not valid yet",
        ),
        (
            "issued in the future",
            sign(&good_key, &with(base(), "iat", json!(now + 600))),
            "not valid yet",
        ),
        (
            "iss is another client",
            sign(&good_key, &with(base(), "iss", json!("someone-else"))),
            "iss and sub",
        ),
        (
            "no jti",
            sign(&good_key, &with(base(), "jti", Value::Null)),
            "must carry",
        ),
        (
            "empty jti",
            sign(&good_key, &with(base(), "jti", json!(""))),
            "jti",
        ),
        (
            "no exp",
            sign(&good_key, &with(base(), "exp", Value::Null)),
            "must carry",
        ),
        (
            "aud not a string",
            sign(&good_key, &with(base(), "aud", json!(42))),
            "must carry",
        ),
        ("not a JWT", "not-a-jwt".to_owned(), "not a signed JWT"),
    ];
    for (what, assertion, reason) in cases {
        let reply = device_code(&app, &client, &assertion).await;
        assert_eq!(reply.status, 400, "{what}: {:?}", reply.json);
        assert_eq!(reply.json["error"], "invalid_client", "{what}");
        let description = reply.json["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(reason), "{what}: {description}");
    }

    // Algorithm confusion: HS256 "signed" with the public key's bytes, and
    // an unsigned token, are refused before any key is tried.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(good_key.kid.clone());
    let public = good_key.public_jwk.to_string();
    let hs = jsonwebtoken::encode(
        &header,
        &base(),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    let reply = device_code(&app, &client, &hs).await;
    assert_eq!(reply.json["error"], "invalid_client");
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("ES256, EdDSA or RS256")
    );
    use base64::Engine as _;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&base()));
    assert_eq!(
        device_code(&app, &client, &unsigned).await.json["error"],
        "invalid_client"
    );

    // A good one still works after all that.
    let ok = device_code(&app, &client, &sign(&good_key, &base())).await;
    assert_eq!(ok.status, 200, "{:?}", ok.json);
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_client_needs_its_assertion_and_nothing_else() {
    let app = TestApp::spawn().await;
    let key = key(SigningAlg::EdDsa);
    let client = key_client(&app, ClientKeys::Jwks(jwks(&[&key]))).await;

    // Only the client_id, as a public client would: refused.
    let bare = app
        .post_form("/oauth/device/code", &[("client_id", client.as_str())])
        .await;
    assert_eq!(bare.status, 400);
    assert_eq!(bare.json["error"], "invalid_client");

    // A made-up secret instead: refused.
    let secret = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", client.as_str()), ("client_secret", "guess")],
        )
        .await;
    assert_eq!(secret.json["error"], "invalid_client");

    // Secret and assertion together: one method per request.
    let both = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", client.as_str()),
                ("client_secret", "guess"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &sign(&key, &claims(&app, &client))),
            ],
        )
        .await;
    assert_eq!(both.status, 400);
    assert_eq!(both.json["error"], "invalid_request");

    // Another assertion type.
    let saml = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", client.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
                ("client_assertion", &sign(&key, &claims(&app, &client))),
            ],
        )
        .await;
    assert_eq!(saml.json["error"], "invalid_client");

    // A type without an assertion.
    let half = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", client.as_str()),
                ("client_assertion_type", ASSERTION_TYPE),
            ],
        )
        .await;
    assert_eq!(half.json["error"], "invalid_request");

    // An assertion for a client that has no keys (the CLI client).
    let cli = app.cli_client_id.clone();
    let keyless = device_code(&app, &cli, &sign(&key, &claims(&app, &cli))).await;
    assert_eq!(keyless.json["error"], "invalid_client");
    assert!(
        keyless.json["error_description"]
            .as_str()
            .unwrap()
            .contains("no keys")
    );

    // A disabled key client.
    let ctx = authgate::domain::admin::Ctx::of(&app.core);
    authgate::domain::admin::set_client_disabled(
        &ctx,
        &authgate::domain::admin::Actor::command_line(),
        &client,
        true,
    )
    .await
    .unwrap();
    let disabled = device_code(&app, &client, &sign(&key, &claims(&app, &client))).await;
    assert_eq!(disabled.json["error"], "invalid_client");
    app.shutdown().await;
}

#[tokio::test]
async fn registered_keys_are_checked_and_rotated() {
    let app = TestApp::spawn().await;
    let ctx = authgate::domain::admin::Ctx::of(&app.core);
    let old = key(SigningAlg::Es256);
    let new = key(SigningAlg::Rs256);
    // A private key pasted by mistake is refused.
    let mut private = serde_json::from_str::<Value>(&jwks(&[&old])).unwrap();
    private["keys"][0]["d"] = json!("c2VjcmV0");
    let refused =
        authgate::domain::admin::client_keys(Some(&private.to_string()), None).unwrap_err();
    assert!(refused.to_string().contains("private"), "{refused}");
    for bad in ["http://keys.example/jwks.json", "ftp://x", "not a url"] {
        assert!(
            authgate::domain::admin::client_keys(None, Some(bad)).is_err(),
            "{bad}"
        );
    }

    let client = key_client(&app, ClientKeys::Jwks(jwks(&[&old]))).await;
    authgate::domain::admin::set_client_keys(
        &ctx,
        &authgate::domain::admin::Actor::command_line(),
        &client,
        ClientKeys::Jwks(jwks(&[&new])),
    )
    .await
    .unwrap();
    let with_old = device_code(&app, &client, &sign(&old, &claims(&app, &client))).await;
    assert_eq!(
        with_old.json["error"], "invalid_client",
        "the old key is gone"
    );
    let with_new = device_code(&app, &client, &sign(&new, &claims(&app, &client))).await;
    assert_eq!(with_new.status, 200, "{:?}", with_new.json);

    // A client with a secret does not become a key client this way.
    let cli = app.cli_client_id.clone();
    assert!(
        authgate::domain::admin::set_client_keys(
            &ctx,
            &authgate::domain::admin::Actor::command_line(),
            &cli,
            ClientKeys::Jwks(jwks(&[&new])),
        )
        .await
        .is_err()
    );
    app.shutdown().await;
}
