//! OpenID Connect Core 1.0 §3.1.2.1: `prompt`, `max_age` and `login_hint`;
//! §3.1.2.6: `login_required` and `consent_required` at the redirect URI.

use super::{
    ISSUER, answer, authorize_path, consent, params, refused_redirect, request, spawn, with,
};
use crate::support::{ADMIN_PASSWORD, Page, TestApp, hidden_field};

fn plus(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut pairs = request();
    pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    pairs
}

/// Follows a redirect to the sign-in form and signs in there; returns
/// where the form sent the browser next.
async fn sign_in_at(app: &TestApp, login: &str) -> String {
    let form = app.page(login).await;
    assert_eq!(form.status, 200, "the sign-in form shows: {}", form.body);
    let next = hidden_field(&form.body, "next")
        .unwrap()
        .replace("&amp;", "&");
    let done = app
        .submit(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", &next),
            ],
            false,
        )
        .await;
    done.continues_to().to_owned()
}

async fn open(app: &TestApp, pairs: &[(&str, String)]) -> Page {
    app.page(&authorize_path(pairs)).await
}

#[tokio::test]
async fn prompt_none_answers_login_required_without_a_session() {
    let app = spawn().await;
    let (error, state) = refused_redirect(&app, &plus(&[("prompt", "none")])).await;
    assert_eq!(
        (error.as_str(), state.as_deref()),
        ("login_required", Some("xyz"))
    );
}

#[tokio::test]
async fn prompt_none_answers_consent_required_then_a_code_once_consented() {
    let app = spawn().await;
    app.sign_in().await;
    let (error, state) = refused_redirect(&app, &plus(&[("prompt", "none")])).await;
    assert_eq!(
        (error.as_str(), state.as_deref()),
        ("consent_required", Some("xyz"))
    );
    let page = consent(&app, &request()).await;
    answer(&app, &page, "approve").await;
    let page = open(&app, &plus(&[("prompt", "none")])).await;
    assert_eq!(page.status, 303);
    let p = params(page.location().unwrap());
    assert!(p.contains_key("code"), "{p:?}");
    assert_eq!(p["iss"], ISSUER);
    // Wider than consented: no page, consent_required.
    let (error, _) = refused_redirect(
        &app,
        &[
            with("scope", Some("read write")),
            vec![("prompt", "none".into())],
        ]
        .concat(),
    )
    .await;
    assert_eq!(error, "consent_required");
}

#[tokio::test]
async fn prompt_none_with_another_value_or_an_unknown_one_is_invalid_request() {
    let app = spawn().await;
    app.sign_in().await;
    for prompt in ["none login", "none consent", "sometimes"] {
        let (error, state) = refused_redirect(&app, &plus(&[("prompt", prompt)])).await;
        assert_eq!(error, "invalid_request", "{prompt}");
        assert_eq!(state.as_deref(), Some("xyz"));
    }
    for max_age in ["-1", "soon", "1.5"] {
        let (error, _) = refused_redirect(&app, &plus(&[("max_age", max_age)])).await;
        assert_eq!(error, "invalid_request", "{max_age}");
    }
    let (error, _) =
        refused_redirect(&app, &plus(&[("prompt", "login"), ("prompt", "none")])).await;
    assert_eq!(error, "invalid_request", "repeated prompt");
}

