//! Passkeys (WebAuthn) through the real HTTP app, with a software
//! authenticator (`authenticator.rs`) standing in for the browser and the
//! security key: adding one on /account, signing in with it alone, and
//! the refusals — a replayed answer, another origin, another relying
//! party id, a counter going backwards, an unknown or disabled account,
//! a missing CSRF token — each answered inline (JSON the page shows),
//! audited, never a 500. `second_step.rs` covers a passkey after a
//! password, `account.rs` the /account card.

mod account;
mod authenticator;
mod second_step;
mod step_up;

use authgate::model::audit::AuditAction;
use reqwest::Client;
use serde_json::{Value, json};

pub use authenticator::{Authenticator, Credential};

use crate::support::{ADMIN_PASSWORD, Reply, TestApp, hidden_field};

/// A browser of its own: a cookie jar, no redirects followed.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the page at `path` on `app`, as `browser` sees it.
pub async fn csrf(browser: &Client, app: &TestApp, path: &str) -> String {
    let body = browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden_field(&body, "csrf_token").expect("the page has a CSRF token")
}

/// A JSON POST as passkey.js sends it (`csrf` in `X-CSRF-Token`).
pub async fn post_json(
    browser: &Client,
    app: &TestApp,
    path: &str,
    csrf: Option<&str>,
    body: &Value,
) -> Reply {
    let mut request = browser.post(app.url(path)).json(body);
    if let Some(token) = csrf {
        request = request.header("X-CSRF-Token", token);
    }
    TestApp::reply(request.send().await.unwrap()).await
}

/// Signs `browser` in with a password on `app`; the redirect's status.
pub async fn password(browser: &Client, app: &TestApp, username: &str, pw: &str) -> u16 {
    let token = csrf(browser, app, "/login").await;
    browser
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", pw),
            ("next", "/device"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Adds a passkey named `name` for whoever `browser` is signed in as:
/// the options from `begin_on`, the answer to `finish_on`.
pub async fn add_passkey_via(
    browser: &Client,
    begin_on: &TestApp,
    finish_on: &TestApp,
    auth: &Authenticator,
    name: &str,
) -> Credential {
    let token = csrf(browser, begin_on, "/account").await;
    let options = post_json(
        browser,
        begin_on,
        "/account/passkeys/options",
        Some(&token),
        &json!({ "name": name }),
    )
    .await;
    assert_eq!(options.status, 200, "{:?}", options.json);
    let (credential, answer) = auth.create(&options.json);
    let added = post_json(
        browser,
        finish_on,
        "/account/passkeys",
        Some(&token),
        &json!({ "name": name, "credential": answer }),
    )
    .await;
    assert_eq!(added.status, 200, "{:?}", added.json);
    assert_eq!(added.json["redirect"], "/account?passkey=added#passkeys");
    credential
}

pub async fn add_passkey(browser: &Client, app: &TestApp, auth: &Authenticator) -> Credential {
    add_passkey_via(browser, app, app, auth, "Laptop").await
}

/// The administrator signed in with a password in a new browser, with a
/// passkey added: (browser, credential).
pub async fn admin_with_passkey(app: &TestApp, auth: &Authenticator) -> (Client, Credential) {
    let admin = browser();
    assert_eq!(password(&admin, app, "admin", ADMIN_PASSWORD).await, 303);
    let credential = add_passkey(&admin, app, auth).await;
    (admin, credential)
}

/// A passkey sign-in's options, fetched by `browser` from `app` (with the
/// sign-in page's CSRF token): (token, options).
pub async fn sign_in_options(browser: &Client, app: &TestApp) -> (String, Value) {
    let token = csrf(browser, app, "/login").await;
    let options = post_json(
        browser,
        app,
        "/login/passkey/options",
        Some(&token),
        &json!({}),
    )
    .await;
    assert_eq!(options.status, 200, "{:?}", options.json);
    assert!(
        options.json["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    (token, options.json)
}

/// Sends a sign-in answer to `app`.
pub async fn send_answer(browser: &Client, app: &TestApp, token: &str, answer: &Value) -> Reply {
    post_json(
        browser,
        app,
        "/login/passkey",
        Some(token),
        &json!({ "credential": answer, "next": "/device?user_code=BCDF-GHJK" }),
    )
    .await
}

/// A whole passkey sign-in in `browser` on `app` with `credential`.
pub async fn sign_in(
    browser: &Client,
    app: &TestApp,
    auth: &Authenticator,
    credential: &mut Credential,
) -> Reply {
    let (token, options) = sign_in_options(browser, app).await;
    let answer = auth.get(credential, &options);
    send_answer(browser, app, &token, &answer).await
}

/// Whether `browser` is signed in on `app` (its /account page shows).
pub async fn signed_in(browser: &Client, app: &TestApp) -> bool {
    let resp = browser.get(app.url("/account")).send().await.unwrap();
    resp.status() == 200
}

pub async fn audited(app: &TestApp, action: AuditAction) -> Vec<String> {
    app.core
        .store
        .recent_audit_events(Some(action), 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail.unwrap_or_default())
        .collect()
}

/// A refusal as the page shows it: 401 `access_denied` with a sentence.
fn assert_refused(reply: &Reply) {
    assert_eq!(reply.status, 401, "{:?}", reply.json);
    assert_eq!(reply.error(), "access_denied");
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("passkey")
    );
}

#[tokio::test]
async fn a_passkey_added_on_the_account_page_signs_in_without_a_username() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    assert_eq!(audited(&app, AuditAction::PasskeyAdded).await, ["Laptop"]);

    let visitor = browser();
    let reply = sign_in(&visitor, &app, &auth, &mut credential).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(
        reply.json["redirect"], "/device?user_code=BCDF-GHJK",
        "next= kept"
    );
    assert!(signed_in(&visitor, &app).await);
    assert_eq!(audited(&app, AuditAction::PasskeyUsed).await.len(), 1);
    let how = audited(&app, AuditAction::SignedIn).await;
    assert!(how.contains(&"passkey".to_owned()), "{how:?}");

    // The use is recorded: the counter and when.
    let stored = app.core.store.passkeys_of(&app.admin_id).await.unwrap();
    assert_eq!(stored[0].sign_count, 1);
    assert!(stored[0].last_used_at.is_some());
    let page = visitor
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("last used"), "the card shows the use");
}

#[tokio::test]
async fn an_unsafe_next_is_replaced_by_the_device_page() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let visitor = browser();
    let (token, options) = sign_in_options(&visitor, &app).await;
    let answer = auth.get(&mut credential, &options);
    let reply = post_json(
        &visitor,
        &app,
        "/login/passkey",
        Some(&token),
        &json!({ "credential": answer, "next": "//evil.example/" }),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["redirect"], "/device");
}

