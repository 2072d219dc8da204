//! Creating, disabling, resetting and promoting users; nobody demotes
//! or disables themselves.

use authgate::domain::user::Role;
use authgate::model::audit::AuditAction;

use super::{Browser, add_user, admin_app, audit, text_after};

#[tokio::test]
async fn users_are_created_disabled_reset_and_promoted() {
    let (app, csrf) = admin_app().await;

    // Validation, then creation with a chosen password.
    let bad = app
        .submit(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("username", "no spaces"),
                ("password", "short"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"id="user-username-error""#));
    assert!(bad.body.contains(r#"id="user-password-error""#));
    let created = app
        .submit(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("password", "carol-password-1"),
            ],
            false,
        )
        .await;
    assert_eq!(created.status, 303);
    let carol_id = app
        .core
        .store
        .find_user_by_username("carol")
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        created.location(),
        Some(format!("/admin/users/{carol_id}?created=1").as_str())
    );
    let taken = app
        .submit(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("username", "carol"),
                ("password", ""),
            ],
            false,
        )
        .await;
    assert_eq!(taken.status, 422);
    assert!(taken.body.contains("That username is taken."));

    // Carol signs in and gets a token.
    let carol = Browser::new(&app);
    assert_eq!(carol.sign_in("carol", "carol-password-1").await.status, 303);
    let (device_code, user_code) = app.start_flow().await;
    authgate::domain::device_flow::decide(
        &app.core,
        &carol_id,
        &user_code,
        authgate::model::Decision::Approve,
    )
    .await
    .unwrap();
    let reply = app.poll(&device_code).await;
    let access = reply.json["access_token"].as_str().unwrap().to_owned();
    let refresh = reply.json["refresh_token"].as_str().unwrap().to_owned();

    // Disabled: a confirmation, then no sign-in, no session, no tokens.
    let confirm = app.page(&format!("/admin/users/{carol_id}/disable")).await;
    assert!(confirm.body.contains("Disable carol?"));
    let done = app
        .submit(
            &format!("/admin/users/{carol_id}/disable"),
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(
        done.location(),
        Some(format!("/admin/users/{carol_id}?disabled=1").as_str())
    );
    assert_eq!(carol.page("/device").await.status, 303, "her session ends");
    assert_eq!(carol.sign_in("carol", "carol-password-1").await.status, 401);
    assert_eq!(app.tokeninfo(&access).await.status, 401);
    assert_eq!(app.refresh(&refresh, None).await.error(), "invalid_grant");
    app.submit(
        &format!("/admin/users/{carol_id}/enable"),
        &[("csrf_token", &csrf)],
        false,
    )
    .await;
    assert_eq!(app.tokeninfo(&access).await.status, 200, "enabled again");

    // Password reset to a generated one, shown once.
    let form = app.page(&format!("/admin/users/{carol_id}/password")).await;
    assert!(form.body.contains(">Password</label>"));
    let short = app
        .submit(
            &format!("/admin/users/{carol_id}/password"),
            &[("csrf_token", &csrf), ("password", "short")],
            false,
        )
        .await;
    assert_eq!(short.status, 422);
    // Signed in before the reset: that session ends, tokens do not.
    let before = Browser::new(&app);
    assert_eq!(
        before.sign_in("carol", "carol-password-1").await.status,
        303
    );
    assert_eq!(before.page("/account").await.status, 200);
    let reset = app
        .submit(
            &format!("/admin/users/{carol_id}/password"),
            &[("csrf_token", &csrf), ("password", "")],
            false,
        )
        .await;
    assert_eq!(reset.status, 200);
    let generated = text_after(&reset.body, r#"data-testid="secret-1""#);
    assert!(generated.len() >= 16);
    assert_eq!(before.page("/account").await.status, 303, "signed out");
    assert_eq!(
        app.tokeninfo(&access).await.status,
        200,
        "tokens keep working"
    );
    let fresh = Browser::new(&app);
    assert_eq!(fresh.sign_in("carol", "carol-password-1").await.status, 401);
    let fresh = Browser::new(&app);
    assert_eq!(fresh.sign_in("carol", &generated).await.status, 303);

    // Promoted, carol reaches the dashboard; demoted, she does not.
    assert_eq!(fresh.page("/admin").await.status, 403);
    let promoted = app
        .submit(
            &format!("/admin/users/{carol_id}/role"),
            &[("csrf_token", &csrf), ("role", "admin")],
            false,
        )
        .await;
    assert_eq!(
        promoted.location(),
        Some(format!("/admin/users/{carol_id}?role=1").as_str())
    );
    assert_eq!(fresh.page("/admin").await.status, 200);
    app.submit(
        &format!("/admin/users/{carol_id}/role"),
        &[("csrf_token", &csrf), ("role", "user")],
        false,
    )
    .await;
    assert_eq!(fresh.page("/admin").await.status, 403);

    for action in [
        AuditAction::AdminUserCreated,
        AuditAction::AdminUserDisabled,
        AuditAction::AdminUserEnabled,
        AuditAction::AdminUserPasswordReset,
        AuditAction::AdminUserRoleChanged,
    ] {
        let events = audit(&app, action).await;
        assert!(!events.is_empty(), "{action}");
        assert_eq!(events[0].target.as_deref(), Some("carol"), "{action}");
        assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"), "{action}");
    }
    assert_eq!(
        audit(&app, AuditAction::AdminUserRoleChanged).await.len(),
        2
    );
    // The generated password is in no audit event.
    let all = app.core.store.recent_audit_events(None, 500).await.unwrap();
    assert!(all.iter().all(|e| !format!("{e:?}").contains(&generated)));
}

#[tokio::test]
async fn administrators_cannot_demote_or_disable_themselves() {
    let (app, csrf) = admin_app().await;
    let me = format!("/admin/users/{}", app.admin_id);
    let page = app.page(&me).await;
    assert!(page.body.contains("This is your own account"));

    let demote = app
        .submit(
            &format!("{me}/role"),
            &[("csrf_token", &csrf), ("role", "user")],
            false,
        )
        .await;
    assert_eq!(demote.status, 403);
    assert!(
        demote
            .body
            .contains("You cannot remove your own administrator role.")
    );
    let disable = app
        .submit(&format!("{me}/disable"), &[("csrf_token", &csrf)], false)
        .await;
    assert_eq!(disable.status, 403);
    assert!(
        disable
            .body
            .contains("You cannot disable your own account.")
    );
    assert_eq!(app.page(&format!("{me}/disable")).await.status, 403);

    let admin = app
        .core
        .store
        .find_user_by_id(&app.admin_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(!admin.disabled);
    assert_eq!(app.page("/admin").await.status, 200, "still in");
    // Another administrator may.
    let other = add_user(&app, "dave", "dave-password-1", Role::Admin).await;
    let done = app
        .submit(
            &format!("/admin/users/{other}/role"),
            &[("csrf_token", &csrf), ("role", "user")],
            false,
        )
        .await;
    assert_eq!(done.status, 303);
}
