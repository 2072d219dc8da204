//! Client authentication with signed JWTs (RFC 7523 `private_key_jwt`):
//! a client registered with public keys proves itself at the device
//! authorization, token, introspection and revocation endpoints with an
//! assertion signed by its private key, each assertion once.

use authgate::clock::Clock;
use authgate::crypto::keys::{SigningAlg, StoredKey, generate};
use authgate::domain::admin::{self, Actor, ClientKind, Ctx};
use authgate::model::client::ClientKeys;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::support::printed_client_id;
use crate::support::{Reply, TestApp};

mod jwks_uri;
mod refusals;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A key pair of `alg` (its public half as a JWK with `kid` and `alg`).
pub fn key(alg: SigningAlg) -> StoredKey {
    generate(alg, 0).expect("generate a key")
}

/// The JWK Set of `keys`' public halves.
pub fn jwks(keys: &[&StoredKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>() }).to_string()
}

/// Registers a confidential client authenticating with `keys`; its id.
pub async fn key_client(app: &TestApp, keys: ClientKeys) -> String {
    let spec = admin::client_spec("Service", "read write", true).expect("spec");
    admin::create_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        &spec,
        ClientKind::Confidential,
        Some(keys),
    )
    .await
    .expect("register the client")
    .client_id
}

/// Claims of a good assertion by `client` for `app`, now, expiring in 60 s.
pub fn claims(app: &TestApp, client: &str) -> Value {
    let now = app.clock.now_secs();
    json!({
        "iss": client,
        "sub": client,
        "aud": app.core.policy.issuer,
        "iat": now,
        "exp": now + 60,
        "jti": format!("jti-{}", app.core.random.token(12)),
    })
}

/// `claims` signed with `key`, naming its `kid`.
pub fn sign(key: &StoredKey, claims: &Value) -> String {
    let alg = match key.alg {
        SigningAlg::Es256 => Algorithm::ES256,
        SigningAlg::EdDsa => Algorithm::EdDSA,
        SigningAlg::Rs256 => Algorithm::RS256,
        SigningAlg::Hs256 => Algorithm::HS256,
    };
    let encoding = match key.alg {
        SigningAlg::Es256 => EncodingKey::from_ec_der(&key.private_der),
        SigningAlg::EdDsa => EncodingKey::from_ed_der(&key.private_der),
        _ => EncodingKey::from_rsa_der(&key.private_der),
    };
    let mut header = Header::new(alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &encoding).expect("sign")
}

/// `POST path` authenticating with `assertion` (and `client_id` when given).
pub async fn post_with(
    app: &TestApp,
    path: &str,
    client: Option<&str>,
    assertion: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    if let Some(client) = client {
        form.push(("client_id", client));
    }
    form.extend_from_slice(extra);
    app.post_form(path, &form).await
}

/// A device authorization request authenticated by `assertion`.
pub async fn device_code(app: &TestApp, client: &str, assertion: &str) -> Reply {
    post_with(app, "/oauth/device/code", Some(client), assertion, &[]).await
}