#[tokio::test]
async fn a_replayed_answer_is_refused() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let visitor = browser();
    let (token, options) = sign_in_options(&visitor, &app).await;
    let answer = auth.get(&mut credential, &options);
    assert_eq!(
        send_answer(&visitor, &app, &token, &answer).await.status,
        200
    );

    // Sent again (with the signed-in session's new token): the ceremony
    // is over.
    let token = csrf(&visitor, &app, "/account").await;
    let again = send_answer(&visitor, &app, &token, &answer).await;
    assert_eq!(again.status, 400, "{:?}", again.json);
    assert_eq!(again.error(), "invalid_request");
    // Sent to a new ceremony: the challenge is not the new one.
    let thief = browser();
    let (token, _) = sign_in_options(&thief, &app).await;
    assert_refused(&send_answer(&thief, &app, &token, &answer).await);
    assert!(!signed_in(&thief, &app).await);
    assert_eq!(audited(&app, AuditAction::PasskeyFailed).await.len(), 1);
}

#[tokio::test]
async fn one_answer_sent_many_times_at_once_signs_in_once() {
    let app = TestApp::spawn().await;
    // Without a counter only the challenge can tell a replay.
    let auth = Authenticator {
        counts: false,
        ..Authenticator::default()
    };
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let visitor = browser();
    let (token, options) = sign_in_options(&visitor, &app).await;
    let answer = auth.get(&mut credential, &options);
    let replies =
        futures::future::join_all((0..8).map(|_| send_answer(&visitor, &app, &token, &answer)))
            .await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(replies.iter().all(|r| r.status < 500));
    assert_eq!(audited(&app, AuditAction::PasskeyUsed).await.len(), 1);
}

#[tokio::test]
async fn an_answer_from_another_origin_is_refused() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let phishing = Authenticator {
        origin: "http://localhost.evil.example:8080".into(),
        ..auth.clone()
    };
    let visitor = browser();
    assert_refused(&sign_in(&visitor, &app, &phishing, &mut credential).await);
    assert!(!signed_in(&visitor, &app).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert!(failures[0].contains("another origin"), "{failures:?}");
    // The same port on another scheme is another origin too.
    let https = Authenticator {
        origin: "https://localhost:8080".into(),
        ..auth.clone()
    };
    assert_refused(&sign_in(&visitor, &app, &https, &mut credential).await);
}

