//! The browser journey over HTTP: sign-in, code entry, consent, decision,
//! result pages, CSRF and session rules.

use crate::support::{ADMIN_PASSWORD, TestApp};

#[tokio::test]
async fn signed_out_visit_to_device_goes_to_sign_in_and_back() {
    let app = TestApp::spawn().await;
    let page = app.page("/device?user_code=BCDF-GHJK").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location(),
        Some("/login?next=%2Fdevice%3Fuser_code%3DBCDF-GHJK")
    );

    let login = app.page(page.location().unwrap()).await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains(r#"<label for="username""#));
    assert!(login.body.contains(">Username</label>"));
    assert!(login.body.contains(">Password</label>"));
    assert!(login.body.contains("Sign in"));
    assert!(
        login
            .body
            .contains(r#"name="next" value="/device?user_code=BCDF-GHJK""#)
    );

    let done = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "/device?user_code=BCDF-GHJK"),
            ],
            false,
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("/device?user_code=BCDF-GHJK"));
    let device = app.page("/device?user_code=bcdfghjk").await;
    assert_eq!(device.status, 200);
    assert!(
        device.body.contains(r#"value="BCDF-GHJK""#),
        "pre-filled and normalised"
    );
    assert!(device.body.contains(">Code</label>"));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_message() {
    let app = TestApp::spawn().await;
    let wrong = app.sign_in_as("admin", "not-the-password").await;
    let unknown = app.sign_in_as("nobody", "not-the-password").await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, 401);
        assert!(page.body.contains("Incorrect username or password."));
        assert!(page.body.contains(r#"role="alert""#));
    }
}

#[tokio::test]
async fn open_redirects_are_refused() {
    let app = TestApp::spawn().await;
    for evil in [
        "//evil.example/x",
        "https://evil.example",
        "/\\evil.example",
    ] {
        let login = app.page("/login").await;
        let page = app
            .submit(
                "/login",
                &[
                    ("csrf_token", &login.csrf()),
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("next", evil),
                ],
                false,
            )
            .await;
        assert_eq!(page.location(), Some("/device"), "{evil}");
        let out = app.page("/device").await;
        app.submit("/logout", &[("csrf_token", &out.csrf())], false)
            .await;
    }
}

#[tokio::test]
async fn forged_posts_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let _ = app.page("/login").await;
    let page = app
        .submit(
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
            false,
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("Request refused"));
    let page = app
        .submit(
            "/login",
            &[
                ("csrf_token", "forged"),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
            false,
        )
        .await;
    assert_eq!(page.status, 403);

    // Signed in, a forged approval changes nothing.
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let page = app
        .submit(
            "/device/decision",
            &[
                ("user_code", &user_code),
                ("decision", "approve"),
                ("csrf_token", "x"),
            ],
            false,
        )
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    // So does a forged sign-out.
    let page = app.submit("/logout", &[], false).await;
    assert_eq!(page.status, 403);
    assert_eq!(app.page("/device").await.status, 200, "still signed in");
}

#[tokio::test]
async fn session_id_is_renewed_at_sign_in_and_destroyed_at_sign_out() {
    let app = TestApp::spawn().await;
    let login = app.page("/login").await;
    let before = app
        .session_cookie(login.header("set-cookie").expect("anonymous session"))
        .unwrap();
    let cookie_header = login.header("set-cookie").unwrap().to_owned();
    assert!(cookie_header.contains("HttpOnly"));
    assert!(cookie_header.contains("SameSite=Lax"));
    assert!(!cookie_header.contains("Secure"), "plain http in tests");

    let signed_in = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
            ],
            false,
        )
        .await;
    let after = app
        .session_cookie(signed_in.header("set-cookie").expect("new cookie"))
        .unwrap();
    assert_ne!(before, after, "no session fixation");

    // The pre-login session id is worth nothing now.
    let fixated = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = fixated
        .get(app.url("/device"))
        .header("cookie", format!("authgate_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);

    let device = app.page("/device").await;
    let out = app
        .submit("/logout", &[("csrf_token", &device.csrf())], false)
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), Some("/login?signed_out=1"));
    // Replaying the old cookie after sign-out does not work: destroyed server-side.
    let resp = fixated
        .get(app.url("/device"))
        .header("cookie", format!("authgate_session={after}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
}

#[tokio::test]
async fn secure_cookies_behind_https() {
    let app = TestApp::spawn_with(|c| c.base_url = "https://auth.example.com".into()).await;
    let login = app.page("/login").await;
    assert!(login.header("set-cookie").unwrap().contains("Secure"));
    assert!(login.header("strict-transport-security").is_some());
}

#[tokio::test]
async fn code_entry_consent_and_approval() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let device = app.page("/device").await;

    // Unknown code: the field again with an inline error, as a fragment.
    let page = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", "zzzz-zzzz")],
            true,
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(!page.body.contains("<html"), "htmx gets a fragment");
    assert!(page.body.contains("That code is not valid"));
    assert!(page.body.contains(r#"aria-invalid="true""#));
    assert_eq!(page.header("vary"), Some("HX-Request"));

    // Forgiving entry: lower case, spaces instead of the dash.
    let typed = user_code.to_lowercase().replace('-', " ");
    let page = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", &typed)],
            true,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Authorize AuthGate CLI?"));
    assert!(
        page.body.contains(&user_code),
        "the code is echoed for matching"
    );
    assert!(
        page.body.contains("authgate-tests 1.0"),
        "the requesting tool"
    );
    assert!(page.body.contains("127.0.0.1"), "the requesting address");
    assert!(page.body.contains("just now"));
    assert!(page.body.contains("Read your data"));
    assert!(page.body.contains("admin"), "the signed-in account");
    assert!(page.body.contains(">Approve</button>") || page.body.contains("Approve"));
    assert!(page.body.contains("Deny"));

    // Without htmx the same step is a full page.
    let full = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", &user_code)],
            false,
        )
        .await;
    assert!(full.body.starts_with("<!DOCTYPE html>"));

    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    let done = app
        .decide_in_browser(&device.csrf(), &user_code, "approve")
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("/device/approved"));
    let result = app.page("/device/approved").await;
    assert!(result.body.contains("You can return to your device"));
    assert!(result.body.contains("Authorize another device"));
    assert!(result.body.contains("Sign out"));
    app.advance(5);
    assert_eq!(app.poll(&device_code).await.status, 200);

    // The code is used up now.
    let again = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", &user_code)],
            true,
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("already been used"));
}

