//! Recovery codes: shown once when two-step sign-in is turned on, each
//! good for one sign-in in place of a TOTP code (also when raced), wrong
//! ones locked out like wrong passwords, a new set ending the old, gone
//! with the factor; and administrators resetting a person's second
//! factors from the user page and the command line.

use authgate::domain::recovery;
use authgate::domain::user::Role;
use authgate::model::audit::AuditAction;

use crate::admin::command_line::run_binary;
use crate::admin::{Browser, add_user, audit};
use crate::support::{Page, TestApp};
use crate::two_step::{code_at, now, shown_key};

const PASSWORD: &str = "carol-password-1";

/// The codes a page shows in its recovery-code list.
fn codes_on(page: &Page) -> Vec<String> {
    let Some(start) = page.body.find("id=\"recovery-codes-list\"") else {
        return Vec::new();
    };
    let end = page.body[start..]
        .find("</ol>")
        .map_or(page.body.len(), |e| e + start);
    page.body[start..end]
        .split("<code>")
        .skip(1)
        .filter_map(|part| part.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// A person, carol, in a browser of her own.
struct Person {
    id: String,
    browser: Browser,
    key: String,
}

impl Person {
    /// Carol signed in, two-step sign-in turned on; the codes shown.
    async fn enrolled(app: &TestApp) -> (Self, Vec<String>) {
        let id = add_user(app, "carol", PASSWORD, Role::User).await;
        let browser = Browser::new(app);
        assert_eq!(browser.sign_in("carol", PASSWORD).await.status, 303);
        let account = browser.page("/account").await;
        assert!(
            !account.body.contains("id=\"recovery-codes\""),
            "no recovery codes while two-step sign-in is off"
        );
        let started = browser
            .submit(
                "/account/two-step/start",
                &[("csrf_token", &account.csrf())],
            )
            .await;
        assert_eq!(started.status, 303);
        let account = browser.page("/account").await;
        let key = shown_key(&account).expect("the key is shown");
        let on = browser
            .submit(
                "/account/two-step/confirm",
                &[
                    ("csrf_token", &account.csrf()),
                    ("code", &code_at(&key, now(app))),
                ],
            )
            .await;
        assert_eq!(on.status, 200, "{}", on.body);
        assert!(on.body.contains("Two-step sign-in is on"));
        assert!(on.body.contains("only time these codes are shown"));
        assert_eq!(on.header("cache-control"), Some("no-store"));
        let codes = codes_on(&on);
        // The app's next code is in the next step.
        app.advance(30);
        (Self { id, browser, key }, codes)
    }

    async fn sign_out(&self) {
        let page = self.browser.page("/account").await;
        self.browser
            .submit("/logout", &[("csrf_token", &page.csrf())])
            .await;
    }

    /// The password step: on to the code page.
    async fn password(&self) -> Page {
        self.browser.sign_in("carol", PASSWORD).await
    }

    async fn recovery(&self, code: &str) -> Page {
        let page = self.browser.page("/login/code").await;
        assert_eq!(page.status, 200, "the code page is waiting");
        self.browser
            .submit(
                "/login/code/recovery",
                &[("csrf_token", &page.csrf()), ("recovery_code", code)],
            )
            .await
    }

    async fn signed_in(&self) -> bool {
        self.browser.page("/account").await.status == 200
    }
}

#[tokio::test]
async fn turning_two_step_on_shows_ten_codes_once_and_keeps_only_hashes() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    assert_eq!(codes.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 11, "xxxxx-xxxxx: {code}");
        assert_eq!(code.as_bytes()[5], b'-');
    }
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    assert_eq!(
        audit(&app, AuditAction::RecoveryCodesGenerated).await.len(),
        1
    );

    let account = carol.browser.page("/account?two_step=on").await;
    assert!(account.body.contains("10 of 10"), "the count is shown");
    assert!(
        codes.iter().all(|c| !account.body.contains(c.as_str())),
        "the codes are never shown again"
    );
    // What the table holds: an Argon2id hash per code, never the code.
    let stored = app
        .core
        .store
        .unused_recovery_codes(&carol.id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for row in &stored {
        assert!(row.code_hash.starts_with("$argon2id$"), "{}", row.code_hash);
        for code in &codes {
            assert!(!row.code_hash.contains(&code.replace('-', "")));
            assert!(!row.code_hash.contains(code.as_str()));
        }
    }
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    carol.sign_out().await;
    let password = carol.password().await;
    assert_eq!(password.location(), Some("/login/code"));
    let page = carol.browser.page("/login/code").await;
    assert!(page.body.contains("Use a recovery code"));
    assert!(!page.body.contains("<script>"), "no inline script");

    // Typed in capitals, without its dash: still the code.
    let typed = codes[3].replace('-', " ").to_uppercase();
    let used = carol.recovery(&typed).await;
    assert_eq!(used.status, 303, "{}", used.body);
    assert_eq!(used.location(), Some("/device"), "on to next=");
    assert!(carol.signed_in().await);
    let signed_in = audit(&app, AuditAction::SignedIn).await;
    assert_eq!(
        signed_in[0].detail.as_deref(),
        Some("password and recovery code")
    );
    assert_eq!(audit(&app, AuditAction::RecoveryCodeUsed).await.len(), 1);
    let account = carol.browser.page("/account").await;
    assert!(account.body.contains("9 of 10"), "one code fewer");

    // The same code a second time.
    carol.sign_out().await;
    carol.password().await;
    let again = carol.recovery(&codes[3]).await;
    assert_eq!(again.status, 401);
    assert!(again.body.contains("not right, or was already used"));
    assert!(
        again.body.contains("<details id=\"use-recovery-code\""),
        "the recovery form is shown again"
    );
    let field = again.body.find("id=\"recovery-code\"").expect("the field");
    let tag = &again.body[field..field + again.body[field..].find('>').unwrap()];
    assert!(
        tag.contains("autofocus"),
        "the refused field takes the focus"
    );
    assert_eq!(again.body.matches("autofocus").count(), 1);
    assert_eq!(audit(&app, AuditAction::RecoveryCodeFailed).await.len(), 1);
    assert!(!carol.signed_in().await);
    // Another code still works.
    assert_eq!(carol.recovery(&codes[4]).await.status, 303);
}

#[tokio::test]
async fn one_code_raced_from_two_browsers_signs_in_once() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    carol.sign_out().await;
    let other = Browser::new(&app);
    carol.password().await;
    assert_eq!(
        other.sign_in("carol", PASSWORD).await.location(),
        Some("/login/code")
    );
    let mine = carol.browser.page("/login/code").await.csrf();
    let theirs = other.page("/login/code").await.csrf();
    let mine = [("csrf_token", mine.as_str()), ("recovery_code", &codes[0])];
    let theirs = [
        ("csrf_token", theirs.as_str()),
        ("recovery_code", &codes[0]),
    ];
    let (a, b) = tokio::join!(
        carol.browser.submit("/login/code/recovery", &mine),
        other.submit("/login/code/recovery", &theirs),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 401], "exactly one sign-in");
}

