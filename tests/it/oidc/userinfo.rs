//! `GET`/`POST /oauth/userinfo` (OpenID Connect Core §5.3, RFC 6750) and
//! the discovery document's OpenID Connect members.

use super::{RP, code_for, exchange, spawn};
use crate::support::{Reply, TestApp};

async fn get(app: &TestApp, token: Option<&str>) -> Reply {
    let mut req = app.http.get(app.url("/oauth/userinfo"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    TestApp::reply(req.send().await.unwrap()).await
}

/// Tokens for `scope` (the app's browser must be signed in).
async fn tokens(app: &TestApp, scope: &str) -> serde_json::Value {
    let reply = exchange(app, &code_for(app, scope, None).await).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json
}

#[tokio::test]
async fn userinfo_answers_the_claims_of_the_token_scope() {
    let app = spawn().await;
    app.sign_in().await;
    let json = tokens(&app, "openid profile email").await;
    let access = json["access_token"].as_str().unwrap();
    let reply = get(&app, Some(access)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.json,
        serde_json::json!({
            "sub": app.admin_id.as_str(),
            "name": "Ada Admin",
            "preferred_username": "admin",
            "email": "admin@example.com",
            "email_verified": true,
        })
    );
    // POST with the bearer header, and with the form parameter.
    let posted = app
        .http
        .post(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let posted = TestApp::reply(posted).await;
    assert_eq!(posted.status, 200);
    assert_eq!(posted.json["sub"], app.admin_id.as_str());
    let form = app
        .post_form("/oauth/userinfo", &[("access_token", access)])
        .await;
    assert_eq!(form.status, 200);
    assert_eq!(form.json["email"], "admin@example.com");
    // Both at once is ambiguous.
    let both = app
        .http
        .post(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    let both = TestApp::reply(both).await;
    assert_eq!(both.status, 400);
    assert_eq!(both.error(), "invalid_request");
    // An ID token is not an access token (its audience is the client).
    let id_token = json["id_token"].as_str().unwrap();
    assert_eq!(get(&app, Some(id_token)).await.status, 401);
    assert_eq!(app.tokeninfo(id_token).await.status, 401);
    // Never from the query string.
    let query = app
        .get(&format!("/oauth/userinfo?access_token={access}"))
        .await;
    assert_eq!(query.status, 401);

    // A profile change shows at once.
    app.core
        .store
        .set_user_profile(&app.admin_id, &Default::default(), 1)
        .await
        .unwrap();
    let after = get(&app, Some(access)).await;
    assert_eq!(
        after.json,
        serde_json::json!({ "sub": app.admin_id.as_str(), "preferred_username": "admin" })
    );
}

#[tokio::test]
async fn userinfo_refuses_missing_invalid_revoked_and_non_openid_tokens() {
    let app = spawn().await;
    let missing = get(&app, None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Bearer realm=\"authgate\""),
        "RFC 6750 §3.1: no error code without credentials"
    );
    let missing_post = app.post_form("/oauth/userinfo", &[]).await;
    assert_eq!(missing_post.status, 401);
    app.sign_in().await;

    let forged = get(&app, Some("not.a.token")).await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.error(), "invalid_token");
    let challenge = forged.header("www-authenticate").unwrap();
    assert!(
        challenge.starts_with("Bearer ")
            && challenge.contains("error=\"invalid_token\"")
            && challenge.contains("error_description=\""),
        "{challenge}"
    );

    let json = tokens(&app, "openid read").await;
    let access = json["access_token"].as_str().unwrap();
    assert_eq!(get(&app, Some(access)).await.status, 200);
    let revoked = app
        .post_form("/oauth/revoke", &[("token", access), ("client_id", RP)])
        .await;
    assert_eq!(revoked.status, 200);
    let after = get(&app, Some(access)).await;
    assert_eq!(after.status, 401, "revocation reaches the cached check");
    assert_eq!(after.error(), "invalid_token");

    let json = tokens(&app, "openid").await;
    let access = json["access_token"].as_str().unwrap();
    app.advance(3600);
    let expired = get(&app, Some(access)).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.error(), "invalid_token");

    let plain = tokens(&app, "read").await;
    let reply = get(&app, Some(plain["access_token"].as_str().unwrap())).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.error(), "insufficient_scope");
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"insufficient_scope\"")
    );
}

#[tokio::test]
async fn discovery_names_the_openid_connect_endpoints_and_features() {
    let app = spawn().await;
    // `scopes_supported` is served from memory and read again in the
    // background after the test's client was added: wait for that read.
    for _ in 0..200 {
        let doc = app.get("/.well-known/openid-configuration").await.json;
        if doc["scopes_supported"].to_string().contains("openid") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let doc = app.get(path).await.json;
        assert_eq!(doc["issuer"], super::ISSUER, "{path}");
        assert_eq!(
            doc["authorization_endpoint"],
            "http://localhost:8080/oauth/authorize"
        );
        assert_eq!(
            doc["userinfo_endpoint"],
            "http://localhost:8080/oauth/userinfo"
        );
        assert_eq!(
            doc["jwks_uri"],
            "http://localhost:8080/.well-known/jwks.json"
        );
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["response_modes_supported"],
            serde_json::json!(["query"])
        );
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["public"])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["ES256"])
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        let list = |name: &str| -> Vec<String> {
            doc[name]
                .as_array()
                .unwrap_or_else(|| panic!("{name}"))
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        for scope in ["openid", "profile", "email"] {
            assert!(
                list("scopes_supported").contains(&scope.to_owned()),
                "{scope}"
            );
        }
        for claim in [
            "sub",
            "auth_time",
            "nonce",
            "email_verified",
            "preferred_username",
        ] {
            assert!(
                list("claims_supported").contains(&claim.to_owned()),
                "{claim}"
            );
        }
        for grant in [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
        ] {
            assert!(list("grant_types_supported").contains(&grant.to_owned()));
        }
        assert!(
            list("token_endpoint_auth_methods_supported")
                .contains(&"client_secret_basic".to_owned())
        );
    }
}
