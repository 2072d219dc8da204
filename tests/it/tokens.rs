//! Refresh tokens, revocation (RFC 7009), introspection (RFC 7662),
//! metadata (RFC 8414), JWKS and key rotation.

use authgate::crypto::jwt::AccessClaims;
use authgate::model::audit::AuditAction;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};

use crate::support::{DEVICE_GRANT, TestApp};

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let first = app.issue_tokens().await;

    let r = app.refresh(&first.refresh, None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["scope"], "read write");
    let second_access = r.json["access_token"].as_str().unwrap().to_owned();
    let second_refresh = r.json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh, "rotation");
    assert_eq!(app.tokeninfo(&second_access).await.status, 200);

    // The old refresh token again: reuse. The whole family dies.
    let r = app.refresh(&first.refresh, None).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert_eq!(app.tokeninfo(&second_access).await.status, 401);
    assert_eq!(app.tokeninfo(&first.access).await.status, 401);
    assert_eq!(
        app.refresh(&second_refresh, None).await.error(),
        "invalid_grant"
    );

    let events = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::RefreshTokenReused), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "the reuse is audited");
}

#[tokio::test]
async fn refresh_can_narrow_but_never_widen_scope() {
    let app = TestApp::spawn().await;
    let t = app.issue_tokens().await;
    let r = app.refresh(&t.refresh, Some("read")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["scope"], "read");
    let info = app
        .tokeninfo(r.json["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.json["scope"], "read");
    // The next refresh token still carries the full grant.
    let next = r.json["refresh_token"].as_str().unwrap().to_owned();
    let r = app.refresh(&next, Some("read write")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["scope"], "read write");
    let next = r.json["refresh_token"].as_str().unwrap().to_owned();
    let r = app.refresh(&next, Some("read admin")).await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));
    // A refused widening does not consume the token.
    assert_eq!(app.refresh(&next, None).await.status, 200);
}

#[tokio::test]
async fn refresh_errors() {
    let app = TestApp::spawn().await;
    let t = app.issue_tokens().await;
    assert_eq!(app.refresh("nope", None).await.error(), "invalid_grant");
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));

    app.add_client("other", None, "read write", true).await;
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &t.refresh),
                ("client_id", "other"),
            ],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));

    app.advance(31 * 24 * 3600);
    let r = app.refresh(&t.refresh, None).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert!(
        r.json["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn clients_without_refresh_tokens_get_none() {
    let app = TestApp::spawn().await;
    app.add_client("tv", None, "read", false).await;
    let r = app
        .post_form("/oauth/device/code", &[("client_id", "tv")])
        .await;
    let device_code = r.json["device_code"].as_str().unwrap().to_owned();
    app.approve(r.json["user_code"].as_str().unwrap()).await;
    let r = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device_code),
                ("client_id", "tv"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json.get("refresh_token").is_none());
}

#[tokio::test]
async fn replayed_device_code_also_kills_the_refresh_token() {
    let app = TestApp::spawn().await;
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let r = app.poll(&device_code).await;
    let refresh = r.json["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.poll(&device_code).await.error(), "invalid_grant");
    assert_eq!(app.refresh(&refresh, None).await.error(), "invalid_grant");
}

#[tokio::test]
async fn revocation_per_rfc_7009() {
    let app = TestApp::spawn().await;
    let cid = app.cli_client_id.clone();

    // An access token: only it dies.
    let t = app.issue_tokens().await;
    let r = app
        .post_form(
            "/oauth/revoke",
            &[("token", &t.access), ("client_id", &cid)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(app.tokeninfo(&t.access).await.status, 401);
    assert_eq!(
        app.refresh(&t.refresh, None).await.status,
        200,
        "the refresh token lives on"
    );

    // A refresh token: its whole grant dies, access tokens included.
    let t = app.issue_tokens().await;
    let r = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &t.refresh),
                ("token_type_hint", "refresh_token"),
                ("client_id", &cid),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.refresh(&t.refresh, None).await.error(), "invalid_grant");
    assert_eq!(app.tokeninfo(&t.access).await.status, 401);

    // Unknown tokens and wrong hints: still 200.
    let r = app
        .post_form(
            "/oauth/revoke",
            &[("token", "garbage"), ("client_id", &cid)],
        )
        .await;
    assert_eq!(r.status, 200);
    let t = app.issue_tokens().await;
    let r = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &t.access),
                ("token_type_hint", "refresh_token"),
                ("client_id", &cid),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.tokeninfo(&t.access).await.status,
        401,
        "a wrong hint is only a hint"
    );

    // Another client cannot revoke this client's token.
    app.add_client("other", None, "read", true).await;
    let t = app.issue_tokens().await;
    let r = app
        .post_form(
            "/oauth/revoke",
            &[("token", &t.access), ("client_id", "other")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.tokeninfo(&t.access).await.status, 200);

    let r = app.post_form("/oauth/revoke", &[("client_id", &cid)]).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
    let r = app
        .post_form(
            "/oauth/revoke",
            &[("token", &t.access), ("client_id", "ghost")],
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "invalid_client"));
}

