//! Linking without takeovers: a trusted verified e-mail links; anything
//! less asks for the account's password first; unlinking the last way to
//! sign in is refused.

use authgate::model::audit::AuditAction;

use super::{PASSWORD, find, links, pair, user};
use crate::admin::audit;

#[tokio::test]
async fn a_verified_address_from_a_trusted_provider_links_to_the_same_verified_account() {
    let pair = pair(|p| p.trust_email = true).await;
    let local_id = user(&pair.app, "annie", Some("Ann@Corp.example"), true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;

    let reply = pair.round_trip("ann", "/account").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(pair.is_signed_in_as("annie").await);
    assert!(find(&pair.app, "ann").await.is_none(), "no second account");
    assert_eq!(links(&pair.app, &local_id).await, 1);
    let linked = audit(&pair.app, AuditAction::UpstreamLinked).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].detail.as_deref(), Some("same verified e-mail"));
    pair.shutdown().await;
}

#[tokio::test]
async fn an_unverified_address_does_not_link_until_the_password_is_given() {
    // Trusted provider, verified upstream, but the address is not
    // verified here: anyone could have typed it into the account.
    let pair = pair(|p| {
        p.trust_email = true;
        p.create_accounts = true;
    })
    .await;
    let bob_id = user(&pair.app, "robert", Some("bob@corp.example"), false).await;
    user(&pair.up, "bob", Some("bob@corp.example"), true).await;
    let (_, user_code) = pair.app.start_flow().await;
    let next = format!("/device?user_code={user_code}");

    let reply = pair.round_trip("bob", &next).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("Sign in to link your account"));
    assert!(reply.body.contains("robert"));
    assert!(!pair.is_signed_in_as("robert").await);
    assert!(
        find(&pair.app, "bob").await.is_none(),
        "no account shadows robert's"
    );
    assert_eq!(links(&pair.app, &bob_id).await, 0);

    // The link page alone does nothing without a sign-in.
    let link = pair.app.page("/login/link").await;
    assert_eq!(link.status, 303);
    assert!(
        link.location()
            .unwrap()
            .starts_with("/login?next=%2Flogin%2Flink")
    );

    // Robert signs in with his password; the form comes back to the link.
    let login = pair.app.page("/login?next=%2Flogin%2Flink&reauth=1").await;
    let signed = pair
        .app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "robert"),
                ("password", PASSWORD),
                ("next", "/login/link"),
            ],
            false,
        )
        .await;
    assert_eq!(signed.status, 303);
    assert_eq!(signed.location(), Some("/login/link"));
    let confirm = pair.app.page("/login/link").await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.body.contains("Link your Corp account?"));
    // Without the CSRF token nothing is linked.
    let forged = pair
        .app
        .submit("/login/link", &[("csrf_token", "wrong")], false)
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(links(&pair.app, &bob_id).await, 0);
    let linked = pair
        .app
        .submit("/login/link", &[("csrf_token", &confirm.csrf())], false)
        .await;
    assert_eq!(linked.status, 303, "{}", linked.body);
    assert_eq!(
        linked.location(),
        Some(next.as_str()),
        "on to the device consent"
    );
    assert_eq!(links(&pair.app, &bob_id).await, 1);
    assert_eq!(audit(&pair.app, AuditAction::UpstreamLinked).await.len(), 1);

    // From now on Corp signs robert in directly.
    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    let again = pair.round_trip("bob", "/account").await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert!(pair.is_signed_in_as("robert").await);
    pair.shutdown().await;
}

#[tokio::test]
async fn a_link_is_made_only_to_the_matching_account() {
    let pair = pair(|_| {}).await;
    user(&pair.app, "bob", None, false).await;
    let carol = user(&pair.app, "carol", None, false).await;
    user(&pair.up, "bob", None, false).await;

    let reply = pair.round_trip("bob", "/account").await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("Sign in to link your account"));
    // Signed in as someone else, the link is refused.
    let login = pair.app.page("/login").await;
    pair.app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "carol"),
                ("password", PASSWORD),
                ("next", "/login/link"),
            ],
            false,
        )
        .await;
    let page = pair.app.page("/login/link").await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Sign in as bob"));
    let account = pair.app.page("/account").await;
    let posted = pair
        .app
        .submit("/login/link", &[("csrf_token", &account.csrf())], false)
        .await;
    assert_eq!(posted.status, 403);
    assert_eq!(links(&pair.app, &carol).await, 0);
    pair.shutdown().await;
}

#[tokio::test]
async fn the_last_way_to_sign_in_cannot_be_unlinked() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    let ann = find(&pair.app, "ann").await.unwrap();
    let provider = pair
        .app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();

    let account = pair.app.page("/account").await;
    assert!(account.body.contains("Linked sign-in accounts"));
    assert!(account.body.contains("Corp"));
    let refused = pair
        .app
        .submit(
            "/account/upstream/unlink",
            &[
                ("csrf_token", &account.csrf()),
                ("provider_id", &provider.id),
            ],
            false,
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("only way you can sign in"));
    assert_eq!(links(&pair.app, &ann.id).await, 1);
    // Without the CSRF token: refused before anything is looked at.
    let forged = pair
        .app
        .submit(
            "/account/upstream/unlink",
            &[("csrf_token", "x"), ("provider_id", &provider.id)],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);

    // With a password set, unlinking is allowed.
    let ctx = authgate::domain::admin::Ctx::of(&pair.app.core);
    authgate::domain::admin::set_user_password(
        &ctx,
        &authgate::domain::admin::Actor::command_line(),
        &ann.id,
        Some("a-new-password-1".into()),
    )
    .await
    .unwrap();
    // The password change ended the session: sign in with it.
    pair.app.sign_in_as("ann", "a-new-password-1").await;
    let account = pair.app.page("/account").await;
    let done = pair
        .app
        .submit(
            "/account/upstream/unlink",
            &[
                ("csrf_token", &account.csrf()),
                ("provider_id", &provider.id),
            ],
            false,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(links(&pair.app, &ann.id).await, 0);
    assert_eq!(
        audit(&pair.app, AuditAction::UpstreamUnlinked).await.len(),
        1
    );
    // Unknown links are not found.
    let account = pair.app.page("/account").await;
    let missing = pair
        .app
        .submit(
            "/account/upstream/unlink",
            &[
                ("csrf_token", &account.csrf()),
                ("provider_id", &provider.id),
            ],
            false,
        )
        .await;
    assert_eq!(missing.status, 404);
    pair.shutdown().await;
}
