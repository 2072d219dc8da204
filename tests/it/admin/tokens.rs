//! Revoking one token, a user's tokens and a client's tokens.

use authgate::domain::user::Role;
use authgate::model::audit::AuditAction;

use super::{add_user, admin_app, audit};

#[tokio::test]
async fn revoking_one_token_fails_tokeninfo_and_its_refresh_token() {
    let (app, csrf) = admin_app().await;
    let tokens = app.issue_tokens().await;
    let other = app.issue_tokens().await;
    let jti = app.tokeninfo(&tokens.access).await.json["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.page("/admin/tokens").await;
    let confirm_link = format!("/admin/tokens/revoke?jti={jti}");
    assert!(list.body.contains(&confirm_link));

    // The confirmation step changes nothing.
    let confirm = app.page(&confirm_link).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Revoke this token?"));
    assert!(
        confirm
            .body
            .contains(&format!(r#"name="jti" value="{jti}""#))
    );
    assert_eq!(app.tokeninfo(&tokens.access).await.status, 200);

    let done = app
        .submit(
            "/admin/tokens/revoke",
            &[("csrf_token", &csrf), ("jti", &jti)],
            false,
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location(), Some("/admin/tokens?revoked=1"));
    let r = app.tokeninfo(&tokens.access).await;
    assert_eq!((r.status, r.error()), (401, "invalid_token"));
    assert_eq!(
        app.refresh(&tokens.refresh, None).await.error(),
        "invalid_grant"
    );
    assert_eq!(
        app.tokeninfo(&other.access).await.status,
        200,
        "others unaffected"
    );
    let page = app.page("/admin/tokens?revoked=1").await;
    assert!(page.body.contains("1 active token revoked."));
    let events = audit(&app, AuditAction::AdminTokenRevoked).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target.as_deref(), Some(jti.as_str()));
    assert!(
        app.core
            .metrics
            .render()
            .contains(r#"authgate_tokens_revoked_total{by="admin"} 1"#),
        "the dashboard's revocations are counted"
    );

    // The revoked list shows it; a missing target is refused.
    let revoked = app.page("/admin/tokens?status=revoked").await;
    assert!(revoked.body.contains(&jti[..8]));
    let bad = app
        .submit("/admin/tokens/revoke", &[("csrf_token", &csrf)], false)
        .await;
    assert_eq!(bad.status, 400);
    let missing = app.page("/admin/tokens/revoke?jti=nope").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn revoking_all_tokens_of_a_user_or_a_client() {
    let (app, csrf) = admin_app().await;
    let bob_id = add_user(&app, "bob", "bob-password-1", Role::User).await;
    // Two tokens for the administrator, one for bob (approved by bob).
    let a1 = app.issue_tokens().await;
    let a2 = app.issue_token().await;
    let (device_code, user_code) = app.start_flow().await;
    authgate::domain::device_flow::decide(
        &app.core,
        &bob_id,
        &user_code,
        authgate::model::Decision::Approve,
    )
    .await
    .unwrap();
    let bob_token = app.poll(&device_code).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let page = app
        .page(&format!("/admin/tokens?user={}", app.admin_id))
        .await;
    assert!(page.body.contains("Revoke all tokens of admin…"));
    let confirm = app
        .page(&format!("/admin/tokens/revoke?user={}", app.admin_id))
        .await;
    assert!(confirm.body.contains("Revoke all tokens of admin?"));
    assert!(confirm.body.contains("(2 active)"));
    let done = app
        .submit(
            "/admin/tokens/revoke",
            &[("csrf_token", &csrf), ("user", &app.admin_id)],
            false,
        )
        .await;
    assert_eq!(
        done.location(),
        Some(format!("/admin/tokens?user={}&revoked=2", app.admin_id).as_str())
    );
    assert_eq!(app.tokeninfo(&a1.access).await.status, 401);
    assert_eq!(app.tokeninfo(&a2).await.status, 401);
    assert_eq!(
        app.refresh(&a1.refresh, None).await.error(),
        "invalid_grant"
    );
    assert_eq!(
        app.tokeninfo(&bob_token).await.status,
        200,
        "bob's token lives"
    );
    assert_eq!(
        audit(&app, AuditAction::AdminUserTokensRevoked).await.len(),
        1
    );

    // All tokens of the CLI client: bob's goes too.
    let confirm = app
        .page(&format!(
            "/admin/tokens/revoke?client={}",
            app.cli_client_id
        ))
        .await;
    assert!(confirm.body.contains("Revoke all tokens of AuthGate CLI?"));
    let done = app
        .submit(
            "/admin/tokens/revoke",
            &[("csrf_token", &csrf), ("client", &app.cli_client_id)],
            false,
        )
        .await;
    assert_eq!(
        done.location(),
        Some(format!("/admin/tokens?client={}&revoked=1", app.cli_client_id).as_str())
    );
    assert_eq!(app.tokeninfo(&bob_token).await.status, 401);
    let events = audit(&app, AuditAction::AdminClientTokensRevoked).await;
    assert_eq!(
        events[0].client_id.as_deref(),
        Some(app.cli_client_id.as_str())
    );
    // New tokens still work afterwards.
    let fresh = app.issue_token().await;
    assert_eq!(app.tokeninfo(&fresh).await.status, 200);
}
