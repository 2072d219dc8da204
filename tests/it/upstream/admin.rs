//! `/admin/providers`: an administrator adds a provider (the secret never
//! shown back), sees a refusal beside the form, and disables and enables
//! it; the sign-in page follows.

use authgate::model::audit::AuditAction;
use authgate::model::upstream::ProviderKind;

use crate::admin::audit;
use crate::support::TestApp;

#[tokio::test]
async fn administrators_add_disable_and_enable_providers() {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let list = app.page("/admin/providers").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("No providers yet"));
    let csrf = list.csrf();

    let form = |name: &'static str, issuer: &'static str| {
        vec![
            ("name", name),
            ("label", "Corp SSO"),
            ("issuer", issuer),
            ("client_id", "authgate"),
            ("client_secret", "admin-typed-secret"),
            ("scopes", "openid email"),
            ("allowed_domains", "corp.example"),
            ("create_accounts", "on"),
        ]
    };
    let mut bad = form("Not A Slug", "https://id.corp.example");
    bad.push(("csrf_token", &csrf));
    let refused = app.submit("/admin/providers", &bad, false).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Not added: provider names are"));
    assert!(
        !refused.body.contains("admin-typed-secret"),
        "the secret is not echoed"
    );
    assert!(
        app.core
            .store
            .upstream_providers()
            .await
            .unwrap()
            .is_empty()
    );

    let mut good = form("corp", "https://id.corp.example");
    good.push(("csrf_token", &csrf));
    let forged: Vec<(&str, &str)> = form("corp", "https://id.corp.example")
        .into_iter()
        .chain([("csrf_token", "wrong")])
        .collect();
    assert_eq!(
        app.submit("/admin/providers", &forged, false).await.status,
        403
    );
    let added = app.submit("/admin/providers", &good, false).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let list = app.page(added.location().unwrap()).await;
    assert!(list.body.contains("Provider added."));
    assert!(list.body.contains("Corp SSO"));
    assert!(list.body.contains("/login/upstream/corp/callback"));
    assert!(list.body.contains("creates accounts"));
    assert!(!list.body.contains("admin-typed-secret"));
    let stored = app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_secret.expose(), "admin-typed-secret");
    assert_eq!(stored.scopes, ["openid", "email"]);
    assert!(stored.create_accounts && !stored.trust_email);

    let login = |app: &TestApp| {
        let client = reqwest::Client::new();
        let url = app.url("/login");
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert!(login(&app).await.contains("Sign in with Corp SSO"));
    let csrf = list.csrf();
    let off = app
        .submit(
            "/admin/providers/corp/disable",
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(off.status, 303);
    assert!(!login(&app).await.contains("Sign in with Corp SSO"));
    let on = app
        .submit(
            "/admin/providers/corp/enable",
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(on.status, 303);
    assert!(login(&app).await.contains("Sign in with Corp SSO"));
    let missing = app
        .submit(
            "/admin/providers/nobody/disable",
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(missing.status, 404);

    for action in [
        AuditAction::AdminProviderCreated,
        AuditAction::AdminProviderDisabled,
        AuditAction::AdminProviderEnabled,
    ] {
        let events = audit(&app, action).await;
        assert_eq!(events.len(), 1, "{action}");
        assert_eq!(events[0].actor.as_deref(), Some(app.admin_id.as_str()));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn administrators_add_providers_from_presets() {
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let list = app.page("/admin/providers").await;
    assert!(
        list.body
            .contains("<option value=\"github\">GitHub</option>")
    );
    let csrf = list.csrf();
    // The form as first shown: its scopes field holds the generic scopes.
    let add = |fields: &[(&'static str, &'static str)]| {
        let mut all = vec![
            ("client_id", "authgate"),
            ("client_secret", "s3cret"),
            ("scopes", "openid profile email"),
            ("csrf_token", csrf.as_str()),
        ];
        all.extend_from_slice(fields);
        let app = &app;
        async move { app.submit("/admin/providers", &all, false).await }
    };

    let added = add(&[("preset", "github"), ("name", "gh")]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let gh = app
        .core
        .store
        .upstream_provider("gh")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gh.kind, ProviderKind::Github);
    assert_eq!(gh.issuer, "https://github.com");
    assert_eq!(
        gh.scopes,
        ["read:user", "user:email"],
        "the preset's scopes"
    );
    assert_eq!(gh.label, "GitHub");
    let list = app.page("/admin/providers").await;
    assert!(list.body.contains(">github</code>"), "the kind is listed");

    for (fields, says) in [
        (
            vec![
                ("preset", "microsoft"),
                ("name", "ms"),
                ("tenant", TENANT),
                ("trust_email", "on"),
            ],
            "not verified by the directory",
        ),
        (
            vec![
                ("preset", "microsoft"),
                ("name", "ms"),
                ("tenant", "common"),
            ],
            "shared by many directories",
        ),
        (vec![("preset", "gitea"), ("name", "tea")], "instance"),
        (vec![("preset", "saml"), ("name", "x")], "no such preset"),
    ] {
        let refused = add(&fields).await;
        assert_eq!(refused.status, 422, "{fields:?}: {}", refused.body);
        assert!(refused.body.contains(says), "{fields:?}: {}", refused.body);
    }
    assert!(
        app.core
            .store
            .upstream_provider("ms")
            .await
            .unwrap()
            .is_none()
    );

    let added = add(&[("preset", "microsoft"), ("name", "ms"), ("tenant", TENANT)]).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let ms = app
        .core
        .store
        .upstream_provider("ms")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ms.issuer,
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    app.shutdown().await;
}
