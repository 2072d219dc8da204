//! Creating, editing, disabling and rotating OAuth clients.

use authgate::model::audit::AuditAction;

use super::{admin_app, audit, text_after};
use crate::support::TestApp;

/// Creates a client through the form; returns (client_id, secret).
async fn create_client(
    app: &TestApp,
    csrf: &str,
    form: &[(&str, &str)],
) -> (String, Option<String>) {
    let mut fields = vec![("csrf_token", csrf)];
    fields.extend_from_slice(form);
    let page = app.submit("/admin/clients", &fields, false).await;
    assert_eq!(page.status, 201, "{}", page.body);
    let id = text_after(&page.body, r#"data-testid="secret-0""#);
    let secret = page
        .body
        .contains(r#"data-testid="secret-1""#)
        .then(|| text_after(&page.body, r#"data-testid="secret-1""#));
    (id, secret)
}

#[tokio::test]
async fn clients_are_created_edited_disabled_and_rotated() {
    let (app, csrf) = admin_app().await;

    // Invalid input comes back with messages at the fields.
    let bad = app
        .submit(
            "/admin/clients",
            &[
                ("csrf_token", &csrf),
                ("name", ""),
                ("scopes", "re\"ad"),
                ("kind", "public"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"id="client-name-error""#));
    assert!(bad.body.contains(r#"id="client-scopes-error""#));
    assert!(bad.body.contains(r#"aria-invalid="true""#));

    // A public client: an id, no secret; devices can use it at once.
    let (public_id, secret) = create_client(
        &app,
        &csrf,
        &[("name", "Smart TV"), ("scopes", "read"), ("kind", "public")],
    )
    .await;
    assert!(secret.is_none());
    let r = app
        .post_form("/oauth/device/code", &[("client_id", &public_id)])
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", &public_id), ("scope", "write")],
        )
        .await;
    assert_eq!(r.error(), "invalid_scope", "only the allowed scopes");
    let stored = app
        .core
        .store
        .find_client(&public_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.refresh_tokens, "the checkbox was not ticked");

    // A confidential one: its secret is shown once and stored hashed.
    let (conf_id, secret) = create_client(
        &app,
        &csrf,
        &[
            ("name", "Build server"),
            ("scopes", "read deploy"),
            ("kind", "confidential"),
            ("refresh_tokens", "on"),
        ],
    )
    .await;
    let secret = secret.expect("a secret");
    let stored = app.core.store.find_client(&conf_id).await.unwrap().unwrap();
    assert_eq!(
        stored.secret_hash.as_deref(),
        Some(authgate::crypto::hash_secret(&secret).as_str())
    );
    assert!(stored.refresh_tokens);
    let with = |s: &str| {
        let (id, s) = (conf_id.clone(), s.to_owned());
        let app = &app;
        async move {
            app.post_form(
                "/oauth/device/code",
                &[("client_id", &id), ("client_secret", &s)],
            )
            .await
        }
    };
    assert_eq!(with(&secret).await.status, 200);
    assert_eq!(with("wrong").await.error(), "invalid_client");
    let page = app.page(&format!("/admin/clients/{conf_id}")).await;
    assert!(!page.body.contains(&secret), "never shown again");
    assert!(page.body.contains("Rotate secret…"));

    // Rotation: a confirmation, then a new secret; the old one stops working.
    let confirm = app.page(&format!("/admin/clients/{conf_id}/secret")).await;
    assert!(confirm.body.contains("Rotate the secret of Build server?"));
    let rotated = app
        .submit(
            &format!("/admin/clients/{conf_id}/secret"),
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(rotated.status, 200);
    let new_secret = text_after(&rotated.body, r#"data-testid="secret-1""#);
    assert_ne!(new_secret, secret);
    assert_eq!(with(&secret).await.error(), "invalid_client");
    assert_eq!(with(&new_secret).await.status, 200);
    // A public client has no secret to rotate.
    let public_rotate = app
        .submit(
            &format!("/admin/clients/{public_id}/secret"),
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(public_rotate.status, 400);

    // Editing: name, scopes and refresh tokens.
    let edited = app
        .submit(
            &format!("/admin/clients/{public_id}"),
            &[
                ("csrf_token", &csrf),
                ("name", "Living-room TV"),
                ("scopes", "read write"),
            ],
            false,
        )
        .await;
    assert_eq!(
        edited.location(),
        Some(format!("/admin/clients/{public_id}?saved=1").as_str())
    );
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", &public_id), ("scope", "write")],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let invalid = app
        .submit(
            &format!("/admin/clients/{public_id}"),
            &[("csrf_token", &csrf), ("name", "TV"), ("scopes", "")],
            false,
        )
        .await;
    assert_eq!(invalid.status, 422);
    let page = app
        .page(&format!("/admin/clients/{public_id}?saved=1"))
        .await;
    assert!(page.body.contains("Changes saved."));
    assert!(page.body.contains(r#"value="Living-room TV""#));

    // Disabling: a confirmation, then invalid_client for the client and
    // its tokens stop working; enabling restores it.
    let token = {
        let r = app
            .post_form("/oauth/device/code", &[("client_id", &public_id)])
            .await;
        let (dc, uc) = (
            r.json["device_code"].as_str().unwrap().to_owned(),
            r.json["user_code"].as_str().unwrap().to_owned(),
        );
        app.approve(&uc).await;
        app.post_form(
            "/oauth/token",
            &[
                ("grant_type", crate::support::DEVICE_GRANT),
                ("device_code", &dc),
                ("client_id", &public_id),
            ],
        )
        .await
        .json["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(app.tokeninfo(&token).await.status, 200);
    let confirm = app
        .page(&format!("/admin/clients/{public_id}/disable"))
        .await;
    assert!(confirm.body.contains("Disable Living-room TV?"));
    let done = app
        .submit(
            &format!("/admin/clients/{public_id}/disable"),
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(done.status, 303);
    let r = app
        .post_form("/oauth/device/code", &[("client_id", &public_id)])
        .await;
    assert_eq!(r.error(), "invalid_client");
    assert_eq!(app.tokeninfo(&token).await.status, 401);
    let list = app.page("/admin/clients").await;
    assert!(list.body.contains("Disabled"));
    app.submit(
        &format!("/admin/clients/{public_id}/enable"),
        &[("csrf_token", &csrf)],
        false,
    )
    .await;
    let r = app
        .post_form("/oauth/device/code", &[("client_id", &public_id)])
        .await;
    assert_eq!(r.status, 200);

    // Each change is audited with the administrator and the client.
    for action in [
        AuditAction::AdminClientCreated,
        AuditAction::AdminClientSecretRotated,
        AuditAction::AdminClientUpdated,
        AuditAction::AdminClientDisabled,
        AuditAction::AdminClientEnabled,
    ] {
        let events = audit(&app, action).await;
        assert!(!events.is_empty(), "{action}");
        assert_eq!(
            events[0].actor.as_deref(),
            Some(app.admin_id.as_str()),
            "{action}"
        );
    }
    let updated = audit(&app, AuditAction::AdminClientUpdated).await;
    assert!(
        updated[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("Living-room TV")
    );
}

#[tokio::test]
async fn redirect_uris_are_registered_checked_and_edited() {
    let (app, csrf) = admin_app().await;
    let bad = app
        .submit(
            "/admin/clients",
            &[
                ("csrf_token", &csrf),
                ("name", "Web app"),
                ("scopes", "read"),
                (
                    "redirect_uris",
                    "https://app.example/cb javascript:alert(1)",
                ),
                ("kind", "public"),
            ],
            false,
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains(r#"id="client-redirect-uris-error""#));
    let (id, _) = create_client(
        &app,
        &csrf,
        &[
            ("name", "Web app"),
            ("scopes", "read"),
            (
                "redirect_uris",
                " https://app.example/cb  http://127.0.0.1/cb ",
            ),
            ("kind", "public"),
        ],
    )
    .await;
    let uris = app.core.store.client_redirect_uris(&id).await.unwrap();
    assert_eq!(uris, ["http://127.0.0.1/cb", "https://app.example/cb"]);
    let page = app.page(&format!("/admin/clients/{id}")).await;
    assert!(
        page.body
            .contains(r#"value="http://127.0.0.1/cb https://app.example/cb""#),
        "the edit form shows them"
    );
    let saved = app
        .submit(
            &format!("/admin/clients/{id}"),
            &[
                ("csrf_token", &csrf),
                ("name", "Web app"),
                ("scopes", "read"),
                ("redirect_uris", "https://app.example/other"),
            ],
            false,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let uris = app.core.store.client_redirect_uris(&id).await.unwrap();
    assert_eq!(uris, ["https://app.example/other"]);
    let updated = audit(&app, AuditAction::AdminClientUpdated).await;
    assert!(
        updated[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("redirect URIs https://app.example/other"),
        "{updated:?}"
    );
}

#[tokio::test]
async fn grant_types_and_post_logout_uris_are_shown_checked_and_edited() {
    use authgate::model::client::{GrantType, GrantTypes};
    let (app, csrf) = admin_app().await;
    let new = app.page("/admin/clients/new").await;
    assert!(new.body.contains("Post-logout redirect URIs"));
    for id in [
        "client-grant-device",
        "client-grant-code",
        "client-grant-refresh",
        "client-grant-machine",
    ] {
        assert!(new.body.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    let base = [
        ("csrf_token", csrf.as_str()),
        ("name", "Portal"),
        ("scopes", "read"),
        ("redirect_uris", "https://app.example/cb"),
        ("kind", "public"),
        ("grants_shown", "1"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form = base.to_vec();
        form.extend_from_slice(extra);
        form
    };
    for (extra, error_id, says) in [
        (
            vec![
                ("grant_device_code", "on"),
                ("post_logout_redirect_uris", "http://app.example/bye"),
            ],
            "client-post-logout-uris-error",
            "https",
        ),
        (
            vec![
                ("grant_device_code", "on"),
                ("post_logout_redirect_uris", "https://*.example/bye"),
            ],
            "client-post-logout-uris-error",
            "wildcard",
        ),
        (vec![], "client-grants-error", "at least one grant type"),
        (
            vec![("grant_client_credentials", "on")],
            "client-grants-error",
            "for confidential clients",
        ),
    ] {
        let bad = app.submit("/admin/clients", &with(&extra), false).await;
        assert_eq!(bad.status, 422, "{extra:?}");
        assert!(
            bad.body.contains(&format!(r#"id="{error_id}""#)),
            "{extra:?}"
        );
        assert!(bad.body.contains(says), "{extra:?}");
    }
    let (id, _) = create_client(
        &app,
        &csrf,
        &with(&[
            ("grant_authorization_code", "on"),
            ("post_logout_redirect_uris", "https://app.example/bye"),
        ])[1..],
    )
    .await;
    let client = app.core.store.find_client(&id).await.unwrap().unwrap();
    assert_eq!(
        client.grant_types,
        GrantTypes::new([GrantType::AuthorizationCode])
    );
    assert_eq!(
        app.core
            .store
            .client_post_logout_redirect_uris(&id)
            .await
            .unwrap(),
        ["https://app.example/bye"]
    );
    let page = app.page(&format!("/admin/clients/{id}")).await;
    assert!(page.body.contains(r#"value="https://app.example/bye""#));
    assert!(page.body.contains(r#"id="client-grant-code" name="grant_authorization_code" type="checkbox" value="on" checked"#));
    let saved = app
        .submit(
            &format!("/admin/clients/{id}"),
            &with(&[("grant_device_code", "on"), ("grant_refresh_token", "on")])[1..]
                .iter()
                .copied()
                .chain([("csrf_token", csrf.as_str())])
                .collect::<Vec<_>>(),
            false,
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let client = app.core.store.find_client(&id).await.unwrap().unwrap();
    assert_eq!(
        client.grant_types,
        GrantTypes::new([GrantType::DeviceCode, GrantType::RefreshToken])
    );
    assert!(
        app.core
            .store
            .client_post_logout_redirect_uris(&id)
            .await
            .unwrap()
            .is_empty()
    );
    let updated = audit(&app, AuditAction::AdminClientUpdated).await;
    let detail = updated[0].detail.as_deref().unwrap();
    assert!(
        detail.contains("grants device_code refresh_token"),
        "{detail}"
    );
    assert!(detail.contains("post-logout redirect URIs"), "{detail}");
    let created = audit(&app, AuditAction::AdminClientCreated).await;
    assert!(
        created[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("grants authorization_code")
    );
}

#[tokio::test]
async fn a_machine_client_is_set_up_in_the_dashboard_and_gets_its_token() {
    let (app, csrf) = admin_app().await;
    let (id, secret) = create_client(
        &app,
        &csrf,
        &[
            ("name", "Nightly job"),
            ("scopes", "reports"),
            ("kind", "confidential"),
            ("grants_shown", "1"),
            ("grant_client_credentials", "on"),
        ],
    )
    .await;
    let secret = secret.expect("a confidential client's secret");
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["scope"], "reports");
    // Its page shows the grant ticked.
    let page = app.page(&format!("/admin/clients/{id}")).await;
    let at = page
        .body
        .find(r#"name="grant_client_credentials""#)
        .expect("the box");
    let tag_end = at + page.body[at..].find('>').unwrap();
    assert!(
        page.body[at..tag_end].contains("checked"),
        "{}",
        &page.body[at..tag_end]
    );
}

#[tokio::test]
async fn a_client_page_says_how_the_client_authenticates() {
    use authgate::domain::admin::{self, Actor, ClientKind, Ctx};
    use authgate::model::client::ClientKeys;
    let (app, _) = admin_app().await;
    let mut spec = admin::client_spec("Signer", "read", false).unwrap();
    spec.resources = Some(vec!["https://reports.example/api".into()]);
    let keys = ClientKeys::JwksUri("https://signer.example/jwks.json".into());
    let id = admin::create_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        &spec,
        ClientKind::Confidential,
        Some(keys),
    )
    .await
    .unwrap()
    .client_id;
    let page = app.page(&format!("/admin/clients/{id}")).await;
    assert!(page.body.contains("Authenticates with"), "{}", page.body);
    assert!(page.body.contains("private_key_jwt"));
    assert!(page.body.contains("https://signer.example/jwks.json"));
    assert!(
        page.body.contains("https://reports.example/api"),
        "its resources"
    );
    assert!(
        !page.body.contains("Rotate secret"),
        "a key client has no secret"
    );
    let cli = app
        .page(&format!("/admin/clients/{}", app.cli_client_id))
        .await;
    assert!(cli.body.contains("Nothing: a public client"));
    assert!(cli.body.contains("None (tokens are for this server)"));
}
