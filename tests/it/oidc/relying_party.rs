//! A real relying party, the `openidconnect` crate, unmodified: discovery,
//! an authorization URL with PKCE and a nonce, sign-in and consent in the
//! test's browser, the code exchange with ID token validation (signature
//! from the JWK Set, issuer, audience, nonce, at_hash), UserInfo, and a
//! refresh whose ID token validates too.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use super::{REDIRECT, RP, params, spawn_with};

#[tokio::test]
async fn the_openidconnect_crate_signs_in_verifies_and_refreshes() {
    let app = spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let issuer = IssuerUrl::new(app.base.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery and the JWK Set");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(RP.into()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(url.as_str().starts_with(&app.url("/oauth/authorize?")));

    // The person: signs in, sees the consent page, approves.
    app.sign_in().await;
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let page = app.page(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let reply = app.decide_app(&page, "approve").await;
    assert_eq!(reply.status, 303);
    let answer = params(reply.location().unwrap());
    assert_eq!(&answer["state"], csrf.secret());
    assert_eq!(answer["iss"], app.base);

    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("the ID token validates");
    assert_eq!(claims.subject().as_str(), app.admin_id);
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("admin")
    );
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("admin@example.com")
    );
    assert_eq!(claims.email_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let expected = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected);
    // A token from another nonce does not validate.
    assert!(
        id_token
            .claims(&id_verifier, &Nonce::new("another".into()))
            .is_err()
    );

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().to_owned(), None)
        .unwrap()
        .request_async(&http)
        .await
        .expect("UserInfo");
    assert_eq!(info.subject().as_str(), app.admin_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some("admin@example.com"));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("the refresh");
    let id_token = refreshed.id_token().expect("a new ID token");
    // OpenID Connect Core §12.2: no nonce on a refreshed ID token.
    let claims = id_token
        .claims(&id_verifier, |n: Option<&Nonce>| match n {
            None => Ok(()),
            Some(_) => Err("a refreshed ID token carries no nonce".to_owned()),
        })
        .expect("the refreshed ID token validates");
    assert_eq!(claims.subject().as_str(), app.admin_id);
}