/// Eight spends of one stored code at the same moment: the guarded
/// update lets one through.
#[tokio::test]
async fn a_code_spent_concurrently_is_spent_once() {
    use authgate::model::time::UnixSecs;
    let app = TestApp::spawn().await;
    let (carol, _) = Person::enrolled(&app).await;
    let id = app
        .core
        .store
        .unused_recovery_codes(&carol.id)
        .await
        .unwrap()[0]
        .id
        .clone();
    let tries = (0..8).map(|_| {
        let store = app.core.store.clone();
        let (user, id) = (carol.id.clone(), id.clone());
        let at = UnixSecs(now(&app));
        tokio::spawn(async move { store.use_recovery_code(&user, &id, at).await.unwrap() })
    });
    let spent = futures_util::future::join_all(tries)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(spent, 1);
    let left = recovery::count(&app.core, &carol.id).await.unwrap();
    assert_eq!((left.left, left.total), (9, 10));
}

#[tokio::test]
async fn wrong_recovery_codes_lock_out_like_wrong_passwords() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    carol.sign_out().await;
    carol.password().await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(carol.recovery("aaaaa-bbbbb").await.status);
    }
    assert!(statuses.contains(&429), "locked out: {statuses:?}");
    let locked = carol.recovery(&codes[0]).await;
    assert_eq!(locked.status, 429, "even a right code waits");
    assert!(locked.body.contains("Too many failed sign-ins"));
    // The same budget as TOTP codes: the app's code waits too.
    let page = carol.browser.page("/login/code").await;
    let totp = carol
        .browser
        .submit(
            "/login/code",
            &[
                ("csrf_token", &page.csrf()),
                ("code", &code_at(&carol.key, now(&app))),
            ],
        )
        .await;
    assert_eq!(totp.status, 429);
    assert!(!carol.signed_in().await);
    assert_eq!(
        recovery::count(&app.core, &carol.id).await.unwrap().left,
        10,
        "the locked-out right code was not spent"
    );
}