#[tokio::test]
async fn denial_reaches_the_device_at_once() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let device = app.page("/device").await;
    let done = app
        .decide_in_browser(&device.csrf(), &user_code, "deny")
        .await;
    assert_eq!(done.location(), Some("/device/denied"));
    assert!(
        app.page("/device/denied")
            .await
            .body
            .contains("Request denied")
    );
    assert_eq!(app.poll(&device_code).await.error(), "access_denied");
}

#[tokio::test]
async fn expired_codes_show_inline_and_on_decision() {
    let app = TestApp::spawn_with(|c| c.device_code_ttl = std::time::Duration::from_secs(60)).await;
    app.sign_in().await;
    let (_, user_code) = app.start_flow().await;
    let device = app.page("/device").await;
    // The consent view is open while the code runs out.
    let consent = app.consent_view(&device.csrf(), &user_code).await;
    app.advance(61);
    let page = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", &user_code)],
            true,
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("expired"));
    let done = app
        .submit(
            "/device/decision",
            &[
                ("csrf_token", &device.csrf()),
                ("consent", &consent.consent()),
                ("decision", "approve"),
            ],
            false,
        )
        .await;
    assert_eq!(done.location(), Some("/device/expired"));
    assert!(
        app.page("/device/expired")
            .await
            .body
            .contains("Code expired")
    );
}