#[tokio::test]
async fn an_answer_for_another_relying_party_is_refused() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (admin, mut credential) = admin_with_passkey(&app, &auth).await;
    let elsewhere = Authenticator {
        rp_id_override: Some("evil.example".into()),
        ..auth.clone()
    };
    let visitor = browser();
    assert_refused(&sign_in(&visitor, &app, &elsewhere, &mut credential).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert!(failures[0].contains("relying party"), "{failures:?}");
    // Registering for another relying party is refused as well.
    let token = csrf(&admin, &app, "/account").await;
    let options = post_json(
        &admin,
        &app,
        "/account/passkeys/options",
        Some(&token),
        &json!({"name": "X"}),
    )
    .await;
    let (_, answer) = elsewhere.create(&options.json);
    let added = post_json(
        &admin,
        &app,
        "/account/passkeys",
        Some(&token),
        &json!({"name": "X", "credential": answer}),
    )
    .await;
    assert_eq!(added.status, 422, "{:?}", added.json);
    assert_eq!(
        app.core
            .store
            .passkeys_of(&app.admin_id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;
    let clone = credential.clone();
    let visitor = browser();
    assert_eq!(
        sign_in(&visitor, &app, &auth, &mut credential).await.status,
        200
    );
    assert_eq!(
        sign_in(&browser(), &app, &auth, &mut credential)
            .await
            .status,
        200
    );
    // A copy of the key that signed once: its counter (1) is behind 2.
    let mut clone = clone;
    let cloned = browser();
    assert_refused(&sign_in(&cloned, &app, &auth, &mut clone).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert!(failures[0].contains("counter"), "{failures:?}");
    assert_eq!(
        app.core.store.passkeys_of(&app.admin_id).await.unwrap()[0].sign_count,
        2
    );
}

#[tokio::test]
async fn unknown_passkeys_and_disabled_accounts_are_refused() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, mut credential) = admin_with_passkey(&app, &auth).await;

    let mut unknown = credential.clone();
    unknown.id = vec![7; 32];
    assert_refused(&sign_in(&browser(), &app, &auth, &mut unknown).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert_eq!(failures[0], "unknown passkey");

    let now = app.core.clock.now_secs();
    app.core
        .store
        .set_user_disabled(&app.admin_id, true, now)
        .await
        .unwrap();
    let visitor = browser();
    assert_refused(&sign_in(&visitor, &app, &auth, &mut credential).await);
    assert!(!signed_in(&visitor, &app).await);
    let failures = audited(&app, AuditAction::PasskeyFailed).await;
    assert!(
        failures.contains(&"the account is disabled".to_owned()),
        "{failures:?}"
    );
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_like_passwords() {
    let app = TestApp::spawn().await;
    let auth = Authenticator::default();
    let (_, credential) = admin_with_passkey(&app, &auth).await;
    let mut unknown = credential.clone();
    unknown.id = vec![9; 32];
    let visitor = browser();
    // Three attempts are free (throttle.rs PAIR_RULE); the fourth failure
    // locks the address for 2 s, so the fifth waits.
    for _ in 0..4 {
        assert_refused(&sign_in(&visitor, &app, &auth, &mut unknown).await);
    }
    let locked = sign_in(&visitor, &app, &auth, &mut unknown).await;
    assert_eq!(locked.status, 429, "{:?}", locked.json);
    assert!(locked.header("retry-after").is_some());
    assert!(
        locked.json["error_description"]
            .as_str()
            .unwrap()
            .contains("Try again in")
    );
}

#[tokio::test]
async fn ceremonies_need_the_pages_csrf_token() {
    let app = TestApp::spawn().await;
    let visitor = browser();
    let token = csrf(&visitor, &app, "/login").await;
    for csrf in [None, Some("forged")] {
        let reply = post_json(&visitor, &app, "/login/passkey/options", csrf, &json!({})).await;
        assert_eq!(reply.status, 403, "{csrf:?}");
        assert_eq!(reply.error(), "invalid_request");
    }
    // With the token but a body that is not an answer: 400, not a 500.
    let reply = post_json(
        &visitor,
        &app,
        "/login/passkey",
        Some(&token),
        &json!({"credential": 5}),
    )
    .await;
    assert_eq!(reply.status, 400);
    let admin = browser();
    assert_eq!(password(&admin, &app, "admin", ADMIN_PASSWORD).await, 303);
    let reply = post_json(
        &admin,
        &app,
        "/account/passkeys/options",
        None,
        &json!({"name": "X"}),
    )
    .await;
    assert_eq!(reply.status, 403);
}

#[tokio::test]
async fn a_ceremony_begun_on_one_instance_finishes_on_another() {
    let db = crate::support::TestDb::fresh().await;
    let clock = std::sync::Arc::new(authgate::clock::ManualClock::starting_now());
    let a = TestApp::spawn_on(db.clone(), clock.clone(), |_| {}).await;
    let b = TestApp::spawn_on(db, clock, |_| {}).await;
    let auth = Authenticator::default();
    let admin = browser();
    assert_eq!(password(&admin, &a, "admin", ADMIN_PASSWORD).await, 303);
    let mut credential = add_passkey_via(&admin, &a, &b, &auth, "Phone").await;

    let visitor = browser();
    let (token, options) = sign_in_options(&visitor, &b).await;
    let answer = auth.get(&mut credential, &options);
    let reply = send_answer(&visitor, &a, &token, &answer).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert!(signed_in(&visitor, &b).await);
    assert!(signed_in(&visitor, &a).await);
}