#[tokio::test]
async fn introspection_per_rfc_7662() {
    let app = TestApp::spawn_with(|c| {
        c.introspection_token = Some(secrecy::SecretString::from("resource-server-token-123"));
    })
    .await;
    app.add_client("api", Some("api-secret-value"), "read", false)
        .await;
    let t = app.issue_tokens().await;

    let introspect = |token: String, hint: Option<&'static str>| {
        let http = app.http.clone();
        let url = app.url("/oauth/introspect");
        async move {
            let mut form = vec![("token", token)];
            if let Some(h) = hint {
                form.push(("token_type_hint", h.to_owned()));
            }
            let resp = http
                .post(url)
                .basic_auth("api", Some("api-secret-value"))
                .form(&form)
                .send()
                .await
                .unwrap();
            TestApp::reply(resp).await
        }
    };

    let r = introspect(t.access.clone(), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["active"], true);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["client_id"], app.cli_client_id.as_str());
    assert_eq!(r.json["username"], "admin");
    assert_eq!(r.json["scope"], "read write");
    assert_eq!(r.json["iss"], "http://localhost:8080");
    assert!(r.json["exp"].is_i64() && r.json["sub"].is_string());

    let r = introspect(t.refresh.clone(), Some("refresh_token")).await;
    assert_eq!(r.json["active"], true);
    assert_eq!(r.json["token_type"], "refresh_token");

    let r = introspect("garbage".into(), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json, serde_json::json!({ "active": false }));

    // The configured bearer token works too; a wrong one does not.
    let resp = app
        .http
        .post(app.url("/oauth/introspect"))
        .bearer_auth("resource-server-token-123")
        .form(&[("token", &t.access)])
        .send()
        .await
        .unwrap();
    assert_eq!(TestApp::reply(resp).await.json["active"], true);
    let resp = app
        .http
        .post(app.url("/oauth/introspect"))
        .bearer_auth("wrong-token-wrong-token")
        .form(&[("token", &t.access)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // Public clients may not introspect.
    let r = app
        .post_form(
            "/oauth/introspect",
            &[("token", &t.access), ("client_id", &app.cli_client_id)],
        )
        .await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));

    // Revoked and expired tokens are inactive.
    app.post_form(
        "/oauth/revoke",
        &[("token", &t.access), ("client_id", &app.cli_client_id)],
    )
    .await;
    assert_eq!(
        introspect(t.access.clone(), None).await.json["active"],
        false
    );
    let t = app.issue_tokens().await;
    app.advance(3600);
    assert_eq!(
        introspect(t.access.clone(), None).await.json["active"],
        false
    );
    assert_eq!(
        introspect(t.refresh.clone(), None).await.json["active"],
        true
    );
}

#[tokio::test]
async fn metadata_lists_every_endpoint() {
    let app = TestApp::spawn().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200);
        let m = &r.json;
        assert_eq!(m["issuer"], "http://localhost:8080");
        assert_eq!(
            m["device_authorization_endpoint"],
            "http://localhost:8080/oauth/device/code"
        );
        assert_eq!(m["token_endpoint"], "http://localhost:8080/oauth/token");
        assert_eq!(
            m["revocation_endpoint"],
            "http://localhost:8080/oauth/revoke"
        );
        assert_eq!(
            m["introspection_endpoint"],
            "http://localhost:8080/oauth/introspect"
        );
        assert_eq!(m["jwks_uri"], "http://localhost:8080/.well-known/jwks.json");
        let grants: Vec<&str> = m["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(grants.contains(&DEVICE_GRANT) && grants.contains(&"refresh_token"));
        assert_eq!(m["scopes_supported"], serde_json::json!(["read", "write"]));
        assert!(
            m["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&"client_secret_basic".into())
        );
    }
}

