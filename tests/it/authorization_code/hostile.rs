//! Hostile input at the authorization and token endpoints, the metadata,
//! and a third-party client (the `oauth2` crate).

use super::*;

#[tokio::test]
async fn hostile_input_is_a_clear_4xx_never_a_500() {
    let app = spawn().await;
    app.sign_in().await;
    // Problems with anything but the client or the redirect URI go back
    // to the application as invalid_request.
    let long_state = "s".repeat(5000);
    let (error, state) = refused_redirect(&app, &with("state", Some(long_state.as_str()))).await;
    assert_eq!((error.as_str(), state), ("invalid_request", None));
    let (error, state) = refused_redirect(&app, &with("scope", Some("read\0"))).await;
    assert_eq!(
        (error.as_str(), state.as_deref()),
        ("invalid_request", Some("xyz"))
    );
    let mut repeated = request();
    repeated.push(("scope", "write".into()));
    let (error, _) = refused_redirect(&app, &repeated).await;
    assert_eq!(error, "invalid_request");
    let (error, _) = refused_redirect(&app, &with("nonce", Some("n".repeat(600).as_str()))).await;
    assert_eq!(error, "invalid_request");
    // Problems with the client or the redirect URI are a page.
    error_page(&app, &authorize_path(&with("client_id", Some("web-app\0")))).await;
    error_page(
        &app,
        &authorize_path(&with("client_id", Some("c".repeat(300).as_str()))),
    )
    .await;
    let long_uri = format!("{REDIRECT}?{}", "x".repeat(3000));
    error_page(
        &app,
        &authorize_path(&with("redirect_uri", Some(long_uri.as_str()))),
    )
    .await;
    error_page(
        &app,
        &authorize_path(&with("redirect_uri", Some("https://app.example/\0"))),
    )
    .await;
    let raw = app
        .page("/oauth/authorize?client_id=%FF%FE&redirect_uri=%00")
        .await;
    assert_eq!(raw.status, 400);
    // The decision endpoint refuses junk tickets and decisions.
    let page = consent(&app, &request()).await;
    let ticket = page.consent();
    for (consent, decision) in [("junk", "approve"), (ticket.as_str(), "maybe")] {
        let reply = app
            .submit(
                "/oauth/authorize/decision",
                &[
                    ("csrf_token", &page.csrf()),
                    ("consent", consent),
                    ("decision", decision),
                ],
                false,
            )
            .await;
        assert_eq!(reply.status, 400, "{consent} {decision}");
    }
    // The token endpoint: repeated, over-long or NUL-carrying parameters.
    let code = code_for(&app, &request()).await;
    let long_code = "c".repeat(600);
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code", "x"),
            ("client_id", APP),
        ],
        vec![
            ("grant_type", "authorization_code"),
            ("code", long_code.as_str()),
            ("client_id", APP),
        ],
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", APP),
            ("code_verifier", "a\0b"),
        ],
        vec![("grant_type", "authorization_code"), ("client_id", APP)],
    ] {
        let reply = app.post_form("/oauth/token", &form).await;
        assert_eq!(
            (reply.status, reply.error()),
            (400, "invalid_request"),
            "{form:?}"
        );
    }
    let reply = exchange(&app, "no-such-code", Some(VERIFIER)).await;
    assert_eq!(reply.error(), "invalid_grant");
    let reply = exchange(&app, &code, Some("v".repeat(200).as_str())).await;
    assert_eq!(reply.error(), "invalid_grant");
    // The code survived all of that.
    assert_eq!(exchange(&app, &code, Some(VERIFIER)).await.status, 200);
}

#[tokio::test]
async fn metadata_announces_the_authorization_endpoint() {
    let app = TestApp::spawn().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let m = app.get(path).await.json;
        assert_eq!(
            m["authorization_endpoint"],
            format!("{ISSUER}/oauth/authorize")
        );
        assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            m["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert!(
            m["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&"authorization_code".into())
        );
    }
}

/// The third-party `oauth2` crate's authorization code client with PKCE,
/// unmodified: its URL, the browser part by hand, its code exchange.
#[tokio::test]
async fn the_oauth2_crate_signs_in_with_pkce() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
        TokenResponse, TokenUrl,
    };
    let app = spawn().await;
    app.sign_in().await;
    let client = BasicClient::new(ClientId::new(APP.into()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:8123/cb".into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("write".into()))
        .set_pkce_challenge(challenge)
        .url();
    let path = format!("{}?{}", url.path(), url.query().unwrap());
    let page = app.page(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let location = answer(&app, &page, "approve").await;
    let p = params(&location);
    assert_eq!(&p["state"], csrf.secret());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(p["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["write".to_owned()])
    );
    assert!(token.refresh_token().is_some());
    let info = app.tokeninfo(token.access_token().secret()).await;
    assert_eq!(info.status, 200);
}
