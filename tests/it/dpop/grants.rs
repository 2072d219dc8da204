//! Every grant binds its access token to the proof's key: `token_type`
//! `DPoP`, `cnf.jkt` in the JWT, in introspection and tokeninfo. Refresh
//! tokens of public clients are bound to the key; a grant started with
//! DPoP stays DPoP.

use authgate::crypto::keys::SigningAlg;
use authgate::domain::admin;
use authgate::model::client::{GrantType, GrantTypes};

use super::{DpopKey, bound_tokens, jwt_claims, token};
use crate::support::{Reply, TestApp};

/// A confidential client with a secret, refresh tokens and the device,
/// refresh and client credentials grants; its id and secret.
async fn confidential(app: &TestApp) -> (String, String) {
    let mut spec = admin::client_spec("Build server", "read write", true).unwrap();
    spec.grant_types = Some(GrantTypes::new([
        GrantType::DeviceCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
    ]));
    crate::support::confidential_client(app, &spec).await
}

/// The CLI client's refresh of `refresh` with `proofs`.
async fn refresh_with(app: &TestApp, refresh: &str, proofs: &[&str]) -> Reply {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", app.cli_client_id.as_str()),
    ];
    token(app, &form, proofs).await
}

#[tokio::test]
async fn a_device_flow_with_a_proof_gets_a_token_bound_to_the_key() {
    let app = TestApp::spawn().await;
    let (id, secret) = confidential(&app).await;
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa, SigningAlg::Rs256] {
        let key = DpopKey::new(alg);
        let reply = bound_tokens(&app, &key).await;
        assert_eq!(reply.json["token_type"], "DPoP", "{alg:?}");
        let access = reply.json["access_token"].as_str().unwrap();
        assert_eq!(jwt_claims(access)["cnf"]["jkt"], key.jkt(), "{alg:?}");

        let seen = app.introspect_as(&id, &secret, access).await;
        assert_eq!(seen.json["active"], true);
        assert_eq!(seen.json["token_type"], "DPoP");
        assert_eq!(seen.json["cnf"]["jkt"], key.jkt());
        // Tokeninfo shows the binding to a resource server that forwards
        // the token it was given.
        let info = app.tokeninfo(access).await;
        assert_eq!(info.status, 200, "{:?}", info.json);
        assert_eq!(info.json["token_type"], "DPoP");
        assert_eq!(info.json["cnf"]["jkt"], key.jkt());
    }

    // Without a proof nothing changes.
    let bearer = app.issue_token().await;
    assert!(jwt_claims(&bearer).get("cnf").is_none());
    let seen = app.introspect_as(&id, &secret, &bearer).await;
    assert_eq!(seen.json["token_type"], "Bearer");
    assert!(seen.json.get("cnf").is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn client_credentials_with_a_proof_are_bound() {
    let app = TestApp::spawn().await;
    let (id, secret) = confidential(&app).await;
    let key = DpopKey::es256();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let reply = token(&app, &form, &[&key.token_proof(&app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "DPoP");
    let access = reply.json["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access)["cnf"]["jkt"], key.jkt());
    assert_eq!(
        app.introspect_as(&id, &secret, access).await.json["cnf"]["jkt"],
        key.jkt()
    );

    let plain = token(&app, &form, &[]).await;
    assert_eq!(plain.json["token_type"], "Bearer");
    app.shutdown().await;
}

#[tokio::test]
async fn a_public_client_s_refresh_token_is_bound_to_its_key() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let reply = bound_tokens(&app, &key).await;
    let refresh = reply.json["refresh_token"].as_str().unwrap().to_owned();
    // A thief with the refresh token but not the key.
    let without = refresh_with(&app, &refresh, &[]).await;
    assert_eq!(without.status, 400);
    assert_eq!(without.json["error"], "invalid_grant");
    assert!(
        without.json["error_description"]
            .as_str()
            .unwrap()
            .contains("DPoP")
    );
    let thief = DpopKey::es256();
    let other_key = refresh_with(&app, &refresh, &[&thief.token_proof(&app)]).await;
    assert_eq!(
        other_key.json["error"], "invalid_grant",
        "{:?}",
        other_key.json
    );
    assert!(
        other_key.json["error_description"]
            .as_str()
            .unwrap()
            .contains("another DPoP key")
    );

    // The client itself: refused attempts did not use the token up.
    let renewed = refresh_with(&app, &refresh, &[&key.token_proof(&app)]).await;
    assert_eq!(renewed.status, 200, "{:?}", renewed.json);
    assert_eq!(renewed.json["token_type"], "DPoP");
    let access = renewed.json["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access)["cnf"]["jkt"], key.jkt());

    // And the next refresh token is bound as well.
    let next = renewed.json["refresh_token"].as_str().unwrap().to_owned();
    let without = refresh_with(&app, &next, &[]).await;
    assert_eq!(without.json["error"], "invalid_grant");
    let again = refresh_with(&app, &next, &[&key.token_proof(&app)]).await;
    assert_eq!(again.status, 200, "{:?}", again.json);
    app.shutdown().await;
}

#[tokio::test]
async fn a_confidential_client_s_grant_stays_dpop_but_may_change_keys() {
    let app = TestApp::spawn().await;
    let (id, secret) = confidential(&app).await;
    let key = DpopKey::es256();
    let started = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", &id), ("client_secret", &secret)],
        )
        .await;
    let device_code = started.json["device_code"].as_str().unwrap().to_owned();
    app.approve(started.json["user_code"].as_str().unwrap())
        .await;
    let reply = token(
        &app,
        &[
            ("grant_type", crate::support::DEVICE_GRANT),
            ("device_code", &device_code),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        &[&key.token_proof(&app)],
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let refresh = reply.json["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];

    let without = token(&app, &form, &[]).await;
    assert_eq!(without.json["error"], "invalid_grant", "{:?}", without.json);

    let new_key = DpopKey::es256();
    let renewed = token(&app, &form, &[&new_key.token_proof(&app)]).await;
    assert_eq!(renewed.status, 200, "{:?}", renewed.json);
    assert_eq!(renewed.json["token_type"], "DPoP");
    let access = renewed.json["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access)["cnf"]["jkt"], new_key.jkt());
    app.shutdown().await;
}

#[tokio::test]
async fn a_bearer_grant_may_be_refreshed_into_dpop() {
    let app = TestApp::spawn().await;
    let tokens = app.issue_tokens().await;
    let key = DpopKey::es256();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens.refresh.as_str()),
        ("client_id", app.cli_client_id.as_str()),
    ];
    let renewed = token(&app, &form, &[&key.token_proof(&app)]).await;
    assert_eq!(renewed.status, 200, "{:?}", renewed.json);
    assert_eq!(renewed.json["token_type"], "DPoP");
    // From then on it is bound.
    let next = renewed.json["refresh_token"].as_str().unwrap();
    let without = app.refresh(next, None).await;
    assert_eq!(without.json["error"], "invalid_grant", "{:?}", without.json);
    app.shutdown().await;
}

#[tokio::test]
async fn an_authorization_code_with_dpop_jkt_needs_a_proof_of_that_key() {
    use crate::authorization_code::{APP, REDIRECT, VERIFIER, code_for, spawn, with};
    let app = spawn().await;
    app.sign_in().await;
    let key = DpopKey::es256();
    fn form(code: &str) -> [(&'static str, &str); 5] {
        [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", APP),
            ("code_verifier", VERIFIER),
        ]
    }

    // Unbound: a proof binds the token all the same.
    let code = code_for(&app, &with("state", Some("one"))).await;
    let reply = token(&app, &form(&code), &[&key.token_proof(&app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "DPoP");
    assert_eq!(
        jwt_claims(reply.json["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt()
    );

    // Bound to the key by dpop_jkt: refused without a proof, or with a
    // proof of another key, and still redeemable by the key's holder.
    let jkt = key.jkt();
    let code = code_for(&app, &with("dpop_jkt", Some(&jkt))).await;
    let without = token(&app, &form(&code), &[]).await;
    assert_eq!(without.json["error"], "invalid_grant", "{:?}", without.json);
    let thief = DpopKey::es256();
    let other = token(&app, &form(&code), &[&thief.token_proof(&app)]).await;
    assert_eq!(other.json["error"], "invalid_grant", "{:?}", other.json);
    let reply = token(&app, &form(&code), &[&key.token_proof(&app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "DPoP");

    // A malformed dpop_jkt goes back to the app as invalid_request.
    let page = app
        .page(&format!(
            "/oauth/authorize?response_type=code&client_id={APP}&redirect_uri={REDIRECT}\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&dpop_jkt=short"
        ))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location().unwrap().contains("error=invalid_request"));
    app.shutdown().await;
}
