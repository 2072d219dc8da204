//! Sign-in lock-outs and sessions: attempts counted before the password
//! check, locks that an attacker elsewhere cannot turn against the owner,
//! short-lived anonymous sessions, and sessions ended by a new password.

use authgate::domain::admin::{self, Actor, Ctx};
use authgate::domain::throttle;
use authgate::model::audit::AuditAction;

use crate::support::{ADMIN_PASSWORD, Page, TestApp, hidden_field};

/// A fresh browser signing in as `username` from `from` (an address the
/// app believes because it trusts 127.0.0.1 as a proxy).
async fn sign_in_from(app: &TestApp, from: &str, username: &str, password: &str) -> Page {
    let browser = app.reply_client().await;
    let login = browser.get(app.url("/login")).send().await.unwrap();
    let csrf = hidden_field(&login.text().await.unwrap(), "csrf_token").unwrap();
    let resp = browser
        .post(app.url("/login"))
        .header("x-forwarded-for", from)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    TestApp::to_page(resp).await
}

async fn behind_a_proxy() -> TestApp {
    TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await
}

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_account_with_growing_delays() {
    let app = TestApp::spawn().await;
    // Three free failures, then the fourth locks for 2 s.
    for _ in 0..4 {
        assert_eq!(app.sign_in_as("admin", "wrong-password").await.status, 401);
    }
    let locked = app.sign_in_as("admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status, 429, "even the right password waits");
    assert!(locked.body.contains("Too many failed sign-ins"));
    // Unknown accounts are throttled the same way (no enumeration).
    for _ in 0..4 {
        app.sign_in_as("nobody", "wrong-password").await;
    }
    assert_eq!(app.sign_in_as("nobody", "wrong-password").await.status, 429);

    app.advance(3);
    assert_eq!(app.sign_in_as("admin", "wrong-password").await.status, 401);
    assert_eq!(
        app.sign_in_as("admin", ADMIN_PASSWORD).await.status,
        429,
        "now 4 s"
    );
    app.advance(5);
    assert_eq!(app.sign_in().await.status, 303);
    let failed = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::SignInFailed), 50)
        .await
        .unwrap();
    assert_eq!(failed.len(), 9, "only checked attempts are failures");
    assert_eq!(failed[0].ip.as_deref(), Some("127.0.0.1"));
    let ok = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::SignedIn), 5)
        .await
        .unwrap();
    assert_eq!(ok.len(), 1);
}

#[tokio::test]
async fn concurrent_guesses_are_counted_before_the_password_is_checked() {
    let app = TestApp::spawn().await;
    let csrf = app.page("/login").await.csrf();
    let guess = |password: &'static str| {
        let csrf = csrf.clone();
        let app = &app;
        async move {
            app.submit(
                "/login",
                &[
                    ("csrf_token", csrf.as_str()),
                    ("username", "admin"),
                    ("password", password),
                ],
                false,
            )
            .await
            .status
        }
    };
    let statuses = futures::future::join_all((0..40).map(|_| guess("wrong-password"))).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // Three free attempts plus the one that set the lock.
    assert_eq!((checked, refused), (4, 36), "{statuses:?}");
    assert_eq!(guess(ADMIN_PASSWORD).await, 429, "the lock holds");
}

