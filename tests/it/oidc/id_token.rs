//! ID tokens from the authorization code and refresh grants (OpenID
//! Connect Core §2, §3.1.3, §12.2): signature under the JWK Set, claims per
//! scope, nonce, at_hash per algorithm, auth_time; `openid` refused where
//! ID tokens cannot be signed (HS256).

use authgate::clock::Clock;
use authgate::crypto::keys::SigningAlg;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::Digest;

use super::{ISSUER, RP, at_hash_sha256, code_for, exchange, params, spawn, spawn_with, verified};

#[tokio::test]
async fn the_code_grant_answers_with_a_signed_id_token_for_its_scope() {
    let app = spawn().await;
    app.sign_in().await;
    let signed_in_at = app.clock.now_secs();
    app.advance(100);
    let code = code_for(&app, "openid profile email", Some("n-0S6_WzA2Mj")).await;
    app.advance(5);
    let reply = exchange(&app, &code).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let access = reply.json["access_token"].as_str().unwrap();
    let id_token = reply.json["id_token"].as_str().expect("an id_token");
    let claims = verified(&app, id_token, RP).await;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], app.admin_id.as_str());
    assert_eq!(claims["aud"], RP);
    assert_eq!(claims["azp"], RP);
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(iat, app.clock.now_secs());
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 3600);
    assert_eq!(claims["auth_time"].as_i64().unwrap(), signed_in_at);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["at_hash"], at_hash_sha256(access));
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["name"], "Ada Admin");
    assert_eq!(claims["preferred_username"], "admin");
    assert_eq!(claims["email"], "admin@example.com");
    assert_eq!(claims["email_verified"], true);
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    // RFC 9068 §2.1: the access token says what it is; the ID token does
    // not pass for one, and is refused where an access token is wanted.
    let access_header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(access_header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(access_header.kid, header.kid);
    assert_eq!(app.tokeninfo(access).await.status, 200);
    assert_eq!(app.tokeninfo(id_token).await.status, 401);
}

#[tokio::test]
async fn claims_follow_the_scope_and_no_openid_means_no_id_token() {
    let app = spawn().await;
    app.sign_in().await;
    let reply = exchange(&app, &code_for(&app, "openid", None).await).await;
    let claims = verified(&app, reply.json["id_token"].as_str().unwrap(), RP).await;
    for absent in [
        "nonce",
        "name",
        "preferred_username",
        "email",
        "email_verified",
    ] {
        assert!(claims.get(absent).is_none(), "{absent}: {claims}");
    }
    let email_only = exchange(&app, &code_for(&app, "openid email", None).await).await;
    let claims = verified(&app, email_only.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["email"], "admin@example.com");
    assert!(claims.get("name").is_none());

    let plain = exchange(&app, &code_for(&app, "read", None).await).await;
    assert_eq!(plain.status, 200);
    assert!(plain.json.get("id_token").is_none(), "{:?}", plain.json);
}

#[tokio::test]
async fn a_refresh_brings_a_new_id_token_with_the_same_auth_time() {
    let app = spawn().await;
    app.sign_in().await;
    let signed_in_at = app.clock.now_secs();
    let first = exchange(
        &app,
        &code_for(&app, "openid profile read", Some("n1")).await,
    )
    .await;
    app.advance(600);
    let refreshed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    first.json["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", RP),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
    let access = refreshed.json["access_token"].as_str().unwrap();
    let claims = verified(&app, refreshed.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["auth_time"].as_i64().unwrap(), signed_in_at);
    assert_eq!(claims["iat"].as_i64().unwrap(), app.clock.now_secs());
    assert!(claims.get("nonce").is_none(), "Core §12.2: no nonce");
    assert_eq!(claims["at_hash"], at_hash_sha256(access));
    assert_eq!(claims["sub"], app.admin_id.as_str());
    assert_eq!(claims["preferred_username"], "admin");

    // Narrowed to a scope without openid: no ID token.
    let narrowed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    refreshed.json["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", RP),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(narrowed.status, 200, "{:?}", narrowed.json);
    assert!(narrowed.json.get("id_token").is_none());
}

#[tokio::test]
async fn eddsa_id_tokens_hash_the_access_token_with_sha512() {
    let app = spawn_with(|c| c.signing_alg = SigningAlg::EdDsa).await;
    app.sign_in().await;
    let reply = exchange(&app, &code_for(&app, "openid", None).await).await;
    let id_token = reply.json["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id_token).unwrap().alg,
        jsonwebtoken::Algorithm::EdDSA
    );
    let claims = verified(&app, id_token, RP).await;
    let access = reply.json["access_token"].as_str().unwrap();
    let digest = sha2::Sha512::digest(access.as_bytes());
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..32]));
    let metadata = app.get("/.well-known/openid-configuration").await.json;
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
}

#[tokio::test]
async fn openid_is_refused_when_tokens_are_signed_with_hs256() {
    let app = spawn_with(|c| c.signing_alg = SigningAlg::Hs256).await;
    app.sign_in().await;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", RP)
        .append_pair("redirect_uri", super::REDIRECT)
        .append_pair("scope", "openid")
        .append_pair("code_challenge", super::CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let page = app
        .page(&format!("/oauth/authorize?{}", query.finish()))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(params(page.location().unwrap())["error"], "invalid_scope");
    let device = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", RP), ("scope", "openid profile")],
        )
        .await;
    assert_eq!(device.status, 400);
    assert_eq!(device.error(), "invalid_scope");
    // Without openid the client works as before.
    let read = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", RP), ("scope", "read")],
        )
        .await;
    assert_eq!(read.status, 200);
    let metadata = app.get("/.well-known/openid-configuration").await.json;
    assert_eq!(
        metadata["id_token_signing_alg_values_supported"],
        serde_json::json!([])
    );
}
