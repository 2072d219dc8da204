//! A provider's dashboard page: the edit form (CSRF, inline refusals
//! keeping what was typed, the secret write-only), removal after a
//! confirmation that counts the links; and an administrator unlinking a
//! person's upstream account on their user page.

use authgate::model::audit::AuditAction;

use super::{SECRET, add_provider, find, links, pair, user};
use crate::admin::audit;
use crate::support::TestApp;

fn edit_form<'a>(csrf: &'a str, issuer: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("label", "Corp Login"),
        ("issuer", issuer),
        ("client_id", "authgate"),
        ("client_secret", secret),
        ("scopes", "openid email"),
        ("username_claim", "preferred_username"),
        ("email_claim", "email"),
        ("name_claim", "name"),
        ("allowed_domains", ""),
        ("trust_email", "on"),
        ("hint_domains", "corp.example"),
    ]
}

#[tokio::test]
async fn administrators_edit_a_provider_on_its_page() {
    let app = TestApp::spawn().await;
    add_provider(&app, "https://id.corp.example", |p| {
        p.create_accounts = true
    })
    .await;
    app.sign_in().await;
    let list = app.page("/admin/providers").await;
    assert!(list.body.contains("href=\"/admin/providers/corp\""));
    let page = app.page("/admin/providers/corp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("value=\"https://id.corp.example\""));
    assert!(!page.body.contains(SECRET), "the secret is never shown");
    assert!(page.body.contains("Linked accounts"));
    assert_eq!(app.page("/admin/providers/nobody").await.status, 404);
    let csrf = page.csrf();

    // Without the CSRF token: refused, nothing changes.
    let forged = edit_form("wrong", "https://id.corp.example", "");
    assert_eq!(
        app.submit("/admin/providers/corp", &forged, false)
            .await
            .status,
        403
    );

    // A refusal keeps what was typed, never the secret typed.
    let bad = edit_form(&csrf, "ftp://id.corp.example", "typed-secret-1");
    let refused = app.submit("/admin/providers/corp", &bad, false).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Not saved: the issuer must be an https URL")
    );
    assert!(refused.body.contains("value=\"ftp://id.corp.example\""));
    assert!(refused.body.contains("value=\"Corp Login\""));
    assert!(!refused.body.contains("typed-secret-1"));
    let stored = app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.label, "Corp");
    assert!(stored.create_accounts);

    // An empty secret keeps the saved one; unticked boxes are off.
    let good = edit_form(&csrf, "https://id.corp.example", "");
    let saved = app.submit("/admin/providers/corp", &good, false).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = app.page(saved.location().unwrap()).await;
    assert!(shown.body.contains("Changes saved."));
    assert!(!shown.body.contains(SECRET));
    let stored = app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.label, "Corp Login");
    assert_eq!(stored.client_secret.expose(), SECRET);
    assert_eq!(stored.scopes, ["openid", "email"]);
    assert!(!stored.create_accounts && stored.trust_email);
    assert_eq!(stored.hint_domains, ["corp.example"]);

    // A new secret replaces it.
    let rotate = edit_form(&csrf, "https://id.corp.example", "rotated-secret-2");
    assert_eq!(
        app.submit("/admin/providers/corp", &rotate, false)
            .await
            .status,
        303
    );
    let stored = app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_secret.expose(), "rotated-secret-2");

    let events = audit(&app, AuditAction::AdminProviderUpdated).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].actor.as_deref(), Some(app.admin_id.as_str()));
    assert!(events.iter().all(|e| {
        let d = e.detail.as_deref().unwrap_or_default();
        !d.contains("rotated-secret-2") && !d.contains(SECRET)
    }));
    assert!(
        events
            .iter()
            .any(|e| e.detail.as_deref() == Some("changed client secret"))
    );
    app.shutdown().await;
}

