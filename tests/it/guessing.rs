//! User-code guessing (RFC 8628 §5.1): every way from typed text to a
//! pending code is limited, only guesses are charged, and the decision
//! endpoint takes a consent ticket bound to its session, never a code.

use authgate::domain::Error;
use authgate::domain::code_guard::{self, CODE_GUESS_WINDOW_SECS, Guesser};
use authgate::model::audit::AuditAction;

use crate::support::{Page, TestApp};

/// Enters `typed` on the verification page as htmx does.
async fn enter(app: &TestApp, csrf: &str, typed: &str) -> Page {
    app.submit(
        "/device",
        &[("csrf_token", csrf), ("user_code", typed)],
        true,
    )
    .await
}

async fn guesses_audited(app: &TestApp) -> usize {
    app.core
        .store
        .recent_audit_events(Some(AuditAction::CodeEntryFailed), 500)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_decision_endpoint_takes_no_user_code() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let csrf = app.page("/device").await.csrf();
    for form in [
        vec![("user_code", user_code.as_str())],
        vec![("consent", user_code.as_str())],
        vec![("consent", "forged.ticket")],
        vec![],
    ] {
        let mut form = form;
        form.extend([("csrf_token", csrf.as_str()), ("decision", "approve")]);
        let page = app.submit("/device/decision", &form, false).await;
        assert_eq!(page.status, 422, "{form:?}");
        assert!(page.body.contains("Enter the code from your device again"));
    }
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending",
        "nothing was approved"
    );
}

#[tokio::test]
async fn a_consent_ticket_serves_only_its_session_and_only_for_a_while() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let csrf = app.page("/device").await.csrf();
    let ticket = app.consent_view(&csrf, &user_code).await.consent();
    assert!(!ticket.contains(&user_code.replace('-', "")), "opaque");

    // Another browser signed in as the same person cannot use it.
    let other = TestApp::spawn_in(app.dir.clone(), |_| {}).await;
    other.sign_in().await;
    let other_csrf = other.page("/device").await.csrf();
    let page = other
        .submit(
            "/device/decision",
            &[
                ("csrf_token", &other_csrf),
                ("consent", &ticket),
                ("decision", "approve"),
            ],
            false,
        )
        .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );

    // Past its ten minutes it is refused; a fresh one works.
    app.advance(601);
    let decide = |ticket: String| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.submit(
                "/device/decision",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("consent", ticket.as_str()),
                    ("decision", "approve"),
                ],
                false,
            )
            .await
        }
    };
    assert_eq!(decide(ticket).await.status, 422);
    let fresh = app.consent_view(&csrf, &user_code).await.consent();
    let done = decide(fresh.clone()).await;
    assert_eq!(done.location(), Some("/device/approved"));
    // Sent again (an answer lost to an outage): confirmed, not decided twice.
    let again = decide(fresh).await;
    assert_eq!(again.location(), Some("/device/approved"));
    let approvals = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::DeviceApproved), 5)
        .await
        .unwrap();
    assert_eq!(approvals.len(), 1);
    other.shutdown().await;
}

#[tokio::test]
async fn guesses_are_limited_per_session_audited_and_told_when_to_retry() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();
    for i in 0..5 {
        let page = enter(&app, &csrf, "BCDF-GHJK").await;
        assert_eq!(page.status, 422, "guess {i}");
    }
    let page = enter(&app, &csrf, "BCDF-GHJK").await;
    assert_eq!(page.status, 429);
    assert!(page.body.contains("Too many attempts. Wait 12 seconds"));
    assert!(page.body.contains(r#"role="alert""#));
    assert_eq!(page.header("retry-after"), Some("12"));
    assert_eq!(guesses_audited(&app).await, 5, "each guess is audited");
    // Even a real code waits: the limit is on the session, not the code.
    let (_, user_code) = app.start_flow().await;
    assert_eq!(enter(&app, &csrf, &user_code).await.status, 429);
    app.advance(12);
    assert_eq!(enter(&app, &csrf, &user_code).await.status, 200);
    // Text that cannot be a code is refused without charge.
    for _ in 0..10 {
        assert_eq!(enter(&app, &csrf, "not a code").await.status, 422);
    }
    assert_eq!(guesses_audited(&app).await, 5);
}

#[tokio::test]
async fn approving_many_devices_is_never_refused() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();
    // A typo first, then twenty devices in ten minutes.
    assert_eq!(enter(&app, &csrf, "BCDF-GHJK").await.status, 422);
    for i in 0..20 {
        let (device_code, user_code) = app.start_flow().await;
        let done = app.decide_in_browser(&csrf, &user_code, "approve").await;
        assert_eq!(done.location(), Some("/device/approved"), "device {i}");
        assert_eq!(app.poll(&device_code).await.status, 200);
        app.advance(30);
    }
    // Codes that exist but cannot be used are not guesses either.
    let (_, expired) = app.start_flow().await;
    app.advance(31 * 60);
    for _ in 0..10 {
        let page = enter(&app, &csrf, &expired).await;
        assert!(page.body.contains("has expired"), "{}", page.body);
    }
    assert_eq!(guesses_audited(&app).await, 1);
}

