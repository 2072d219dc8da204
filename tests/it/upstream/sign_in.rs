//! New accounts at first sign-in (when allowed, in allowed domains),
//! signing in again, `next=` through the round trip, disabled providers
//! and users.

use authgate::model::audit::AuditAction;
use authgate::model::upstream::has_password;

use super::{find, links, pair, user};
use crate::admin::audit;

#[tokio::test]
async fn a_new_person_gets_an_account_when_the_provider_allows_it() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;

    let reply = pair.round_trip("ann", "/account").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.location(), Some("/account"));
    let ann = find(&pair.app, "ann")
        .await
        .expect("an account was created");
    assert!(!has_password(&ann.password_hash), "no usable password");
    assert_eq!(ann.profile.email.as_deref(), Some("ann@corp.example"));
    // Not trusted for e-mail: the address is not verified here.
    assert!(!ann.profile.email_verified);
    assert_eq!(links(&pair.app, &ann.id).await, 1);
    assert!(pair.is_signed_in_as("ann").await);
    assert_eq!(
        audit(&pair.app, AuditAction::UpstreamAccountCreated)
            .await
            .len(),
        1
    );
    assert_eq!(
        audit(&pair.app, AuditAction::UpstreamSignedIn).await.len(),
        1
    );
    // Nobody can sign in to it with a password (not even an empty one).
    let other = pair.app.reply_client().await;
    let login =
        crate::support::TestApp::to_page(other.get(pair.app.url("/login")).send().await.unwrap())
            .await;
    let refused = crate::support::TestApp::to_page(
        other
            .post(pair.app.url("/login"))
            .form(&[
                ("csrf_token", login.csrf().as_str()),
                ("username", "ann"),
                ("password", "!no-password"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refused.status, 401);

    // The second time the same upstream account signs in to the same one.
    pair.app
        .submit(
            "/logout",
            &[("csrf_token", &pair.app.page("/account").await.csrf())],
            false,
        )
        .await;
    assert!(!pair.is_signed_in_as("ann").await);
    let again = pair.round_trip("ann", "/account").await;
    assert_eq!(again.status, 303);
    assert!(pair.is_signed_in_as("ann").await);
    assert_eq!(
        audit(&pair.app, AuditAction::UpstreamAccountCreated)
            .await
            .len(),
        1
    );
    assert_eq!(
        audit(&pair.app, AuditAction::UpstreamSignedIn).await.len(),
        2
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_new_person_is_refused_when_account_creation_is_off() {
    let pair = pair(|_| {}).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let reply = pair.round_trip("ann", "/account").await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("new accounts are not created automatically")
    );
    assert!(find(&pair.app, "ann").await.is_none());
    assert!(!pair.is_signed_in_as("ann").await);
    assert!(
        !audit(&pair.app, AuditAction::UpstreamRefused)
            .await
            .is_empty()
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn accounts_are_created_only_for_verified_addresses_in_allowed_domains() {
    let pair = pair(|p| {
        p.create_accounts = true;
        p.allowed_domains = vec!["corp.example".into()];
    })
    .await;
    user(&pair.up, "eve", Some("eve@elsewhere.example"), true).await;
    user(&pair.up, "mallory", Some("mallory@corp.example"), false).await;
    user(&pair.up, "ann", Some("ann@CORP.example"), true).await;

    let reply = pair.round_trip("eve", "/account").await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains("corp.example"));
    assert!(find(&pair.app, "eve").await.is_none());

    // In the domain but not verified upstream: proves nothing.
    let reply = pair.round_trip("mallory", "/account").await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(find(&pair.app, "mallory").await.is_none());

    let reply = pair.round_trip("ann", "/account").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(find(&pair.app, "ann").await.is_some());
    pair.shutdown().await;
}

#[tokio::test]
async fn next_survives_the_round_trip_to_the_device_consent() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let (_, user_code) = pair.app.start_flow().await;
    let next = format!("/device?user_code={user_code}");

    // The device page sends the signed-out person to /login, whose
    // button carries the same next=.
    let device = pair.app.page(&next).await;
    assert_eq!(device.status, 303);
    let login = pair.app.page(device.location().unwrap()).await;
    let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let button = format!("/login/upstream/corp?next={encoded}");
    assert!(login.body.contains(&button), "{}", login.body);
    assert!(login.body.contains("Sign in with Corp"));

    let reply = pair.round_trip("ann", &next).await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.location(), Some(next.as_str()));
    let consent = pair.app.page(&next).await;
    assert_eq!(consent.status, 200);
    assert!(consent.body.contains(&user_code), "{}", consent.body);
    pair.shutdown().await;
}

#[tokio::test]
async fn a_disabled_provider_has_no_button_and_its_callback_is_refused() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    assert!(
        pair.app
            .page("/login")
            .await
            .body
            .contains("Sign in with Corp")
    );
    let authorize = pair.start("/account").await;
    let callback = pair.approve_upstream(&authorize, "ann").await;

    let ctx = authgate::domain::admin::Ctx::of(&pair.app.core);
    let actor = authgate::domain::admin::Actor::command_line();
    authgate::domain::upstream::providers::set_enabled(&ctx, &actor, "corp", false)
        .await
        .unwrap();
    assert!(
        !pair
            .app
            .page("/login")
            .await
            .body
            .contains("Sign in with Corp")
    );
    assert_eq!(pair.app.page("/login/upstream/corp").await.status, 404);
    let reply = pair.app.page(&super::local(&callback)).await;
    assert_eq!(reply.status, 404);
    assert!(find(&pair.app, "ann").await.is_none());
    assert!(!pair.is_signed_in_as("ann").await);
    pair.shutdown().await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_through_its_link() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    let ann = find(&pair.app, "ann").await.unwrap();
    let ctx = authgate::domain::admin::Ctx::of(&pair.app.core);
    authgate::domain::admin::set_user_disabled(
        &ctx,
        &authgate::domain::admin::Actor::command_line(),
        &ann.id,
        true,
    )
    .await
    .unwrap();
    let reply = pair.round_trip("ann", "/account").await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains("disabled"));
    assert!(!pair.is_signed_in_as("ann").await);
    pair.shutdown().await;
}

#[tokio::test]
async fn a_callback_that_reaches_another_instance_completes() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    // A second instance of the app on the same database and clock, with
    // the same public address (as behind a load balancer).
    let base = pair.app.core.policy.issuer.clone();
    let other =
        crate::support::TestApp::spawn_on(pair.app.dir.clone(), pair.app.clock.clone(), move |c| {
            c.base_url = base
        })
        .await;

    let authorize = pair.start("/account").await;
    let callback = pair.approve_upstream(&authorize, "ann").await;
    // The browser's cookies go to both (cookies are per host, not port).
    let reply = crate::support::TestApp::to_page(
        pair.app
            .http
            .get(other.url(&super::local(&callback)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.location(), Some("/account"));
    assert!(pair.is_signed_in_as("ann").await);
    // Taken once: the same callback again, at the first instance, is stale.
    let again = pair.app.page(&super::local(&callback)).await;
    assert_eq!(again.status, 400, "{}", again.body);
    other.shutdown().await;
    pair.shutdown().await;
}