#[tokio::test]
async fn a_new_set_ends_the_old_one() {
    let app = TestApp::spawn().await;
    let (carol, old) = Person::enrolled(&app).await;
    let account = carol.browser.page("/account").await;
    assert!(account.body.contains("New recovery codes"));
    let forged = carol.browser.submit("/account/recovery-codes", &[]).await;
    assert_eq!(forged.status, 403, "CSRF token missing");
    let new = carol
        .browser
        .submit(
            "/account/recovery-codes",
            &[("csrf_token", &account.csrf())],
        )
        .await;
    assert_eq!(new.status, 200);
    assert_eq!(new.header("cache-control"), Some("no-store"));
    let new = codes_on(&new);
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_eq!(
        audit(&app, AuditAction::RecoveryCodesGenerated).await.len(),
        2
    );

    carol.sign_out().await;
    carol.password().await;
    assert_eq!(
        carol.recovery(&old[0]).await.status,
        401,
        "the old set is gone"
    );
    assert_eq!(carol.recovery(&new[0]).await.status, 303);
}

#[tokio::test]
async fn the_last_code_leaves_a_notice_on_the_account_page() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    for code in &codes[..9] {
        recovery::verify(&app.core, &carol.id, "carol", code, None)
            .await
            .unwrap();
    }
    assert!(
        audit(&app, AuditAction::RecoveryCodesExhausted)
            .await
            .is_empty()
    );
    carol.sign_out().await;
    carol.password().await;
    assert_eq!(carol.recovery(&codes[9]).await.status, 303);
    assert_eq!(
        audit(&app, AuditAction::RecoveryCodesExhausted).await.len(),
        1
    );
    let account = carol.browser.page("/account").await;
    assert!(account.body.contains("You have no recovery codes left"));
}