#[tokio::test]
async fn prompt_login_signs_in_again_once_and_the_code_carries_the_new_auth_time() {
    let app = spawn().await;
    app.sign_in().await;
    let first = app.core.clock.now_secs();
    app.advance(100);
    let pairs = plus(&[("prompt", "login")]);
    let page = open(&app, &pairs).await;
    assert_eq!(page.status, 303);
    let login = page.location().unwrap().to_owned();
    assert!(login.starts_with("/login?next="), "{login}");
    assert!(login.contains("reauth=1"), "{login}");
    let form = app.page(&login).await;
    assert!(form.body.contains("sign in again"), "says why");
    assert!(
        form.body.contains("value=\"admin\""),
        "prefilled with the account"
    );
    let back = sign_in_at(&app, &login).await;
    assert_eq!(back, authorize_path(&pairs), "back to the same request");
    // Coming back does not ask again: the consent page shows.
    let page = consent(&app, &pairs).await;
    let location = answer(&app, &page, "approve").await;
    let code = params(&location)["code"].clone();
    let stored = app
        .core
        .store
        .find_authorization_code(&authgate::crypto::hash_secret(&code))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.authn.time.0, first + 100, "the new sign-in's time");
    // The same request later asks again (the note was used up).
    let page = open(&app, &pairs).await;
    assert_eq!(page.status, 303);
    assert!(
        page.location().unwrap().starts_with("/login?"),
        "asks again"
    );
}

#[tokio::test]
async fn a_signed_out_person_with_prompt_login_signs_in_only_once() {
    let app = spawn().await;
    let pairs = plus(&[("prompt", "login"), ("login_hint", "admin")]);
    let page = open(&app, &pairs).await;
    let login = page.location().unwrap().to_owned();
    assert!(!login.contains("reauth=1"), "nobody to sign in again");
    let back = sign_in_at(&app, &login).await;
    assert_eq!(back, authorize_path(&pairs));
    consent(&app, &pairs).await;
}

#[tokio::test]
async fn max_age_sends_an_old_sign_in_back_to_the_form() {
    let app = spawn().await;
    app.sign_in().await;
    app.advance(30);
    // Young enough: the consent page.
    consent(&app, &plus(&[("max_age", "60")])).await;
    app.advance(31);
    let pairs = plus(&[("max_age", "60")]);
    let page = open(&app, &pairs).await;
    assert_eq!(page.status, 303);
    let login = page.location().unwrap().to_owned();
    assert!(login.contains("reauth=1"), "{login}");
    let back = sign_in_at(&app, &login).await;
    assert_eq!(back, authorize_path(&pairs));
    consent(&app, &pairs).await;
    // max_age=0 is prompt=login.
    let page = open(&app, &plus(&[("max_age", "0")])).await;
    assert!(page.location().unwrap().contains("reauth=1"));
    // prompt=none with a too old sign-in: login_required, no page.
    app.advance(61);
    let (error, _) = refused_redirect(&app, &plus(&[("max_age", "60"), ("prompt", "none")])).await;
    assert_eq!(error, "login_required");
}

#[tokio::test]
async fn login_hint_prefills_the_username_escaped_and_bounded() {
    let app = spawn().await;
    let page = open(&app, &plus(&[("login_hint", "<b>ann\"</b>")])).await;
    let login = page.location().unwrap().to_owned();
    let form = app.page(&login).await;
    assert!(
        form.body.contains("value=\"&lt;b&gt;ann&quot;&lt;/b&gt;\""),
        "escaped"
    );
    assert!(!form.body.contains("<b>ann"));
    let long = "a".repeat(300);
    let page = open(&app, &plus(&[("login_hint", &long)])).await;
    let form = app.page(page.location().unwrap()).await;
    assert_eq!(form.status, 200);
    let field = form.body.split("id=\"username\"").nth(1).unwrap();
    let field = &field[..field.find('>').unwrap()];
    assert!(field.contains("value=\"\""), "too long: dropped: {field}");
}

#[tokio::test]
async fn a_fresh_sign_in_satisfies_only_the_request_that_asked_for_it() {
    let app = spawn().await;
    app.sign_in().await;
    let first = plus(&[("prompt", "login")]);
    let login = open(&app, &first).await.location().unwrap().to_owned();
    sign_in_at(&app, &login).await;
    // Another request (another state) with prompt=login asks again.
    let mut other = with("state", Some("other"));
    other.push(("prompt", "login".into()));
    let page = open(&app, &other).await;
    assert_eq!(page.status, 303);
    assert!(page.location().unwrap().contains("reauth=1"));
}
