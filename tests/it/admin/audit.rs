//! The audit log: what it records, its filters, pages and retention.

use authgate::model::audit::AuditAction;

use super::audit;
use crate::support::TestApp;

#[tokio::test]
async fn the_audit_log_records_sign_ins_decisions_tokens_and_admin_actions() {
    let app = TestApp::spawn().await;
    // A failed and a successful sign-in, a decision through the page, a token.
    assert_eq!(app.sign_in_as("admin", "wrong-password").await.status, 401);
    app.sign_in().await;
    let (device_code, user_code) = app.start_flow().await;
    let device = app.page("/device").await;
    let decided = app
        .decide_in_browser(&device.csrf(), &user_code, "approve")
        .await;
    assert_eq!(decided.status, 303);
    assert_eq!(app.poll(&device_code).await.status, 200);
    let (_, denied_code) = app.start_flow().await;
    let device = app.page("/device").await;
    app.decide_in_browser(&device.csrf(), &denied_code, "deny")
        .await;
    let csrf = app.page("/admin").await.csrf();
    app.submit(
        "/admin/users",
        &[
            ("csrf_token", &csrf),
            ("username", "erin"),
            ("password", "erin-password-1"),
        ],
        false,
    )
    .await;

    let approved = audit(&app, AuditAction::DeviceApproved).await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(approved[0].target.as_deref(), Some(user_code.as_str()));
    assert_eq!(audit(&app, AuditAction::DeviceDenied).await.len(), 1);

    let log = app.page("/admin/audit").await;
    for words in [
        "Signed in",
        "Sign-in failed",
        "Device approved",
        "Device denied",
        "Token issued",
        "User created",
    ] {
        assert!(log.body.contains(words), "{words} in the log");
    }
    // Filters: a category, an exact action, who acted.
    // Rows show the machine name of their action under its words (the
    // filter's options hold only the words).
    let row = |action: AuditAction| format!(">{action}</div>");
    let admin_only = app.page("/admin/audit?action=admin").await;
    assert!(
        admin_only
            .body
            .contains(&row(AuditAction::AdminUserCreated))
    );
    assert!(!admin_only.body.contains(&row(AuditAction::TokenIssued)));
    let sign_ins = app.page("/admin/audit?action=sign-in").await;
    assert!(sign_ins.body.contains(&row(AuditAction::SignInFailed)));
    assert!(!sign_ins.body.contains(&row(AuditAction::DeviceApproved)));
    let exact = app.page("/admin/audit?action=device.denied").await;
    assert!(exact.body.contains(&row(AuditAction::DeviceDenied)));
    assert!(!exact.body.contains(&row(AuditAction::DeviceApproved)));
    assert!(
        exact
            .body
            .contains(r#"<option value="device.denied" selected>"#)
    );
    let by_admin = app.page("/admin/audit?actor=admin&action=device").await;
    assert!(by_admin.body.contains(&row(AuditAction::DeviceApproved)));
    let by_nobody = app.page("/admin/audit?actor=nobody").await;
    assert!(by_nobody.body.contains("No events."));
    let by_client = app
        .page(&format!("/admin/audit?client={}", app.cli_client_id))
        .await;
    assert!(by_client.body.contains(&row(AuditAction::TokenIssued)));
    assert!(!by_client.body.contains(&row(AuditAction::AdminUserCreated)));
    assert!(log.body.contains("Events are kept for 90 days"));
}

#[tokio::test]
async fn the_audit_log_pages_and_forgets_old_events() {
    // The events below are past retention at once: the periodic cleanup
    // must not remove them before the pages are read (the test runs it).
    let app = TestApp::spawn_with(|c| {
        c.audit_retention = std::time::Duration::from_secs(7 * 86_400);
        c.cleanup_period = None;
    })
    .await;
    app.sign_in().await;
    let now = authgate::clock::Clock::now_secs(app.clock.as_ref());
    for i in 0..120_i64 {
        app.core
            .store
            .insert_audit_event(&authgate::store::NewAuditEvent {
                id: format!("old-{i:03}"),
                at: now - 8 * 86_400 + i,
                ..authgate::store::NewAuditEvent::new(AuditAction::TokenIssued)
            })
            .await
            .unwrap();
    }
    let first = app.page("/admin/audit?action=tokens").await;
    assert!(first.body.contains(r#"rel="next""#), "an older page");
    assert!(first.body.contains("Events are kept for 7 days"));
    let older = {
        let start = first
            .body
            .find(r#"href="/admin/audit?action=tokens&amp;after="#)
            .unwrap()
            + 6;
        let end = first.body[start..].find('"').unwrap() + start;
        first.body[start..end].replace("&amp;", "&")
    };
    let second = app.page(&older).await;
    assert!(second.body.contains(r#"rel="prev""#), "a newer page");
    assert!(second.body.contains(r#"rel="next""#));

    let (codes, tokens) = authgate::tasks::cleanup_once(&app.core).await.unwrap();
    let _ = (codes, tokens);
    let left = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::TokenIssued), 500)
        .await
        .unwrap();
    assert!(left.is_empty(), "events past AUDIT_RETENTION are deleted");
    assert!(
        !audit(&app, AuditAction::SignedIn).await.is_empty(),
        "recent ones stay"
    );
}
