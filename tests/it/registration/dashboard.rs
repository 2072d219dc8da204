//! The dashboard: pending clients listed first with a count, the client
//! page showing the registration, Approve (with resources) and Reject
//! (after a confirmation) as CSRF-checked POSTs, both audited; and the
//! same decisions from the command line.

use authgate::cli::RegistrationMode;
use authgate::model::audit::AuditAction;

use super::{device_code, device_metadata, mcp_metadata, register, registered, spawn};
use crate::admin::audit;
use crate::admin::command_line::run_binary;

#[tokio::test]
async fn an_administrator_sees_the_registration_and_approves_or_rejects_it() {
    let app = spawn(RegistrationMode::Open).await;
    let mut body = mcp_metadata();
    body["client_name"] = serde_json::json!("Zed <agent>");
    body["grant_types"] = serde_json::json!(["authorization_code", super::DEVICE_GRANT]);
    let (approve_me, _) = registered(&app, &body).await;
    let (reject_me, _) = registered(&app, &device_metadata()).await;
    assert_eq!(audit(&app, AuditAction::ClientRegistered).await.len(), 2);
    app.sign_in().await;

    let list = app.page("/admin/clients").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("data-testid=\"pending-clients\""),
        "{}",
        list.body
    );
    assert!(list.body.contains("clients wait for your approval"));
    let first_pending = list.body.find("Pending approval").unwrap();
    let cli = list.body.find("AuthGate CLI").unwrap();
    assert!(
        first_pending < cli,
        "pending clients come first despite their names"
    );
    assert!(list.body.contains("Zed &lt;agent&gt;"), "escaped");

    let page = app.page(&format!("/admin/clients/{approve_me}")).await;
    assert_eq!(page.status, 200);
    for shown in [
        "Registered itself",
        "127.0.0.1",
        "authgate-tests/1.0",
        "agent-kit 1.2.3",
        "ops@agent.example",
        "https://agent.example",
        "http://127.0.0.1:33418/callback",
        "authorization_code",
        "none",
        "Approve",
        "Reject",
    ] {
        assert!(page.body.contains(shown), "{shown} on the client page");
    }
    let csrf = page.csrf();
    let approve = format!("/admin/clients/{approve_me}/approve");

    // No CSRF token: refused, still pending.
    let refused = app.submit(&approve, &[("resources", "")], false).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        device_code(&app, &approve_me).await.error(),
        "invalid_client"
    );

    // A bad resource: the page again with the problem, still pending.
    let bad = app
        .submit(
            &approve,
            &[("csrf_token", &csrf), ("resources", "not-a-uri")],
            false,
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("not-a-uri"));
    assert_eq!(
        device_code(&app, &approve_me).await.error(),
        "invalid_client"
    );

    let done = app
        .submit(
            &approve,
            &[
                ("csrf_token", &csrf),
                ("resources", "https://api.example/mcp"),
            ],
            false,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        device_code(&app, &approve_me).await.status,
        200,
        "usable at once"
    );
    let client = app
        .core
        .store
        .find_client(&approve_me)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.resources, ["https://api.example/mcp"]);
    let events = audit(&app, AuditAction::AdminClientApproved).await;
    assert_eq!(events.len(), 1);
    let detail = events[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("https://api.example/mcp") && detail.contains("agent-kit"),
        "{detail}"
    );
    let again = app
        .submit(&approve, &[("csrf_token", &csrf), ("resources", "")], false)
        .await;
    assert_eq!(again.status, 403, "decided already: {}", again.body);

    let confirm = app
        .page(&format!("/admin/clients/{reject_me}/reject"))
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Reject client"));
    let rejected = app
        .submit(
            &format!("/admin/clients/{reject_me}/reject"),
            &[("csrf_token", &confirm.csrf())],
            false,
        )
        .await;
    assert_eq!(rejected.status, 303);
    assert_eq!(
        device_code(&app, &reject_me).await.error(),
        "invalid_client"
    );
    assert_eq!(audit(&app, AuditAction::AdminClientRejected).await.len(), 1);
    let list = app.page("/admin/clients").await;
    assert!(
        !list.body.contains("data-testid=\"pending-clients\""),
        "none waits"
    );
    assert!(list.body.contains("Rejected"));
}

#[tokio::test]
async fn the_command_line_lists_approves_and_rejects() {
    let app = spawn(RegistrationMode::Open).await;
    let (one, _) = registered(&app, &device_metadata()).await;
    let reply = register(&app, &device_metadata(), None).await;
    let two = reply.json["client_id"].as_str().unwrap().to_owned();
    let db = app.dir.clone();
    let run = |args: Vec<String>| {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_binary(&db, &args, None)
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let (ok, out, err) = run(args(&["client", "list"])).await.unwrap();
    assert!(ok, "{err}");
    let first = out.lines().nth(1).unwrap();
    assert!(
        first.contains("pending"),
        "pending first, under the header: {out}"
    );
    let (ok, out, err) = run(args(&[
        "client",
        "approve",
        &one,
        "--resource",
        "https://api.example",
    ]))
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("client {one} approved"));
    let (ok, _, err) = run(args(&["client", "reject", &two])).await.unwrap();
    assert!(ok, "{err}");
    let (ok, _, err) = run(args(&["client", "reject", &one])).await.unwrap();
    assert!(!ok, "decided already");
    assert!(err.contains("not waiting"), "{err}");
    assert_eq!(device_code(&app, &one).await.status, 200);
    assert_eq!(device_code(&app, &two).await.error(), "invalid_client");
    let (_, out, _) = run(args(&["client", "list", "--json"])).await.unwrap();
    assert!(out.contains("\"status\":\"rejected\""), "{out}");
}
