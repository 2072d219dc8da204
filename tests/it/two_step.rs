//! Two-step sign-in (TOTP, RFC 6238): enrolment on /account, the code page
//! after the password, refused and replayed codes, lock-outs, `next=`
//! kept through the second step, and turning it off. Codes are computed
//! here from the key the enrolment page shows, as an authenticator app
//! would, at the app's manual clock.

use authgate::model::audit::AuditAction;

use crate::support::{ADMIN_PASSWORD, Page, TestApp};

/// The code an app shows for `key` (base32, as on the page) at Unix time `at`.
pub fn code_at(key: &str, at: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(key).expect("base32 key");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("RFC 6238 defaults: SHA-1, 6 digits, 30 s");
    totp.generate(u64::try_from(at).expect("after 1970"))
        .to_string()
}

pub fn now(app: &TestApp) -> i64 {
    app.core.clock.now_secs()
}

/// The key the enrolment section shows, without its grouping spaces.
pub fn shown_key(page: &Page) -> Option<String> {
    let marker = "id=\"two-step-key\"";
    let start = page.body.find(marker)?;
    let open = page.body[start..].find('>')? + start + 1;
    let close = page.body[open..].find('<')? + open;
    Some(page.body[open..close].replace(' ', ""))
}

async fn count(app: &TestApp, action: AuditAction) -> usize {
    app.core
        .store
        .recent_audit_events(Some(action), 50)
        .await
        .unwrap()
        .len()
}

/// Signs in as admin, starts enrolment and returns the key shown.
async fn start_enrolment(app: &TestApp) -> String {
    app.sign_in().await;
    let account = app.page("/account").await;
    assert!(account.body.contains("Two-step sign-in"));
    let started = app
        .submit(
            "/account/two-step/start",
            &[("csrf_token", &account.csrf())],
            false,
        )
        .await;
    assert_eq!(started.status, 303);
    let account = app.page("/account").await;
    let key = shown_key(&account).expect("the key is shown while enrolling");
    assert!(account.body.contains("<svg"), "the QR code is inline SVG");
    assert!(!account.body.contains("<script>"), "no inline script");
    key
}

/// Enrols admin with a right code and signs out; returns the key.
pub(crate) async fn enrolled(app: &TestApp) -> String {
    let key = start_enrolment(app).await;
    let account = app.page("/account").await;
    let on = app
        .submit(
            "/account/two-step/confirm",
            &[
                ("csrf_token", &account.csrf()),
                ("code", &code_at(&key, now(app))),
            ],
            false,
        )
        .await;
    assert_eq!(on.status, 200, "the recovery codes are shown");
    let account = app.page("/account").await;
    app.submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    // The next code is in the next step.
    app.advance(30);
    key
}

/// The password step with `next`: a redirect to the code page.
pub(crate) async fn password_step(app: &TestApp, next: &str) -> Page {
    let login = app.page("/login").await;
    app.submit(
        "/login",
        &[
            ("csrf_token", &login.csrf()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", next),
        ],
        false,
    )
    .await
}

pub(crate) async fn send_code(app: &TestApp, code: &str) -> Page {
    let page = app.page("/login/code").await;
    assert_eq!(page.status, 200, "the code page is waiting");
    app.submit(
        "/login/code",
        &[("csrf_token", &page.csrf()), ("code", code)],
        false,
    )
    .await
}

#[tokio::test]
async fn enrolment_turns_on_only_after_a_right_code() {
    let app = TestApp::spawn().await;
    let key = start_enrolment(&app).await;
    assert_eq!(key.len(), 32, "160 bits in base32");
    let account = app.page("/account").await;
    let wrong = app
        .submit(
            "/account/two-step/confirm",
            &[("csrf_token", &account.csrf()), ("code", "000000")],
            false,
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("That code is not right"));
    assert_eq!(count(&app, AuditAction::TotpCodeFailed).await, 1);
    assert!(
        !authgate::domain::totp::is_on(&app.core, &app.admin_id)
            .await
            .unwrap(),
        "a wrong code leaves it off"
    );
    // Without CSRF nothing happens.
    let forged = app
        .submit(
            "/account/two-step/confirm",
            &[("code", &code_at(&key, now(&app)))],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);

    // The app's clock may be a step behind.
    let right = app
        .submit(
            "/account/two-step/confirm",
            &[
                ("csrf_token", &account.csrf()),
                ("code", &code_at(&key, now(&app) - 30)),
            ],
            false,
        )
        .await;
    assert_eq!(right.status, 200);
    assert!(right.body.contains("Save your recovery codes"));
    assert!(
        right
            .body
            .contains("href=\"/account?two_step=on#two-step\"")
    );
    assert!(
        authgate::domain::totp::is_on(&app.core, &app.admin_id)
            .await
            .unwrap()
    );
    assert_eq!(count(&app, AuditAction::TotpEnabled).await, 1);
    let account = app.page("/account?two_step=on").await;
    assert!(account.body.contains("Two-step sign-in is on"));
    assert!(account.body.contains("Signing in asks for a code"));
    assert_eq!(shown_key(&account), None, "the key is never shown again");
}

#[tokio::test]
async fn sign_in_asks_for_a_code_and_refuses_wrong_and_replayed_ones() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    let password = password_step(&app, "/account").await;
    assert_eq!(password.status, 303);
    assert_eq!(password.location(), Some("/login/code"));
    // Not signed in yet.
    assert_eq!(app.page("/account").await.status, 303);

    let wrong = send_code(&app, "123 456").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("That code is not right"));
    assert_eq!(count(&app, AuditAction::TotpCodeFailed).await, 1);

    let code = code_at(&key, now(&app));
    let right = send_code(&app, &code).await;
    assert_eq!(right.status, 303);
    assert_eq!(right.location(), Some("/account"));
    assert_eq!(app.page("/account").await.status, 200, "signed in now");

    // The same code again, in the same step, from a second sign-in.
    let account = app.page("/account").await;
    app.submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    password_step(&app, "/account").await;
    let replayed = send_code(&app, &code).await;
    assert_eq!(replayed.status, 401, "a step is accepted once");
    assert_eq!(count(&app, AuditAction::TotpStepReplayed).await, 1);
    // A code of the previous step is older than the one used: refused too.
    let older = send_code(&app, &code_at(&key, now(&app) - 30)).await;
    assert_eq!(older.status, 401);
    app.advance(30);
    let next = send_code(&app, &code_at(&key, now(&app))).await;
    assert_eq!(next.status, 303);
}