#[tokio::test]
async fn removal_says_how_many_accounts_it_unlinks_and_needs_the_csrf_token() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    let ann = find(&pair.app, "ann").await.unwrap();
    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    pair.app.sign_in().await;

    let page = pair.app.page("/admin/providers/corp").await;
    assert!(page.body.contains("Remove provider"));
    let ask = pair.app.page("/admin/providers/corp/remove").await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.body.contains("Remove Corp?"));
    assert!(
        ask.body.contains("the 1 account link(s) to it are deleted"),
        "{}",
        ask.body
    );
    let forged = pair
        .app
        .submit(
            "/admin/providers/corp/remove",
            &[("csrf_token", "x")],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        pair.app
            .core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .is_some()
    );

    let removed = pair
        .app
        .submit(
            "/admin/providers/corp/remove",
            &[("csrf_token", &ask.csrf())],
            false,
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let list = pair.app.page(removed.location().unwrap()).await;
    assert!(list.body.contains("Provider removed"));
    assert!(
        pair.app
            .core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(links(&pair.app, &ann.id).await, 0);
    assert!(
        !pair
            .app
            .page("/login")
            .await
            .body
            .contains("Sign in with Corp")
    );
    let again = pair
        .app
        .submit(
            "/admin/providers/corp/remove",
            &[("csrf_token", &ask.csrf())],
            false,
        )
        .await;
    assert_eq!(again.status, 404);
    let events = audit(&pair.app, AuditAction::AdminProviderRemoved).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(pair.app.admin_id.as_str()));
    pair.shutdown().await;
}

#[tokio::test]
async fn the_issuer_field_is_refused_with_linked_accounts() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    pair.app.sign_in().await;
    let page = pair.app.page("/admin/providers/corp").await;
    let csrf = page.csrf();
    let moved = edit_form(&csrf, "https://elsewhere.example", "");
    let refused = pair
        .app
        .submit("/admin/providers/corp", &moved, false)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("remove the provider"),
        "{}",
        refused.body
    );
    let stored = pair
        .app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.issuer, pair.up.base);
    assert_eq!(stored.label, "Corp", "nothing else saved either");
    pair.shutdown().await;
}

#[tokio::test]
async fn administrators_unlink_but_never_the_last_way_to_sign_in() {
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
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    pair.app.sign_in().await;

    let path = format!("/admin/users/{}", ann.id);
    let page = pair.app.page(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Linked sign-in accounts"));
    let subject = pair
        .app
        .core
        .store
        .user_upstream_identities(&ann.id)
        .await
        .unwrap()
        .remove(0)
        .subject;
    assert!(page.body.contains(&subject), "the subject is shown");
    let unlink = format!("{path}/upstream/unlink");

    let forged = pair
        .app
        .submit(
            &unlink,
            &[("csrf_token", "x"), ("provider_id", &provider.id)],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    let csrf = page.csrf();
    let refused = pair
        .app
        .submit(
            &unlink,
            &[("csrf_token", &csrf), ("provider_id", &provider.id)],
            false,
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("only way ann can sign in"),
        "{}",
        refused.body
    );
    assert_eq!(links(&pair.app, &ann.id).await, 1);

    let ctx = authgate::domain::admin::Ctx::of(&pair.app.core);
    authgate::domain::admin::set_user_password(
        &ctx,
        &authgate::domain::admin::Actor::command_line(),
        &ann.id,
        Some("a-new-password-1".into()),
    )
    .await
    .unwrap();
    let done = pair
        .app
        .submit(
            &unlink,
            &[("csrf_token", &csrf), ("provider_id", &provider.id)],
            false,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(links(&pair.app, &ann.id).await, 0);
    let shown = pair.app.page(done.location().unwrap()).await;
    assert!(shown.body.contains("Linked account removed"));
    let missing = pair
        .app
        .submit(
            &unlink,
            &[("csrf_token", &csrf), ("provider_id", &provider.id)],
            false,
        )
        .await;
    assert_eq!(missing.status, 404);
    let events = audit(&pair.app, AuditAction::AdminUserUpstreamUnlinked).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(pair.app.admin_id.as_str()));
    assert_eq!(events[0].target.as_deref(), Some(ann.id.as_str()));
    pair.shutdown().await;
}
