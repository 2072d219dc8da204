//! User profiles: an administrator's form (validation, the verification
//! rule, the audit), `authgate user add|set-profile`, and a person's own
//! display name on /account.

use authgate::domain::user::Role;
use authgate::model::audit::AuditAction;

use crate::admin::{Browser, add_user, admin_app, audit};
use crate::support::TestApp;

async fn profile_of(app: &TestApp, id: &str) -> authgate::model::user::Profile {
    app.core
        .store
        .find_user_by_id(id)
        .await
        .unwrap()
        .unwrap()
        .profile
}

#[tokio::test]
async fn an_administrator_edits_a_profile_and_a_new_address_is_unverified() {
    let (app, csrf) = admin_app().await;
    let id = add_user(&app, "dora", "dora-password-1", Role::User).await;
    let path = format!("/admin/users/{id}/profile");
    assert_eq!(app.page(&path).await.status, 200);

    let bad = app
        .submit(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "not an address"),
                ("name", "x\u{7}"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"id="profile-email-error""#));
    assert!(bad.body.contains(r#"id="profile-name-error""#));
    assert_eq!(profile_of(&app, &id).await, Default::default());

    let no_csrf = app
        .submit(&path, &[("email", "dora@example.com")], false)
        .await;
    assert_eq!(no_csrf.status, 403);

    let saved = app
        .submit(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", " dora@example.com "),
                ("email_verified", "on"),
                ("name", "Dora Explorer"),
            ],
            false,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let profile = profile_of(&app, &id).await;
    assert_eq!(profile.email.as_deref(), Some("dora@example.com"));
    assert!(profile.email_verified);
    assert_eq!(profile.name.as_deref(), Some("Dora Explorer"));
    let shown = app.page(&format!("/admin/users/{id}")).await.body;
    assert!(shown.contains("dora@example.com") && shown.contains("Verified"));

    // The box still ticked as shown, the address changed: not a word on
    // the new address.
    app.submit(
        &path,
        &[
            ("csrf_token", &csrf),
            ("email", "dora@elsewhere.example"),
            ("email_verified", "on"),
            ("name", "Dora Explorer"),
        ],
        false,
    )
    .await;
    let moved = profile_of(&app, &id).await;
    assert_eq!(moved.email.as_deref(), Some("dora@elsewhere.example"));
    assert!(!moved.email_verified);
    // Now ticked by the administrator.
    app.submit(
        &path,
        &[
            ("csrf_token", &csrf),
            ("email", "dora@elsewhere.example"),
            ("email_verified", "on"),
            ("name", "Dora Explorer"),
        ],
        false,
    )
    .await;
    assert!(profile_of(&app, &id).await.email_verified);

    let events = audit(&app, AuditAction::AdminUserProfileChanged).await;
    assert_eq!(events.len(), 3, "one per change");
    assert!(events.iter().any(|e| {
        e.detail
            .as_deref()
            .unwrap_or("")
            .contains("e-mail unverified")
    }));
}

#[tokio::test]
async fn a_person_sets_their_own_display_name() {
    let app = TestApp::spawn().await;
    let id = add_user(&app, "eve", "eve-password-1", Role::User).await;
    let eve = Browser::new(&app);
    assert_eq!(eve.sign_in("eve", "eve-password-1").await.status, 303);
    let account = eve.page("/account").await;
    assert!(account.body.contains(r#"action="/account/profile""#));
    let csrf = account.csrf();

    let missing_csrf = eve.submit("/account/profile", &[("name", "Eve")]).await;
    assert_eq!(missing_csrf.status, 403);
    let long = "e".repeat(101);
    let refused = eve
        .submit(
            "/account/profile",
            &[("csrf_token", &csrf), ("name", &long)],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains(r#"id="profile-name-error""#));
    assert_eq!(profile_of(&app, &id).await.name, None);

    let saved = eve
        .submit(
            "/account/profile",
            &[("csrf_token", &csrf), ("name", "Eve <Adams>")],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(saved.location(), Some("/account?profile=1"));
    assert_eq!(
        profile_of(&app, &id).await.name.as_deref(),
        Some("Eve <Adams>")
    );
    let shown = eve.page("/account?profile=1").await.body;
    assert!(shown.contains("Eve &lt;Adams&gt;") && shown.contains("Name saved."));

    // Not signed in: sent to sign in (or refused), nothing saved.
    let stranger = Browser::new(&app);
    let anonymous = stranger
        .submit("/account/profile", &[("csrf_token", &csrf), ("name", "x")])
        .await;
    assert!(
        anonymous.status == 403 || anonymous.location().unwrap_or("").starts_with("/login"),
        "{} {:?}",
        anonymous.status,
        anonymous.location()
    );
    assert_eq!(
        profile_of(&app, &id).await.name.as_deref(),
        Some("Eve <Adams>")
    );
}