#[tokio::test]
async fn every_accepted_algorithm_authenticates_at_every_endpoint() {
    let app = TestApp::spawn().await;
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa, SigningAlg::Rs256] {
        let key = key(alg);
        let client = key_client(&app, ClientKeys::Jwks(jwks(&[&key]))).await;

        let started = device_code(&app, &client, &sign(&key, &claims(&app, &client))).await;
        assert_eq!(started.status, 200, "{alg:?}: {:?}", started.json);
        let device_code = started.json["device_code"].as_str().unwrap().to_owned();
        let user_code = started.json["user_code"].as_str().unwrap().to_owned();
        app.approve(&user_code).await;

        let token = post_with(
            &app,
            "/oauth/token",
            Some(&client),
            &sign(&key, &claims(&app, &client)),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
            ],
        )
        .await;
        assert_eq!(token.status, 200, "{alg:?}: {:?}", token.json);
        let access = token.json["access_token"].as_str().unwrap().to_owned();

        // Introspection is for confidential clients: a key client is one.
        // The client_id may be left out: the assertion's sub names it.
        let inspected = post_with(
            &app,
            "/oauth/introspect",
            None,
            &sign(&key, &claims(&app, &client)),
            &[("token", &access)],
        )
        .await;
        assert_eq!(inspected.status, 200, "{:?}", inspected.json);
        assert_eq!(inspected.json["active"], true);
        assert_eq!(inspected.json["client_id"], client.as_str());

        let revoked = post_with(
            &app,
            "/oauth/revoke",
            Some(&client),
            &sign(&key, &claims(&app, &client)),
            &[("token", &access)],
        )
        .await;
        assert_eq!(revoked.status, 200, "{:?}", revoked.json);
        assert_eq!(app.tokeninfo(&access).await.status, 401);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn an_assertion_counts_once_even_when_sent_at_once_to_two_instances() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_on(app.dir.clone(), app.clock.clone(), |_| {}).await;
    let key = key(SigningAlg::Es256);
    let client = key_client(&app, ClientKeys::Jwks(jwks(&[&key]))).await;

    let assertion = sign(&key, &claims(&app, &client));
    let tries = (0..8).map(|i| {
        let target = if i % 2 == 0 { &app } else { &other };
        device_code(target, &client, &assertion)
    });
    let replies = futures::future::join_all(tries).await;
    let accepted = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        accepted,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for refused in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(refused.status, 400, "{:?}", refused.json);
        assert_eq!(refused.json["error"], "invalid_client");
    }
    // Later too, at either instance.
    let again = device_code(&other, &client, &assertion).await;
    assert_eq!(again.json["error"], "invalid_client");
    assert!(
        again.json["error_description"]
            .as_str()
            .unwrap()
            .contains("used before")
    );
    other.shutdown().await;
    app.shutdown().await;
}

#[tokio::test]
async fn metadata_lists_private_key_jwt_and_its_algorithms() {
    let app = TestApp::spawn().await;
    let m = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json;
    for endpoint in ["token", "revocation", "introspection"] {
        let methods = &m[format!("{endpoint}_endpoint_auth_methods_supported")];
        assert!(
            methods
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt")),
            "{endpoint}: {methods}"
        );
        assert_eq!(
            m[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")],
            json!(["ES256", "EdDSA", "RS256"])
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_command_line_registers_and_rotates_key_clients() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let first = key(SigningAlg::Es256);
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[&first])).unwrap();
    let mut private: Value = serde_json::from_str(&jwks(&[&first])).unwrap();
    private["keys"][0]["d"] = json!("c2VjcmV0");
    let private_file = dir.path().join("private.json");
    std::fs::write(&private_file, private.to_string()).unwrap();
    let run = |args: Vec<String>| {
        let db = app.dir.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::admin::command_line::run_binary(&db, &args, None)
        })
    };
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();

    let (ok, out, err) = run(vec![
        "client".into(),
        "add".into(),
        "Billing service".into(),
        "--jwks-file".into(),
        path(&file),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("token_endpoint_auth_method: private_key_jwt\n"),
        "{out}"
    );
    assert!(
        !out.contains("client_secret"),
        "no secret for a key client: {out}"
    );
    let client = printed_client_id(&out);
    let reply = device_code(&app, &client, &sign(&first, &claims(&app, &client))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);

    let (ok, _, err) = run(vec![
        "client".into(),
        "add".into(),
        "Pasted wrong".into(),
        "--jwks-file".into(),
        path(&private_file),
    ])
    .await
    .unwrap();
    assert!(!ok);
    assert!(err.contains("private"), "{err}");

    // Rotation from the command line.
    let second = key(SigningAlg::Rs256);
    std::fs::write(&file, jwks(&[&second])).unwrap();
    let (ok, out, err) = run(vec![
        "client".into(),
        "keys".into(),
        client.clone(),
        "--jwks-file".into(),
        path(&file),
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.contains("replaced"), "{out}");
    // Another process changed the database: the server's copy of the
    // client holds for at most MAX_AGE_MS (PostgreSQL notifies at once).
    app.clock.advance(std::time::Duration::from_millis(
        authgate::store::MAX_AGE_MS as u64,
    ));
    let reply = device_code(&app, &client, &sign(&second, &claims(&app, &client))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let old = device_code(&app, &client, &sign(&first, &claims(&app, &client))).await;
    assert_eq!(old.json["error"], "invalid_client");
    app.shutdown().await;
}