#[tokio::test]
async fn concurrent_guesses_cannot_overrun_the_budget() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();
    let tries = (0..30).map(|_| enter(&app, &csrf, "BCDF-GHJK"));
    let statuses: Vec<u16> = futures::future::join_all(tries)
        .await
        .into_iter()
        .map(|p| p.status)
        .collect();
    let checked = statuses.iter().filter(|s| **s == 422).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 25), "{statuses:?}");
    assert_eq!(guesses_audited(&app).await, 5);
}

/// Guesses by `n` different people, straight through the guard, as if
/// from many sessions, accounts and addresses.
async fn guess_from_many(app: &TestApp, n: usize) {
    for i in 0..n {
        let session = format!("session-{i}");
        let user = format!("user-{i}");
        let who = Guesser {
            session: &session,
            user_id: &user,
            ip: None,
        };
        let err = code_guard::find_pending(&app.core, &who, "BCDF-GHJK")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::UnknownUserCode), "{err:?}");
    }
}

#[tokio::test]
async fn the_global_cap_closes_for_a_bounded_time_and_says_until_when() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = app.page("/device").await.csrf();
    let (_, user_code) = app.start_flow().await;
    // One live code: the cap is 11 guesses per five minutes.
    assert_eq!(code_guard::guess_cap(1), 11);
    guess_from_many(&app, 6).await;
    app.advance(100);
    guess_from_many(&app, 5).await;
    let closed = enter(&app, &csrf, &user_code).await;
    assert_eq!(closed.status, 429, "even a real code waits");
    let wait = CODE_GUESS_WINDOW_SECS - 100;
    assert_eq!(
        closed.header("retry-after"),
        Some(wait.to_string().as_str())
    );
    assert!(closed.body.contains(&format!("Wait {wait} seconds")));
    // When the first guess leaves the window the count is under the cap.
    app.advance(u64::try_from(wait).unwrap() - 1);
    assert_eq!(
        enter(&app, &csrf, &user_code).await.header("retry-after"),
        Some("1")
    );
    app.advance(1);
    assert_eq!(enter(&app, &csrf, &user_code).await.status, 200);
    // Twelve more live codes raise the cap by one.
    for _ in 0..12 {
        app.start_flow().await;
    }
    assert_eq!(code_guard::guess_cap(13), 12);
    guess_from_many(&app, 1).await;
    assert_eq!(enter(&app, &csrf, &user_code).await.status, 200);
}

#[tokio::test]
async fn guessing_from_one_ipv6_network_shares_one_budget() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.rate_limit_device_code = 0;
    })
    .await;
    // Enough live codes that the global cap (21) is not what refuses.
    for _ in 0..132 {
        app.start_flow().await;
    }
    assert_eq!(code_guard::guess_cap(132), 21);
    let mut refused_at = None;
    // Five accounts, each with budgets of its own, guessing from
    // addresses of one /64: that network's budget is 20 guesses.
    for account in 0..5u16 {
        let name = format!("guesser{account}");
        authgate::domain::user::create(
            &app.core,
            &name,
            "guesser-password",
            authgate::domain::user::Role::User,
        )
        .await
        .unwrap();
        let browser = app.reply_client().await;
        let from = |i: u16| format!("2001:db8:7:7:{account}::{i}");
        let csrf = |body: &str| crate::support::hidden_field(body, "csrf_token").unwrap();
        let login = browser.get(app.url("/login")).send().await.unwrap();
        let login = csrf(&login.text().await.unwrap());
        let signed_in = browser
            .post(app.url("/login"))
            .header("x-forwarded-for", from(100))
            .form(&[
                ("csrf_token", login.as_str()),
                ("username", name.as_str()),
                ("password", "guesser-password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 303);
        let device = browser.get(app.url("/device")).send().await.unwrap();
        let token = csrf(&device.text().await.unwrap());
        for i in 0..5u16 {
            let page = browser
                .post(app.url("/device"))
                .header("x-forwarded-for", from(i))
                .header("hx-request", "true")
                .form(&[("csrf_token", token.as_str()), ("user_code", "BCDF-GHJK")])
                .send()
                .await
                .unwrap();
            if page.status() == 429 && refused_at.is_none() {
                refused_at = Some((account, i));
            }
        }
    }
    assert_eq!(
        refused_at,
        Some((4, 0)),
        "the 21st guess from one /64 waits"
    );
    assert_eq!(guesses_audited(&app).await, 20);
}