#[tokio::test]
async fn guessing_from_elsewhere_cannot_lock_the_owner_out() {
    let app = behind_a_proxy().await;
    // The owner signs in from home once.
    let home = "198.51.100.7";
    assert_eq!(
        sign_in_from(&app, home, "admin", ADMIN_PASSWORD)
            .await
            .status,
        303
    );
    // Many guesses at the account from twenty other addresses.
    for a in 1..=20 {
        let from = format!("203.0.113.{a}");
        for _ in 0..4 {
            let page = sign_in_from(&app, &from, "admin", "wrong-password").await;
            assert!(matches!(page.status, 401 | 429));
        }
        app.advance(1);
    }
    // The owner at home is not slowed down at all.
    assert_eq!(
        sign_in_from(&app, home, "admin", ADMIN_PASSWORD)
            .await
            .status,
        303
    );
    // From a new address the account-wide backstop makes them wait a few
    // seconds at most, never the fifteen-minute lock.
    let travelling = "192.0.2.50";
    let page = sign_in_from(&app, travelling, "admin", ADMIN_PASSWORD).await;
    if page.status == 429 {
        let wait: u64 = page
            .body
            .split("Try again in ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(wait <= throttle::BACKSTOP_MAX_SECS as u64, "{wait}");
        app.advance(wait);
    }
    assert_eq!(
        sign_in_from(&app, travelling, "admin", ADMIN_PASSWORD)
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn administrators_unlock_accounts_and_a_new_password_clears_locks() {
    let app = behind_a_proxy().await;
    let lock_out = || async {
        for _ in 0..5 {
            sign_in_from(&app, "198.51.100.9", "admin", "wrong-password").await;
        }
        let page = sign_in_from(&app, "198.51.100.9", "admin", ADMIN_PASSWORD).await;
        assert_eq!(page.status, 429);
    };
    // The Unlock action on the user page (signed in from elsewhere).
    lock_out().await;
    app.sign_in().await;
    let user_page = app.page(&format!("/admin/users/{}", app.admin_id)).await;
    assert!(user_page.body.contains("Locked out"), "{}", user_page.body);
    let done = app
        .submit(
            &format!("/admin/users/{}/unlock", app.admin_id),
            &[("csrf_token", &user_page.csrf())],
            false,
        )
        .await;
    assert_eq!(done.status, 303);
    let after = app.page(done.location().unwrap()).await;
    assert!(after.body.contains("Sign-in lock-outs cleared."));
    assert!(after.body.contains("Not locked"));
    assert_eq!(
        sign_in_from(&app, "198.51.100.9", "admin", ADMIN_PASSWORD)
            .await
            .status,
        303
    );
    let audited = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::AdminUserUnlocked), 5)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);

    // Setting a password (as `authgate user set-password` does).
    lock_out().await;
    let ctx = Ctx::of(&app.core);
    admin::set_user_password(
        &ctx,
        &Actor::command_line(),
        &app.admin_id,
        Some("a-brand-new-password".into()),
    )
    .await
    .unwrap();
    let page = sign_in_from(&app, "198.51.100.9", "admin", "a-brand-new-password").await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn a_new_password_ends_every_other_session_of_its_user() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let other = app.reply_client().await;
    let login = other.get(app.url("/login")).send().await.unwrap();
    let csrf = hidden_field(&login.text().await.unwrap(), "csrf_token").unwrap();
    let signed_in = other
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let device = |c: &reqwest::Client| c.get(app.url("/device")).send();
    assert_eq!(device(&other).await.unwrap().status(), 200);

    // The administrator resets their own password on the admin page.
    let form = app
        .page(&format!("/admin/users/{}/password", app.admin_id))
        .await;
    let done = app
        .submit(
            &format!("/admin/users/{}/password", app.admin_id),
            &[
                ("csrf_token", &form.csrf()),
                ("password", "another-long-password"),
            ],
            false,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // This session goes on; the other is signed out.
    assert_eq!(app.page("/device").await.status, 200);
    let other_page = device(&other).await.unwrap();
    assert_eq!(other_page.status(), 303);
    assert!(
        other_page.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn visitors_who_never_sign_in_get_sessions_of_minutes() {
    let app = TestApp::spawn().await;
    let anonymous = app.reply_client().await;
    let page = anonymous.get(app.url("/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("authgate_session="))
        .expect("a session for the sign-in form's CSRF token");
    let max_age: i64 = cookie
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .expect("Max-Age");
    assert!(max_age <= 15 * 60, "{cookie}");
    // Signing in gives the configured lifetime (7 days by default).
    let signed_in = app.sign_in().await;
    let cookie = signed_in.header("set-cookie").unwrap();
    let max_age: i64 = cookie
        .split(';')
        .find_map(|p| p.trim().strip_prefix("Max-Age="))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(max_age > 6 * 24 * 3600, "{cookie}");
}
