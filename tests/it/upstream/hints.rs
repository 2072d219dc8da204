//! `idp_hint`: an application (or a link to the device page) names the
//! provider, and the sign-in page sends the person straight there.

use super::{local, pair, user};
use crate::support::TestApp;

const APP: &str = "hinted-app";
const REDIRECT: &str = "https://app.example/callback";

/// An app client on `app` for the authorization endpoint.
async fn app_client(app: &TestApp) {
    app.add_client(APP, None, "read", true).await;
    app.core
        .store
        .set_client_redirect_uris(APP, &[REDIRECT.into()])
        .await
        .unwrap();
}

/// `/oauth/authorize` for [`APP`] with `extra` parameters.
fn authorize(extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", APP)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "read")
        .append_pair("state", "xyz")
        .append_pair(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", query.finish())
}

#[tokio::test]
async fn an_authorization_request_with_idp_hint_skips_the_chooser() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    app_client(&pair.app).await;
    let here = authorize(&[("idp_hint", "corp")]);

    let to_login = pair.app.page(&here).await;
    assert_eq!(to_login.status, 303, "{}", to_login.body);
    let login = pair.app.page(to_login.location().unwrap()).await;
    assert_eq!(login.status, 303, "straight on, no chooser: {}", login.body);
    let start = login.location().unwrap().to_owned();
    let encoded: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    assert_eq!(start, format!("/login/upstream/corp?next={encoded}"));

    // Through the provider and back to the same authorization request,
    // which now shows the consent page.
    let to_provider = pair.app.page(&start).await;
    assert_eq!(to_provider.status, 303);
    let callback = pair
        .approve_upstream(to_provider.location().unwrap(), "ann")
        .await;
    let back = pair.app.page(&local(&callback)).await;
    assert_eq!(back.continues_to(), here.as_str());
    let consent = pair.app.page(&here).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(
        consent.body.contains("Client hinted-app"),
        "{}",
        consent.body
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn the_device_page_with_idp_hint_goes_to_the_provider() {
    let pair = pair(|_| {}).await;
    let device = pair.app.page("/device?idp_hint=corp").await;
    assert_eq!(device.status, 303);
    let login = pair.app.page(device.location().unwrap()).await;
    assert_eq!(login.status, 303, "{}", login.body);
    assert!(
        login
            .location()
            .unwrap()
            .starts_with("/login/upstream/corp?next=%2Fdevice"),
        "{:?}",
        login.location()
    );
    // On /login itself too.
    let direct = pair.app.page("/login?idp_hint=corp&next=/account").await;
    assert_eq!(
        direct.location(),
        Some("/login/upstream/corp?next=%2Faccount")
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_hint_naming_no_enabled_provider_shows_the_chooser() {
    let pair = pair(|_| {}).await;
    app_client(&pair.app).await;
    for hint in ["nobody", "", "Corp", "../corp"] {
        let login = pair
            .app
            .page(&format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(authorize(&[("idp_hint", hint)]).as_bytes())
                    .collect::<String>()
            ))
            .await;
        assert_eq!(login.status, 200, "{hint}: {:?}", login.location());
        assert!(login.body.contains("Sign in with Corp"));
    }
    authgate::domain::upstream::providers::set_enabled(
        &authgate::domain::admin::Ctx::of(&pair.app.core),
        &authgate::domain::admin::Actor::command_line(),
        "corp",
        false,
    )
    .await
    .unwrap();
    let login = pair.app.page("/login?idp_hint=corp").await;
    assert_eq!(login.status, 200, "a disabled provider is no shortcut");
    assert!(!login.body.contains("Sign in with Corp"));
    pair.shutdown().await;
}

#[tokio::test]
async fn the_application_s_login_hint_is_passed_on_to_the_provider() {
    let pair = pair(|_| {}).await;
    app_client(&pair.app).await;
    let here = authorize(&[("idp_hint", "corp"), ("login_hint", "ann@corp.example")]);
    let to_login = pair.app.page(&here).await;
    let login = pair.app.page(to_login.location().unwrap()).await;
    let start = pair.app.page(login.location().unwrap()).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let at_provider = url::Url::parse(start.location().unwrap()).unwrap();
    let hint = at_provider
        .query_pairs()
        .find(|(k, _)| k == "login_hint")
        .map(|(_, v)| v.into_owned());
    assert_eq!(hint.as_deref(), Some("ann@corp.example"));
    // A sign-in that is not for an application carries none.
    let plain = pair.app.page("/login/upstream/corp?next=/account").await;
    assert!(!plain.location().unwrap().contains("login_hint"));
    pair.shutdown().await;
}
