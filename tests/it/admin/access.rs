//! Who reaches the dashboard: signed-out visitors, non-administrators,
//! forged forms, and the pages administrators see.

use authgate::domain::user::Role;

use super::{Browser, add_user, admin_app, admin_routes, state_of};
use crate::support::{ADMIN_PASSWORD, TestApp};

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_come_back() {
    let app = TestApp::spawn().await;
    for (method, path) in admin_routes(&app) {
        let page = if method == "GET" {
            app.page(&path).await
        } else {
            app.submit(&path, &[("csrf_token", "x")], false).await
        };
        assert_eq!(page.status, 303, "{method} {path}");
        assert!(
            page.location().unwrap().starts_with("/login?next=%2Fadmin"),
            "{method} {path}: {:?}",
            page.location()
        );
    }
    // A live part polled by htmx after the session ended loads sign-in as a page.
    let resp = app
        .http
        .get(app.url("/admin/live"))
        .header("HX-Request", "true")
        .header(
            "HX-Current-URL",
            app.url("/admin/device-codes?status=pending"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        resp.headers()["hx-redirect"],
        "/login?next=%2Fadmin%2Fdevice-codes%3Fstatus%3Dpending"
    );

    // After sign-in the administrator lands where they were going.
    let login = app.page("/login?next=%2Fadmin%2Ftokens").await;
    let done = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "/admin/tokens"),
            ],
            false,
        )
        .await;
    assert_eq!(done.location(), Some("/admin/tokens"));
}

#[tokio::test]
async fn non_administrators_are_refused_on_every_route_and_action() {
    let app = TestApp::spawn().await;
    add_user(&app, "bob", "bob-password-1", Role::User).await;
    let bob = Browser::new(&app);
    assert_eq!(bob.sign_in("bob", "bob-password-1").await.status, 303);
    let device = bob.page("/device").await;
    assert!(!device.body.contains(r#"href="/admin""#), "no admin link");
    let csrf = device.csrf();
    let (_, user_code) = app.start_flow().await;
    let code = app
        .core
        .store
        .find_device_code_by_user_code(&authgate::model::UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    let token = app.issue_token().await;

    for (method, path) in admin_routes(&app) {
        let path = path.replace("some-code", &code.id);
        let page = if method == "GET" {
            bob.page(&path).await
        } else {
            // Every field an action could want, with a valid CSRF token:
            // only the role stands in the way.
            bob.submit(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("client", &app.cli_client_id),
                    ("name", "Taken over"),
                    ("scopes", "read"),
                    ("username", "mallory"),
                    ("password", "mallory-password"),
                    ("admin", "on"),
                    ("role", "user"),
                ],
            )
            .await
        };
        assert_eq!(page.status, 403, "{method} {path}");
        assert!(page.body.contains("Administrators only"), "{method} {path}");
        assert!(
            page.body.contains("Signed in as"),
            "styled page with the header"
        );
    }
    // Nothing changed.
    assert_eq!(state_of(&app, &code).await, "pending");
    assert_eq!(app.tokeninfo(&token).await.status, 200);
    let cli = app
        .core
        .store
        .find_client(&app.cli_client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!cli.disabled);
    assert_eq!(cli.name, "AuthGate CLI");
    let admin = app
        .core
        .store
        .find_user_by_id(&app.admin_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(!admin.disabled);
    assert!(
        app.core
            .store
            .find_user_by_username("mallory")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.core
            .store
            .recent_audit_events(None, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| !e.action.starts_with("admin.")),
        "no admin action recorded"
    );
    // A live poll of a demoted administrator reloads the page to show the 403.
    let resp = bob
        .http
        .get(format!("{}/admin/live", app.base))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["hx-refresh"], "true");
}

#[tokio::test]
async fn every_admin_action_needs_the_session_csrf_token() {
    let (app, _) = admin_app().await;
    let (_, user_code) = app.start_flow().await;
    let code = app
        .core
        .store
        .find_device_code_by_user_code(&authgate::model::UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    for (method, path) in admin_routes(&app) {
        if method != "POST" {
            continue;
        }
        let path = path.replace("some-code", &code.id);
        for csrf in [None, Some("forged")] {
            let mut form = vec![("client", app.cli_client_id.as_str()), ("role", "user")];
            form.extend(csrf.map(|c| ("csrf_token", c)));
            let page = app.submit(&path, &form, false).await;
            assert_eq!(page.status, 403, "{path} with {csrf:?}");
            assert!(page.body.contains("Request refused"), "{path}");
        }
    }
    assert_eq!(state_of(&app, &code).await, "pending");
    let cli = app
        .core
        .store
        .find_client(&app.cli_client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!cli.disabled);
    assert!(
        app.core
            .store
            .recent_audit_events(None, 100)
            .await
            .unwrap()
            .iter()
            .all(|e| !e.action.starts_with("admin.")),
        "nothing happened"
    );
}

#[tokio::test]
async fn administrators_see_every_page_and_the_header_link() {
    let (app, _) = admin_app().await;
    let device = app.page("/device").await;
    assert!(
        device.body.contains(r#"href="/admin""#),
        "admin link in the header"
    );
    for (method, path) in admin_routes(&app) {
        // Live parts are fragments; one's own disable page refuses, and
        // the CLI client is public: no secret to rotate, no keys to replace.
        let skip = path.ends_with("/live")
            || path.ends_with("/secret")
            || path.ends_with("/keys")
            || path.ends_with("/disable") && path.contains("/users/");
        if method != "GET" || skip {
            continue;
        }
        let page = app.page(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(
            page.body.contains(r#"aria-label="Administration""#),
            "{path}"
        );
        assert_eq!(page.header("cache-control"), Some("no-store"), "{path}");
        assert!(page.body.contains("max-w-7xl"), "{path}: the wide layout");
    }
    // The overview counts and links to its lists.
    let (_, user_code) = app.start_flow().await;
    app.issue_token().await;
    let overview = app.page("/admin").await;
    assert!(overview.body.contains(r#"hx-trigger="every 5s""#));
    assert!(overview.body.contains(r#"aria-live="polite""#));
    assert!(
        overview
            .body
            .contains("1 pending device request, 1 active token.")
    );
    assert!(
        overview
            .body
            .contains(r#"href="/admin/device-codes?status=pending""#)
    );
    let codes = app.page("/admin/device-codes").await;
    assert!(codes.body.contains(&user_code));
    // "Approved" lists what the overview counts: also codes already
    // exchanged for their token.
    let approved = app.page("/admin/device-codes?status=approved").await;
    assert!(approved.body.contains("Token issued"));
    assert!(!approved.body.contains(&user_code));
    let pending = app.page("/admin/device-codes?status=pending").await;
    assert!(pending.body.contains(&user_code));
    assert!(!pending.body.contains("Token issued"));
    assert!(
        codes.body.contains("authgate-tests 1.0"),
        "the requesting tool"
    );
    assert!(codes.body.contains("127.0.0.1"), "the requesting address");
    // Decided or expired codes are no longer pending.
    app.decide(&user_code, authgate::model::Decision::Deny)
        .await;
    app.start_flow().await;
    let overview = app.page("/admin").await;
    assert!(overview.body.contains("1 pending device request,"));
    app.advance(30 * 60);
    let overview = app.page("/admin").await;
    assert!(
        overview.body.contains("0 pending device requests,"),
        "{}",
        overview.body
    );
}