#[tokio::test]
async fn pages_are_framed_by_nobody_and_errors_are_styled() {
    let app = TestApp::spawn().await;
    let login = app.page("/login").await;
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    let csp = login.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(login.header("referrer-policy"), Some("no-referrer"));
    assert!(!login.body.contains("<script>"), "no inline script");
    assert!(
        !login.body.contains("livereload"),
        "no reload script without --dev"
    );

    let missing = app.page("/no/such/page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.starts_with("<!DOCTYPE html>"));
    assert!(missing.body.contains("Page not found"));

    let result = app.page("/device/whatever").await;
    assert_eq!(result.status, 303, "signed-out first goes to sign-in");
}

#[tokio::test]
async fn assets_are_embedded_and_versioned() {
    let app = TestApp::spawn().await;
    let login = app.page("/login").await;
    let start = login.body.find("/assets/app.css?v=").unwrap();
    let href = &login.body[start..start + login.body[start..].find('"').unwrap()];
    let css = app.http.get(app.url(href)).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(login.body.contains("/assets/htmx.min.js?v="));
    let js = app
        .http
        .get(app.url("/assets/htmx.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    let missing = app
        .http
        .get(app.url("/assets/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn dev_mode_injects_live_reload_into_pages_but_not_fragments() {
    let app = TestApp::spawn_with(|c| c.dev = true).await;
    let login = app.page("/login").await;
    assert!(
        login.body.contains("data-event-stream"),
        "reload script injected"
    );
    assert!(
        login
            .header("content-security-policy")
            .unwrap()
            .contains("'unsafe-inline'")
    );
    app.sign_in().await;
    let device = app.page("/device").await;
    let fragment = app
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", "zzzz-zzzz")],
            true,
        )
        .await;
    assert_eq!(fragment.status, 422);
    assert!(
        !fragment.body.contains("data-event-stream"),
        "htmx fragments stay clean"
    );
}

#[tokio::test]
async fn result_pages_show_only_this_sessions_own_decision() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    for outcome in ["approved", "denied", "expired"] {
        let page = app.page(&format!("/device/{outcome}")).await;
        assert_eq!(page.status, 303, "{outcome} without a decision");
        assert_eq!(page.location(), Some("/device"));
    }
    let (_, user_code) = app.start_flow().await;
    let device = app.page("/device").await;
    app.decide_in_browser(&device.csrf(), &user_code, "deny")
        .await;
    assert_eq!(app.page("/device/denied").await.status, 200);
    assert_eq!(app.page("/device/approved").await.status, 303);
}

#[tokio::test]
async fn sign_in_notice_only_when_returning_to_a_device() {
    let app = TestApp::spawn().await;
    assert!(
        !app.page("/login")
            .await
            .body
            .contains("connect your device")
    );
    assert!(
        !app.page("/login?next=https://evil.example")
            .await
            .body
            .contains("connect your device")
    );
    assert!(
        app.page("/login?next=%2Fdevice")
            .await
            .body
            .contains("connect your device")
    );
    app.sign_in().await;
    let device = app.page("/device").await;
    let out = app
        .submit("/logout", &[("csrf_token", &device.csrf())], false)
        .await;
    assert_eq!(out.location(), Some("/login?signed_out=1"));
    assert!(
        app.page("/login?signed_out=1")
            .await
            .body
            .contains("You have signed out.")
    );
}

#[tokio::test]
async fn account_lists_and_revokes_the_users_own_grants() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let empty = app.page("/account").await;
    assert!(empty.body.contains("No device has access"));

    let t = app.issue_tokens().await;
    let account = app.page("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("AuthGate CLI"));
    assert!(account.body.contains("authgate-tests 1.0"));
    assert!(account.body.contains("Read your data"));
    let marker = "/account/grants/";
    let start = account.body.find(marker).unwrap();
    let action = &account.body[start..start + account.body[start..].find('"').unwrap()];

    // Another user cannot revoke it.
    authgate::domain::user::create(
        &app.core,
        "mallory",
        "mallory-password",
        authgate::domain::user::Role::User,
    )
    .await
    .unwrap();
    let other = TestApp::reply_client(&app).await;
    let login = TestApp::to_page(other.get(app.url("/login")).send().await.unwrap()).await;
    TestApp::to_page(
        other
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", login.csrf().as_str()),
                ("username", "mallory"),
                ("password", "mallory-password"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mallory_page = TestApp::to_page(other.get(app.url("/account")).send().await.unwrap()).await;
    let stolen = TestApp::to_page(
        other
            .post(app.url(action))
            .form(&[("csrf_token", mallory_page.csrf().as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stolen.status, 404);
    assert_eq!(app.tokeninfo(&t.access).await.status, 200);

    let done = app
        .submit(action, &[("csrf_token", &account.csrf())], false)
        .await;
    assert_eq!(done.location(), Some("/account?revoked=1"));
    assert_eq!(app.tokeninfo(&t.access).await.status, 401);
    assert_eq!(app.refresh(&t.refresh, None).await.error(), "invalid_grant");
    let after = app.page("/account?revoked=1").await;
    assert!(after.body.contains("Access revoked"));
    assert!(after.body.contains("No device has access"));
}
