//! Sign-in domains: an application's `login_hint` at one of a provider's
//! domains sends the browser from `/login` straight to that provider,
//! keeping where it was going; anything else shows the sign-in form.

use authgate::domain::admin::{Actor, Ctx};
use authgate::domain::upstream::providers;

use super::{local, pair, user};
use crate::support::Page;

const APP: &str = "web-app";
const REDIRECT: &str = "https://app.example/callback";
/// RFC 7636 Appendix B.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize(extra: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .chain(extra)
    {
        query.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", query.finish())
}

#[tokio::test]
async fn a_login_hint_in_a_sign_in_domain_goes_straight_to_the_provider() {
    let pair = pair(|p| {
        p.create_accounts = true;
        p.hint_domains = vec!["corp.example".into()];
    })
    .await;
    pair.app.add_client(APP, None, "openid", false).await;
    pair.app
        .core
        .store
        .set_client_redirect_uris(APP, &[REDIRECT.into()])
        .await
        .unwrap();
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    // The hop from the authorization endpoint to /login, then /login's answer.
    let login_for = |hint: &'static str, extra: &'static [(&'static str, &'static str)]| {
        let app = &pair.app;
        async move {
            let mut pairs = vec![("login_hint", hint)];
            pairs.extend_from_slice(extra);
            let request = authorize(&pairs);
            let to_login = app.page(&request).await;
            assert_eq!(to_login.status, 303, "{}", to_login.body);
            let login = to_login.location().unwrap().to_owned();
            assert!(login.starts_with("/login?"), "{login}");
            (request, app.page(&login).await)
        }
    };
    let is_form = |page: &Page| page.status == 200 && page.body.contains("name=\"password\"");

    let (request, straight) = login_for("Ann@CORP.example", &[]).await;
    assert_eq!(straight.status, 303, "{}", straight.body);
    let start = straight.location().unwrap().to_owned();
    let next: String = form_urlencoded::byte_serialize(request.as_bytes()).collect();
    assert_eq!(start, format!("/login/upstream/corp?next={next}"));
    // ...and through the provider back to the authorization request.
    let to_provider = pair.app.page(&start).await;
    assert_eq!(to_provider.status, 303);
    let callback = pair
        .approve_upstream(to_provider.location().unwrap(), "ann")
        .await;
    let back = pair.app.page(&local(&callback)).await;
    assert_eq!(back.continues_to(), request.as_str());
    assert!(pair.is_signed_in_as("ann").await);
    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;

    // Exact domains only; not an address; not for a fresh sign-in.
    for hint in [
        "ann@sub.corp.example",
        "ann@corp.example.evil",
        "corp.example",
        "ann",
    ] {
        let (_, page) = login_for(hint, &[]).await;
        assert!(is_form(&page), "{hint}: {}", page.status);
    }
    // A signed-in person asked to sign in again (prompt=login, max_age)
    // sees the form: the provider might not ask them again.
    let fresh = pair
        .app
        .page("/login?next=%2Faccount&reauth=1&login_hint=ann%40corp.example")
        .await;
    assert!(is_form(&fresh), "reauth shows the form");
    let plain = pair
        .app
        .page("/login?next=%2Faccount&login_hint=ann%40corp.example")
        .await;
    assert_eq!(plain.status, 303, "the same hint without reauth goes on");

    // Nor once the provider is disabled.
    let ctx = Ctx::of(&pair.app.core);
    providers::set_enabled(&ctx, &Actor::command_line(), "corp", false)
        .await
        .unwrap();
    let (_, off) = login_for("ann@corp.example", &[]).await;
    assert!(is_form(&off), "disabled provider: {}", off.status);
    pair.shutdown().await;
}
