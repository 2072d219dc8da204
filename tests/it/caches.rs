//! The in-process caches of the hot paths never answer with
//! something the database no longer says: a revoked token, a disabled user
//! or client, or a decided code is seen at the very next request.

use authgate::crypto::device_code;
use authgate::domain::device_flow;

use crate::support::{DEVICE_GRANT, TestApp};

#[tokio::test]
async fn a_checked_token_stops_working_the_moment_it_is_revoked() {
    let app = TestApp::spawn().await;
    let token = app.issue_token().await;
    // Checked twice: the second answer comes from the cache.
    assert_eq!(app.tokeninfo(&token).await.status, 200);
    assert_eq!(app.tokeninfo(&token).await.status, 200);
    assert_eq!(app.core.store.cached_token_checks(), 1);

    let r = app
        .post_form(
            "/oauth/revoke",
            &[("token", token.as_str()), ("client_id", &app.cli_client_id)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(app.tokeninfo(&token).await.status, 401);
    let r = app
        .post_form(
            "/oauth/introspect",
            &[("token", token.as_str()), ("client_id", &app.cli_client_id)],
        )
        .await;
    assert_ne!(r.json["active"], true, "{:?}", r.json);
}

#[tokio::test]
async fn a_checked_token_stops_working_when_its_user_is_disabled() {
    let app = TestApp::spawn().await;
    let token = app.issue_token().await;
    assert_eq!(app.tokeninfo(&token).await.status, 200);
    let now = app.core.clock.now_secs();
    assert!(
        app.core
            .store
            .set_user_disabled(&app.admin_id, true, now)
            .await
            .unwrap()
    );
    assert_eq!(app.tokeninfo(&token).await.status, 401);
}

#[tokio::test]
async fn a_client_disabled_is_refused_at_its_next_request() {
    let app = TestApp::spawn().await;
    let (device_code, _) = app.start_flow().await;
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    let now = app.core.clock.now_secs();
    assert!(
        app.core
            .store
            .set_client_disabled(&app.cli_client_id, true, now)
            .await
            .unwrap()
    );
    assert_eq!(app.device_code(None).await.error(), "invalid_client");
    app.advance(5);
    assert_eq!(app.poll(&device_code).await.error(), "invalid_client");
}

#[tokio::test]
async fn a_live_poll_meets_the_decision_at_its_next_poll() {
    let app = TestApp::spawn().await;
    for approve in [true, false] {
        let (device_code, user_code) = app.start_flow().await;
        assert_eq!(
            app.poll(&device_code).await.error(),
            "authorization_pending"
        );
        app.advance(5);
        assert_eq!(
            app.poll(&device_code).await.error(),
            "authorization_pending"
        );
        assert!(app.core.store.live_polls() >= 1, "held in memory");
        if approve {
            app.approve(&user_code).await;
        } else {
            app.decide(&user_code, authgate::model::Decision::Deny)
                .await;
        }
        // No interval wait: the decision is seen at once.
        let r = app.poll(&device_code).await;
        if approve {
            assert_eq!(r.status, 200, "{:?}", r.json);
        } else {
            assert_eq!(r.error(), "access_denied");
        }
    }
}

#[tokio::test]
async fn poll_pacing_is_written_behind_and_survives_a_restart() {
    let app = TestApp::spawn().await;
    let (device_code, _) = app.start_flow().await;
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    let r = app.poll(&device_code).await;
    assert_eq!(r.error(), "slow_down");
    assert_eq!(r.json["interval"], 10);
    let stored = |app: &TestApp| {
        let core = app.core.clone();
        let hash = device_code::key(&device_code);
        async move {
            core.store
                .find_device_code_by_hash(&hash)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(device_flow::write_behind_polls(&app.core).await.unwrap(), 1);
    let row = stored(&app).await;
    assert_eq!(row.interval_secs, 10);
    assert_eq!(row.last_poll_at_ms, Some(app.core.clock.millis()));
    assert_eq!(
        device_flow::write_behind_polls(&app.core).await.unwrap(),
        0,
        "nothing new to write"
    );

    // A restart keeps the grown interval: 6 s later is still too fast.
    let (dir, clock) = (app.dir.clone(), app.clock.clone());
    app.shutdown().await;
    let again = TestApp::spawn_on(dir, clock, |_| {}).await;
    again.advance(6);
    let r = again
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device_code),
                ("client_id", &again.cli_client_id),
            ],
        )
        .await;
    assert_eq!(r.error(), "slow_down", "{:?}", r.json);
    assert_eq!(r.json["interval"], 15);
}

#[tokio::test]
async fn a_signed_in_user_disabled_or_demoted_is_seen_at_the_next_page() {
    let app = TestApp::spawn().await;
    authgate::domain::user::create(
        &app.core,
        "second-admin",
        "second-admin-password",
        authgate::domain::user::Role::Admin,
    )
    .await
    .unwrap();
    app.sign_in_as("second-admin", "second-admin-password")
        .await;
    // Twice: the second page takes the user from the cache.
    assert_eq!(app.page("/admin").await.status, 200);
    assert_eq!(app.page("/admin").await.status, 200);
    let user = app
        .core
        .store
        .find_user_by_username("second-admin")
        .await
        .unwrap()
        .unwrap();
    let now = app.core.clock.now_secs();
    assert!(
        app.core
            .store
            .set_user_role(&user.id, authgate::domain::user::Role::User, now)
            .await
            .unwrap()
    );
    assert_ne!(app.page("/admin").await.status, 200, "no longer an admin");
    assert_eq!(app.page("/account").await.status, 200);
    assert!(
        app.core
            .store
            .set_user_disabled(&user.id, true, now)
            .await
            .unwrap()
    );
    let page = app.page("/account").await;
    assert_eq!(page.status, 303, "signed out");
}