/// What a resource server does: fetch the JWKS once, verify locally.
fn verify_with_jwks(jwks: &serde_json::Value, token: &str) -> Option<AccessClaims> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
    let jwk = set.find(&kid)?;
    let key = DecodingKey::from_jwk(jwk).ok()?;
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["http://localhost:8080"]);
    validation.set_issuer(&["http://localhost:8080"]);
    jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
        .ok()
        .map(|d| d.claims)
}

#[tokio::test]
async fn a_resource_server_verifies_with_the_jwks_alone() {
    let app = TestApp::spawn().await;
    let t = app.issue_tokens().await;
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(
        jwks.header("content-type"),
        Some("application/jwk-set+json")
    );
    for key in jwks.json["keys"].as_array().unwrap() {
        assert!(key.get("d").is_none(), "never a private part");
    }
    let claims = verify_with_jwks(&jwks.json, &t.access).expect("verifies with the JWKS");
    assert_eq!(claims.client_id, app.cli_client_id);
    // A tampered token does not.
    let mut forged = t.access.clone();
    forged.pop();
    assert!(verify_with_jwks(&jwks.json, &forged).is_none());
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_and_published() {
    let app = TestApp::spawn().await;
    let before = app.issue_tokens().await;
    let old_kid = jsonwebtoken::decode_header(&before.access)
        .unwrap()
        .kid
        .unwrap();

    let new_key =
        authgate::domain::keys::rotate(&app.core.store, &app.core.keys, app.core.clock.as_ref())
            .await
            .unwrap();
    assert_ne!(new_key.kid, old_kid);
    // This instance learns of the rotation when it reloads (as another
    // instance would on its next unknown kid or periodic reload).
    let ring =
        authgate::domain::keys::load_ring(&app.core.store, &app.core.keys, app.core.clock.as_ref())
            .await
            .unwrap();
    app.core.signer.replace(ring);

    let after = app.issue_tokens().await;
    assert_eq!(
        jsonwebtoken::decode_header(&after.access)
            .unwrap()
            .kid
            .unwrap(),
        new_key.kid
    );
    assert_eq!(
        app.tokeninfo(&before.access).await.status,
        200,
        "old tokens still verify"
    );
    let jwks = app.get("/.well-known/jwks.json").await.json;
    assert!(verify_with_jwks(&jwks, &before.access).is_some());
    assert!(verify_with_jwks(&jwks, &after.access).is_some());

    // Once every token the old key signed has expired, it is unpublished.
    app.advance(3600 + 11 * 60);
    let ring =
        authgate::domain::keys::load_ring(&app.core.store, &app.core.keys, app.core.clock.as_ref())
            .await
            .unwrap();
    app.core.signer.replace(ring);
    let jwks = app.get("/.well-known/jwks.json").await.json;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![new_key.kid.as_str()]);
}

#[tokio::test]
async fn an_instance_picks_up_a_rotation_it_did_not_see() {
    // No periodic cleanup: it reloads the key ring, and this instance
    // must not have seen the rotation below.
    let app = TestApp::spawn_with(|c| c.cleanup_period = None).await;
    // Another instance (same database) rotates and signs with the new key.
    let other = authgate::crypto::jwt::TokenSigner::new(
        authgate::domain::keys::load_ring(&app.core.store, &app.core.keys, app.core.clock.as_ref())
            .await
            .unwrap(),
    );
    authgate::domain::keys::rotate(&app.core.store, &app.core.keys, app.core.clock.as_ref())
        .await
        .unwrap();
    other.replace(
        authgate::domain::keys::load_ring(&app.core.store, &app.core.keys, app.core.clock.as_ref())
            .await
            .unwrap(),
    );
    let t = app.issue_tokens().await;
    let claims = app.core.signer.verify(&t.access).unwrap();
    let from_other = other.sign(&claims).unwrap();
    assert!(
        !app.core.signer.ring().knows_kid_of(&from_other),
        "this instance has not seen the new key"
    );
    // Same claims (a recorded jti), signed with a key this instance only
    // finds by reloading: it verifies.
    assert_eq!(app.tokeninfo(&from_other).await.status, 200);
    assert!(app.core.signer.ring().knows_kid_of(&from_other), "reloaded");
}
