//! The third-party `oauth2` crate's device-flow client, unmodified, against
//! the real server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use authgate::domain::device_flow;
use authgate::model::Decision;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, DeviceAuthorizationUrl, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};

use crate::support::TestApp;

async fn run_flow(
    app: &TestApp,
    auth_type: AuthType,
    decision: Decision,
) -> Result<String, String> {
    let client = BasicClient::new(ClientId::new(app.cli_client_id.clone()))
        .set_auth_type(auth_type)
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(app.url("/oauth/device/code")).unwrap(),
        )
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("read".into()))
        .request_async(&http)
        .await
        .map_err(|e| format!("device code: {e:?}"))?;
    assert_eq!(
        details.verification_uri().as_str(),
        "http://localhost:8080/device"
    );
    let user_code = details.user_code().secret().clone();

    // Sleeping moves the fake clock by the requested interval; after a few
    // polls the user decides, like a person switching to their browser.
    let polls = Arc::new(AtomicUsize::new(0));
    let clock = app.clock.clone();
    let core = app.core.clone();
    let admin = app.admin_id.clone();
    let sleep = move |d: Duration| {
        clock.advance(d);
        let n = polls.fetch_add(1, Ordering::SeqCst);
        let core = core.clone();
        let admin = admin.clone();
        let user_code = user_code.clone();
        async move {
            if n == 2 {
                device_flow::decide(&core, &admin, &user_code, decision)
                    .await
                    .unwrap();
            }
            tokio::task::yield_now().await;
        }
    };
    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http, sleep, None)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => r.error().to_string(),
            other => format!("{other:?}"),
        })?;
    assert_eq!(
        token
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["read".to_owned()])
    );
    assert!(token.expires_in().is_some());
    Ok(token.access_token().secret().clone())
}

#[tokio::test]
async fn oauth2_crate_completes_the_device_flow_with_body_auth() {
    let app = TestApp::spawn().await;
    let token = run_flow(&app, AuthType::RequestBody, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(app.tokeninfo(&token).await.status, 200);
}

#[tokio::test]
async fn oauth2_crate_completes_the_device_flow_with_basic_auth() {
    let app = TestApp::spawn().await;
    let token = run_flow(&app, AuthType::BasicAuth, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(app.tokeninfo(&token).await.status, 200);
}

#[tokio::test]
async fn oauth2_crate_sees_access_denied() {
    let app = TestApp::spawn().await;
    let err = run_flow(&app, AuthType::RequestBody, Decision::Deny)
        .await
        .unwrap_err();
    assert_eq!(err, "access_denied");
}

/// The oauth2 crate refreshes (with rotation), introspects and revokes
/// against AuthGate, unmodified.
#[tokio::test]
async fn oauth2_crate_refreshes_introspects_and_revokes() {
    use oauth2::{
        ClientSecret, IntrospectionUrl, RevocationUrl, StandardRevocableToken,
        TokenIntrospectionResponse,
    };
    let app = TestApp::spawn().await;
    let t = app.issue_tokens().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let client = BasicClient::new(ClientId::new(app.cli_client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_revocation_url(RevocationUrl::new(app.url("/oauth/revoke")).unwrap());

    let refreshed = client
        .exchange_refresh_token(&oauth2::RefreshToken::new(t.refresh.clone()))
        .request_async(&http)
        .await
        .expect("refresh");
    let new_refresh = refreshed
        .refresh_token()
        .expect("rotated refresh token")
        .secret()
        .clone();
    assert_ne!(new_refresh, t.refresh);
    let access = refreshed.access_token().secret().clone();
    assert_eq!(app.tokeninfo(&access).await.status, 200);

    // A resource server introspects with its own confidential credentials.
    app.add_client("api", Some("api-secret-value"), "read", false)
        .await;
    let rs = BasicClient::new(ClientId::new("api".into()))
        .set_client_secret(ClientSecret::new("api-secret-value".into()))
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(app.url("/oauth/introspect")).unwrap());
    let info = rs
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .expect("introspect");
    assert!(info.active());
    assert_eq!(
        info.client_id().map(|c| c.as_str()),
        Some(app.cli_client_id.as_str())
    );

    // The crate refuses to send revocations over plain http (InsecureUrl),
    // which is right for production; here it gets the same form it would send.
    let revocation = client.revoke_token(StandardRevocableToken::RefreshToken(
        oauth2::RefreshToken::new(new_refresh.clone()),
    ));
    assert!(matches!(
        revocation,
        Err(oauth2::ConfigurationError::InsecureUrl(_))
    ));
    let r = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &new_refresh),
                ("token_type_hint", "refresh_token"),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.tokeninfo(&access).await.status,
        401,
        "revoking the refresh token ends its grant"
    );
    let info = rs
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .expect("introspect");
    assert!(!info.active());
}
