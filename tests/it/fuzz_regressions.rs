//! Regressions found while fuzzing (`make fuzz`, tests/it/properties.rs).
//!
//! A NUL character (`%00`) in a client id, a username or a path id must
//! never reach a query. SQLite stores NUL in text, so such a query simply
//! matches nothing; PostgreSQL refuses it ("invalid byte sequence for
//! encoding UTF8: 0x00"), so the query fails and the answer would be a
//! 500. NUL is therefore refused where input enters: OAuth forms
//! (`invalid_request`), HTTP Basic credentials (`invalid_client`), browser
//! forms (a 400 page), grant ids (404) and the admin pages' query strings
//! (a 400 page). These tests run on both engines (`make unit-pg`).

use authgate::model::UserCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::{DEVICE_GRANT, TestApp};

#[tokio::test]
async fn nul_in_oauth_forms_is_invalid_request() {
    let app = TestApp::spawn().await;
    let cases: [(&str, &[(&str, &str)]); 5] = [
        ("/oauth/device/code", &[("client_id", "a\0b")]),
        (
            "/oauth/device/code",
            &[("client_id", "x"), ("scope\0", "read")],
        ),
        (
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", "d"),
                ("client_id", "a\0b"),
            ],
        ),
        ("/oauth/revoke", &[("token", "t"), ("client_id", "\0")]),
        (
            "/oauth/introspect",
            &[("token", "t"), ("client_id", "c\0"), ("client_secret", "s")],
        ),
    ];
    for (path, form) in cases {
        let reply = app.post_form(path, form).await;
        assert_eq!(
            (reply.status, reply.error()),
            (400, "invalid_request"),
            "{path} {form:?}: {:?}",
            reply.json
        );
        let description = reply.json["error_description"].as_str().unwrap();
        assert!(description.contains("NUL"), "{description}");
    }
    // The real client still works afterwards.
    assert_eq!(app.device_code(None).await.status, 200);
}

#[tokio::test]
async fn nul_in_basic_credentials_is_invalid_client() {
    let app = TestApp::spawn().await;
    for raw in [
        format!("{}%00:", app.cli_client_id),
        "a\0b:".to_owned(),
        format!("{}:se%00cret", app.cli_client_id),
    ] {
        let resp = app
            .http
            .post(app.url("/oauth/device/code"))
            .header("authorization", format!("Basic {}", STANDARD.encode(&raw)))
            .form(&[("scope", "read")])
            .send()
            .await
            .unwrap();
        let reply = TestApp::reply(resp).await;
        assert_eq!(
            (reply.status, reply.error()),
            (401, "invalid_client"),
            "{raw:?}: {:?}",
            reply.json
        );
    }
}

#[tokio::test]
async fn nul_in_browser_forms_and_grant_ids_is_refused() {
    let app = TestApp::spawn().await;
    let login = app.page("/login").await;
    let page = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "ad\0min"),
                ("password", "x"),
            ],
            false,
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("not allowed"));

    app.sign_in().await;
    let account = app.page("/account").await;
    let page = app
        .submit(
            "/account/grants/a%00b/revoke",
            &[("csrf_token", &account.csrf())],
            false,
        )
        .await;
    assert_eq!(page.status, 404);
    // The admin pages take ids from the path too.
    for path in ["/admin/users/a%00b", "/admin/clients/a%00b"] {
        assert_eq!(app.page(path).await.status, 404, "{path}");
    }
    assert_eq!(app.get("/health").await.status, 200);
}

/// Every filter of every admin list, and every other parameter the admin
/// pages read from their query string, with a NUL in it: a 400 page on
/// both engines, never a database error.
#[tokio::test]
async fn nul_in_admin_query_strings_is_a_400_page() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let client = app.cli_client_id.clone();
    let cases: &[(&str, &[&str])] = &[
        ("/admin", &["v", "s"]),
        ("/admin/live", &["v", "s"]),
        (
            "/admin/device-codes",
            &["status", "client", "denied", "refused"],
        ),
        ("/admin/device-codes/live", &["status", "client", "v", "s"]),
        (
            "/admin/tokens",
            &["q", "status", "user", "client", "revoked"],
        ),
        ("/admin/tokens/revoke", &["jti", "user", "client"]),
        ("/admin/clients", &["q"]),
        (&format!("/admin/clients/{client}"), &["saved"]),
        ("/admin/users", &["q", "after"]),
        (
            "/admin/audit",
            &["action", "actor", "client", "after", "before"],
        ),
    ];
    let mut wrong = Vec::new();
    for (path, params) in cases {
        for param in *params {
            for query in [
                format!("{param}=a%00b"),
                format!("{param}%00=x&{param}=%00"),
            ] {
                let url = format!("{path}?{query}");
                let page = app.page(&url).await;
                if page.status != 400 || !page.body.contains("not allowed") {
                    wrong.push(format!("{url}: {}", page.status));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "not a 400 page: {wrong:#?}");
    // A page URL an htmx request names (to redraw its table with the
    // page's filters) is read the same way: a NUL in it is not a filter.
    let (_, user_code) = app.start_flow().await;
    let code = app
        .core
        .store
        .find_device_code_by_user_code(&UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    let csrf = app.page("/admin/device-codes").await.csrf();
    let resp = app
        .http
        .post(app.url(&format!("/admin/device-codes/{}/cancel", code.id)))
        .header("HX-Request", "true")
        .header(
            "HX-Current-URL",
            app.url("/admin/device-codes?client=a%00b"),
        )
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(app.page("/admin/users?q=adm").await.status, 200);
}
