//! RFC 8707 resource indicators: a client asks for a token for one or more
//! of its registered resources, and the token's `aud` names them, so each
//! API can refuse tokens meant for another. Here the client credentials
//! grant; the grants a person approves (device, authorization code) and
//! their refresh in the submodules.

use authgate::crypto::jwt::{AccessClaims, Audience};
use authgate::domain::admin;
use authgate::model::client::{GrantType, GrantTypes};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

use crate::admin::command_line::run_binary;
use crate::support::printed_client_id;
use crate::support::{Reply, TestApp};

mod authorize;
mod device;

const ISSUER: &str = "http://localhost:8080";
const ORDERS: &str = "https://orders.example/api";
const BILLING: &str = "http://127.0.0.1:9000";

/// A machine client allowed [`ORDERS`] and [`BILLING`]; its id and secret.
async fn machine(app: &TestApp) -> (String, String) {
    let mut spec = admin::client_spec("Reporting job", "read", false).unwrap();
    spec.grant_types = Some(GrantTypes::new([GrantType::ClientCredentials]));
    spec.resources = Some(admin::resources(&[ORDERS, BILLING]).unwrap());
    crate::support::confidential_client(app, &spec).await
}

async fn ask(app: &TestApp, id: &str, secret: &str, resources: &[&str]) -> Reply {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ];
    form.extend(resources.iter().map(|r| ("resource", *r)));
    app.post_form("/oauth/token", &form).await
}

/// What a resource server does: verify with the published keys, and that
/// the token is meant for it (`aud`).
async fn accepted_by(app: &TestApp, token: &str, audience: &str) -> bool {
    let jwks: JwkSet =
        serde_json::from_value(app.get("/.well-known/jwks.json").await.json).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks.find(&header.kid.unwrap()).unwrap();
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    // The server's clock is the tests' manual one.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok()
}

fn payload(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn a_token_for_a_registered_resource_names_it_as_its_audience() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;

    let reply = ask(&app, &id, &secret, &[ORDERS]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let token = reply.json["access_token"].as_str().unwrap().to_owned();
    assert_eq!(payload(&token)["aud"], ORDERS);

    assert!(accepted_by(&app, &token, ORDERS).await);
    assert!(
        !accepted_by(&app, &token, BILLING).await,
        "meant for another API"
    );
    assert!(!accepted_by(&app, &token, ISSUER).await);

    // AuthGate itself still recognises it.
    let info = app.tokeninfo(&token).await;
    assert_eq!(info.status, 200, "{:?}", info.json);
    let inspected = app.introspect_as(&id, &secret, &token).await;
    assert_eq!(inspected.json["active"], true, "{:?}", inspected.json);
    assert_eq!(inspected.json["aud"], ORDERS);
    let revoked = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", token.as_str()),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(app.tokeninfo(&token).await.status, 401);

    // Without a resource the audience stays the issuer.
    let plain = ask(&app, &id, &secret, &[]).await;
    let plain = plain.json["access_token"].as_str().unwrap().to_owned();
    assert_eq!(payload(&plain)["aud"], ISSUER);
    assert!(accepted_by(&app, &plain, ISSUER).await);
    assert!(!accepted_by(&app, &plain, ORDERS).await);
    assert_eq!(
        app.introspect_as(&id, &secret, &plain).await.json["aud"],
        ISSUER
    );
    app.shutdown().await;
}

#[tokio::test]
async fn several_resources_make_an_audience_array() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;

    let reply = ask(&app, &id, &secret, &[ORDERS, BILLING, ORDERS]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let token = reply.json["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        payload(&token)["aud"],
        json!([ORDERS, BILLING]),
        "repeats dropped"
    );
    assert!(accepted_by(&app, &token, ORDERS).await);
    assert!(accepted_by(&app, &token, BILLING).await);
    assert!(!accepted_by(&app, &token, "https://other.example").await);

    assert_eq!(app.tokeninfo(&token).await.status, 200);
    let inspected = app.introspect_as(&id, &secret, &token).await;
    assert_eq!(inspected.json["active"], true);
    assert_eq!(inspected.json["aud"], json!([ORDERS, BILLING]));
    app.shutdown().await;
}

#[tokio::test]
async fn a_resource_not_registered_or_malformed_is_invalid_target() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;

    for resources in [
        vec!["https://other.example"],
        vec![ORDERS, "https://other.example"],
        vec!["https://orders.example/api/"],
        vec!["orders.example/api"],
        vec!["/api"],
        vec!["https://orders.example/api#v1"],
        vec![""],
    ] {
        let reply = ask(&app, &id, &secret, &resources).await;
        assert_eq!(reply.status, 400, "{resources:?}: {:?}", reply.json);
        assert_eq!(reply.json["error"], "invalid_target", "{resources:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    // Only `resource` may be repeated.
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "read"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json["error"], "invalid_request");
    app.shutdown().await;
}

#[tokio::test]
async fn a_token_re_signed_for_another_audience_is_not_recognised() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine(&app).await;
    let reply = ask(&app, &id, &secret, &[ORDERS]).await;
    let token = reply.json["access_token"].as_str().unwrap();
    let claims: AccessClaims = app.core.signer.verify(token).unwrap();
    assert_eq!(claims.aud, Audience::One(ORDERS.into()));

    // Whoever could sign could claim any audience; the record says which
    // one the token was issued for.
    let widened = app
        .core
        .signer
        .sign(&AccessClaims {
            aud: Audience::Many(vec![ORDERS.into(), BILLING.into()]),
            ..claims
        })
        .unwrap();
    assert_eq!(app.tokeninfo(&widened).await.status, 401);
    assert_eq!(
        app.introspect_as(&id, &secret, &widened).await.json["active"],
        false
    );
    app.shutdown().await;
}

#[tokio::test]
async fn resources_are_registered_and_listed_from_the_command_line() {
    let app = TestApp::spawn().await;
    let db = app.dir.clone();
    let run = |args: Vec<&'static str>| {
        let db = db.clone();
        tokio::task::spawn_blocking(move || run_binary(&db, &args, None))
    };
    let (ok, out, err) = run(vec![
        "client",
        "add",
        "Reports",
        "--confidential",
        "--grant-type",
        "client_credentials",
        "--resource",
        ORDERS,
        "--resource",
        BILLING,
    ])
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    let id = printed_client_id(&out);
    let client = app.core.store.find_client(&id).await.unwrap().unwrap();
    assert_eq!(client.resources, [ORDERS, BILLING]);

    let (_, json, _) = run(vec!["client", "list", "--json"]).await.unwrap();
    let listed: Value = json
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["name"] == "Reports")
        .unwrap();
    assert_eq!(listed["resources"], json!([ORDERS, BILLING]));

    for (bad, why) in [
        ("https://api.example/#part", "fragment"),
        ("http://api.example", "https"),
        ("api.example", "absolute"),
    ] {
        let (ok, _, err) = run(vec!["client", "add", "Bad", "--resource", bad])
            .await
            .unwrap();
        assert!(!ok, "{bad} accepted");
        assert!(
            err.contains("resource") && err.contains(why),
            "{bad}: {err}"
        );
    }
    app.shutdown().await;
}