#[tokio::test]
async fn turning_two_step_off_removes_the_codes() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    let account = carol.browser.page("/account").await;
    let off = carol
        .browser
        .submit(
            "/account/two-step/remove",
            &[("csrf_token", &account.csrf()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(off.status, 303);
    let left = recovery::count(&app.core, &carol.id).await.unwrap();
    assert_eq!((left.left, left.total), (0, 0));
    let account = carol.browser.page("/account").await;
    assert!(!account.body.contains("id=\"recovery-codes\""));
    // No new set without the factor.
    let refused = carol
        .browser
        .submit(
            "/account/recovery-codes",
            &[("csrf_token", &account.csrf())],
        )
        .await;
    assert_eq!(refused.status, 303);
    assert_eq!(
        recovery::count(&app.core, &carol.id).await.unwrap().total,
        0
    );
    // Sign-in asks for no code, and the old ones prove nothing.
    carol.sign_out().await;
    assert_eq!(carol.password().await.location(), Some("/device"));
    assert!(
        recovery::verify(&app.core, &carol.id, "carol", &codes[0], None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_recovery_form_needs_its_csrf_token_and_a_password_step() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    carol.sign_out().await;
    // Without a password step: back to sign in.
    let page = carol.browser.page("/login").await;
    let early = carol
        .browser
        .submit(
            "/login/code/recovery",
            &[("csrf_token", &page.csrf()), ("recovery_code", &codes[0])],
        )
        .await;
    assert_eq!(early.status, 303);
    assert!(early.location().unwrap().starts_with("/login?next="));
    carol.password().await;
    let forged = carol
        .browser
        .submit("/login/code/recovery", &[("recovery_code", &codes[0])])
        .await;
    assert_eq!(forged.status, 403);
    assert!(!carol.signed_in().await);
    assert_eq!(
        recovery::count(&app.core, &carol.id).await.unwrap().left,
        10,
        "nothing spent"
    );
}

#[tokio::test]
async fn an_administrator_resets_two_step_sign_in_and_ends_the_sessions() {
    let app = TestApp::spawn().await;
    let (carol, codes) = Person::enrolled(&app).await;
    assert!(carol.signed_in().await);
    app.sign_in().await;
    let user_page = format!("/admin/users/{}", carol.id);
    let page = app.page(&user_page).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"second-factors\""));
    assert!(page.body.contains("10 of 10 left"));
    let reset = format!("/admin/users/{}/factors/reset", carol.id);
    let confirm = app.page(&reset).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Reset two-step sign-in of carol?"));
    let forged = app.submit(&reset, &[], false).await;
    assert_eq!(forged.status, 403, "CSRF token missing");
    assert!(carol.signed_in().await, "nothing happened");

    let done = app
        .submit(&reset, &[("csrf_token", &confirm.csrf())], false)
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location(),
        Some(format!("{user_page}?factors_reset=1").as_str())
    );
    let page = app.page(done.location().unwrap()).await;
    assert!(page.body.contains("Two-step sign-in reset"));
    assert!(!carol.signed_in().await, "her session ended");
    assert!(
        app.page("/admin").await.status == 200,
        "the admin's did not"
    );
    let events = audit(&app, AuditAction::AdminUserFactorsReset).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target.as_deref(), Some("carol"));
    assert!(
        events[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("TOTP removed; 10 recovery codes and 0 passkeys removed"))
    );
    assert!(
        !authgate::domain::totp::is_on(&app.core, &carol.id)
            .await
            .unwrap()
    );
    // The password alone signs her in now; the codes are gone.
    assert_eq!(carol.password().await.location(), Some("/device"));
    assert!(carol.signed_in().await);
    assert!(
        recovery::verify(&app.core, &carol.id, "carol", &codes[0], None)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_command_line_resets_two_step_sign_in() {
    let app = TestApp::spawn().await;
    let (carol, _) = Person::enrolled(&app).await;
    let db = app.dir.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        run_binary(&db, &["user", "reset-factors", "carol"], None)
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "two-step sign-in of carol reset: authenticator app removed, 10 recovery codes and 0 passkeys removed, browser sessions ended"
    );
    assert!(
        !authgate::domain::totp::is_on(&app.core, &carol.id)
            .await
            .unwrap()
    );
    assert_eq!(
        recovery::count(&app.core, &carol.id).await.unwrap().total,
        0
    );
    let events = audit(&app, AuditAction::AdminUserFactorsReset).await;
    assert!(
        events[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.ends_with("(command line)"))
    );
    let db = app.dir.clone();
    let (ok, _, err) = tokio::task::spawn_blocking(move || {
        run_binary(&db, &["user", "reset-factors", "nobody"], None)
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(err.contains("no user named"), "{err}");
}