#[tokio::test]
async fn the_code_page_without_a_password_step_goes_back_to_sign_in() {
    let app = TestApp::spawn().await;
    let page = app.page("/login/code").await;
    assert_eq!(page.status, 303);
    assert!(page.location().unwrap().starts_with("/login?next="));
    // And the password note lapses.
    enrolled(&app).await;
    password_step(&app, "/account").await;
    app.advance(6 * 60);
    let late = app.page("/login/code").await;
    assert_eq!(late.status, 303, "expired: start again");
}

#[tokio::test]
async fn wrong_codes_lock_out_like_wrong_passwords() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    password_step(&app, "/account").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(send_code(&app, "000000").await.status);
    }
    assert!(statuses.contains(&429), "locked out: {statuses:?}");
    let locked = send_code(&app, &code_at(&key, now(&app))).await;
    assert_eq!(locked.status, 429, "even the right code waits");
    assert!(locked.body.contains("Too many failed sign-ins"));
    // A right password does not reset the lock the codes built up.
    assert_eq!(password_step(&app, "/account").await.status, 429);
}

#[tokio::test]
async fn next_is_kept_through_the_code_into_the_device_consent() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    let (_, user_code) = app.start_flow().await;
    let next = format!("/device?user_code={user_code}");
    password_step(&app, &next).await;
    let done = send_code(&app, &code_at(&key, now(&app))).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some(next.as_str()));
    let consent = app.page(&next).await;
    assert_eq!(consent.status, 200);
    assert!(consent.body.contains(&user_code));
}

#[tokio::test]
async fn turning_it_off_needs_a_code_or_the_password() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    password_step(&app, "/account").await;
    send_code(&app, &code_at(&key, now(&app))).await;
    let account = app.page("/account").await;
    let refused = app
        .submit(
            "/account/two-step/remove",
            &[
                ("csrf_token", &account.csrf()),
                ("code", ""),
                ("password", "wrong"),
            ],
            false,
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("to turn two-step sign-in off"));
    assert!(
        authgate::domain::totp::is_on(&app.core, &app.admin_id)
            .await
            .unwrap()
    );
    let off = app
        .submit(
            "/account/two-step/remove",
            &[
                ("csrf_token", &account.csrf()),
                ("password", ADMIN_PASSWORD),
            ],
            false,
        )
        .await;
    assert_eq!(off.status, 303);
    assert_eq!(count(&app, AuditAction::TotpRemoved).await, 1);
    let account = app.page("/account").await;
    app.submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    let password = password_step(&app, "/account").await;
    assert_eq!(
        password.location(),
        Some("/account"),
        "no code asked any more"
    );
}

#[tokio::test]
async fn wrong_passwords_to_turn_it_off_count_against_the_lock_outs() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    password_step(&app, "/account").await;
    send_code(&app, &code_at(&key, now(&app))).await;
    let account = app.page("/account").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let page = app
            .submit(
                "/account/two-step/remove",
                &[("csrf_token", &account.csrf()), ("password", "guess")],
                false,
            )
            .await;
        statuses.push(page.status);
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(
        authgate::domain::totp::is_on(&app.core, &app.admin_id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_factor_turned_off_meanwhile_sends_the_code_step_back_to_sign_in() {
    let app = TestApp::spawn().await;
    let key = enrolled(&app).await;
    password_step(&app, "/device").await;
    // Turned off elsewhere (an administrator, another session).
    app.core.store.delete_totp(&app.admin_id).await.unwrap();
    let page = send_code(&app, &code_at(&key, now(&app))).await;
    assert_eq!(page.status, 303);
    assert!(page.location().unwrap().starts_with("/login?next="));
    assert_eq!(app.page("/account").await.status, 303, "not signed in");
}

/// Eight submissions of one step at the same moment (as from two
/// instances, or a double-clicked form): the store accepts it once.
#[tokio::test]
async fn a_step_submitted_concurrently_is_accepted_once() {
    use authgate::model::time::UnixSecs;
    use authgate::model::totp::StepUse;
    let app = TestApp::spawn().await;
    enrolled(&app).await;
    let step = now(&app) / 30 + 1;
    let tries = (0..8).map(|_| {
        let store = app.core.store.clone();
        let user = app.admin_id.clone();
        let at = UnixSecs(now(&app));
        tokio::spawn(async move {
            store
                .accept_totp_step(&user, step, StepUse::Verify, at)
                .await
                .unwrap()
        })
    });
    let accepted = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(accepted, 1);
}
