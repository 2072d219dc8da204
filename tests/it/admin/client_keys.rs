//! Signed-JWT clients and resources from the dashboard: registering a
//! client's public keys on the creation form, replacing them on its page,
//! and the RFC 8707 resources its tokens may be for.

use authgate::crypto::keys::SigningAlg;
use authgate::model::audit::AuditAction;
use authgate::model::client::ClientKeys;

use super::{admin_app, audit, text_after};
use crate::private_key_jwt::{claims, device_code, jwks, key, sign};
use crate::support::TestApp;

async fn create(app: &TestApp, csrf: &str, extra: &[(&str, &str)]) -> crate::support::Page {
    let mut form = vec![
        ("csrf_token", csrf),
        ("name", "Reports job"),
        ("scopes", "read"),
    ];
    form.extend_from_slice(extra);
    app.submit("/admin/clients", &form, false).await
}

#[tokio::test]
async fn a_signed_jwt_client_is_registered_and_its_keys_replaced() {
    let (app, csrf) = admin_app().await;
    let first = key(SigningAlg::Es256);
    let set = jwks(&[&first]);
    let created = create(&app, &csrf, &[("kind", "keys"), ("jwks", &set)]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        !created.body.contains(r#"data-testid="secret-1""#),
        "no secret"
    );
    assert!(created.body.contains("private_key_jwt"));
    let client = text_after(&created.body, r#"data-testid="secret-0""#);
    let stored = app.core.store.find_client(&client).await.unwrap().unwrap();
    assert!(stored.secret_hash.is_none());
    assert!(matches!(stored.keys, Some(ClientKeys::Jwks(_))));

    let signed_by = |k| sign(k, &claims(&app, &client));
    let r = device_code(&app, &client, &signed_by(&first)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    // Its page offers the keys, not a secret, and the form shows them.
    let page = app.page(&format!("/admin/clients/{client}")).await;
    assert!(page.body.contains("Replace keys…"));
    assert!(!page.body.contains("Rotate secret…"));
    let keys_page = app.page(&format!("/admin/clients/{client}/keys")).await;
    assert_eq!(keys_page.status, 200);
    assert!(keys_page.body.contains("<textarea"));
    assert!(
        keys_page.body.contains(&first.kid),
        "the registered set is shown"
    );

    // Bad keys come back at the field and change nothing.
    let mut private = serde_json::to_value(&first.public_jwk).unwrap();
    private["d"] = "c2VjcmV0".into();
    let with_private = serde_json::json!({ "keys": [private] }).to_string();
    let path = format!("/admin/clients/{client}/keys");
    for (jwks, uri) in [
        (with_private.as_str(), ""),
        ("", ""),
        ("not json", ""),
        (set.as_str(), "https://keys.example/jwks.json"),
        ("", "http://keys.example/jwks.json"),
    ] {
        let r = app
            .submit(
                &path,
                &[("csrf_token", &csrf), ("jwks", jwks), ("jwks_uri", uri)],
                false,
            )
            .await;
        assert_eq!(r.status, 422, "{jwks:?} {uri:?}");
        assert!(
            r.body.contains(r#"id="client-jwks-error""#),
            "{jwks:?} {uri:?}"
        );
    }
    let r = device_code(&app, &client, &signed_by(&first)).await;
    assert_eq!(r.status, 200, "the keys are unchanged: {:?}", r.json);

    // Without the session's CSRF token nothing happens.
    let second = key(SigningAlg::EdDsa);
    let forged = app
        .submit(
            &path,
            &[("csrf_token", "forged"), ("jwks", &jwks(&[&second]))],
            false,
        )
        .await;
    assert!(forged.status >= 400, "{}", forged.status);
    assert_eq!(
        device_code(&app, &client, &signed_by(&second))
            .await
            .error(),
        "invalid_client"
    );

    // Replacing: the new key works at once, the old one no longer.
    let replaced = app
        .submit(
            &path,
            &[
                ("csrf_token", &csrf),
                ("jwks", &jwks(&[&second])),
                ("jwks_uri", ""),
            ],
            false,
        )
        .await;
    assert_eq!(
        replaced.location(),
        Some(format!("/admin/clients/{client}?keys=1").as_str())
    );
    let r = device_code(&app, &client, &signed_by(&second)).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(
        device_code(&app, &client, &signed_by(&first)).await.error(),
        "invalid_client"
    );
    let events = audit(&app, AuditAction::AdminClientUpdated).await;
    assert!(
        events.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("keys replaced"))),
        "{events:?}"
    );

    // A client with a secret, or none, has no keys to replace.
    let cli = app.cli_client_id.clone();
    let page = app.page(&format!("/admin/clients/{cli}/keys")).await;
    assert_eq!(page.status, 400);
    let r = app
        .submit(
            &format!("/admin/clients/{cli}/keys"),
            &[("csrf_token", &csrf), ("jwks", &jwks(&[&second]))],
            false,
        )
        .await;
    assert_eq!(r.status, 400);
    let stored = app.core.store.find_client(&cli).await.unwrap().unwrap();
    assert!(
        stored.keys.is_none(),
        "a public client did not become a key client"
    );
}

#[tokio::test]
async fn the_creation_form_refuses_keys_that_do_not_fit_the_type() {
    let (app, csrf) = admin_app().await;
    let set = jwks(&[&key(SigningAlg::Rs256)]);
    for extra in [
        vec![("kind", "keys")],
        vec![("kind", "keys"), ("jwks", "{\"keys\": []}")],
        vec![("kind", "keys"), ("jwks_uri", "ftp://keys.example/")],
        vec![("kind", "confidential"), ("jwks", set.as_str())],
        vec![
            ("kind", "public"),
            ("jwks_uri", "https://keys.example/jwks.json"),
        ],
    ] {
        let r = create(&app, &csrf, &extra).await;
        assert_eq!(r.status, 422, "{extra:?}");
        assert!(r.body.contains(r#"id="client-jwks-error""#), "{extra:?}");
        assert!(r.body.contains("Check the highlighted fields."));
    }
    // A key URL is kept as given.
    let r = create(
        &app,
        &csrf,
        &[
            ("kind", "keys"),
            ("jwks_uri", "https://keys.example/jwks.json"),
        ],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let client = text_after(&r.body, r#"data-testid="secret-0""#);
    let stored = app.core.store.find_client(&client).await.unwrap().unwrap();
    assert_eq!(
        stored.keys,
        Some(ClientKeys::JwksUri("https://keys.example/jwks.json".into()))
    );
}

#[tokio::test]
async fn resources_are_set_on_the_form_and_limit_the_tokens() {
    let (app, csrf) = admin_app().await;
    let created = create(
        &app,
        &csrf,
        &[
            ("kind", "confidential"),
            ("grants_shown", "1"),
            ("grant_client_credentials", "on"),
            ("resources", "https://reports.example/api"),
        ],
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let client = text_after(&created.body, r#"data-testid="secret-0""#);
    let secret = text_after(&created.body, r#"data-testid="secret-1""#);
    let token = |resource: &'static str| {
        let (app, client, secret) = (&app, client.clone(), secret.clone());
        async move {
            app.post_form(
                "/oauth/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client),
                    ("client_secret", &secret),
                    ("resource", resource),
                ],
            )
            .await
        }
    };
    assert_eq!(token("https://reports.example/api").await.status, 200);
    assert_eq!(
        token("https://billing.example/api").await.error(),
        "invalid_target"
    );

    // The edit form shows them and changes them; a bad one is refused at
    // its field.
    let path = format!("/admin/clients/{client}");
    let page = app.page(&path).await;
    assert!(page.body.contains(r#"value="https://reports.example/api""#));
    let edit = |resources: &'static str| {
        let (app, path, csrf) = (&app, path.clone(), csrf.clone());
        async move {
            app.submit(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("name", "Reports job"),
                    ("scopes", "read"),
                    ("resources", resources),
                ],
                false,
            )
            .await
        }
    };
    let bad = edit("https://billing.example/api#part").await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains(r#"id="client-resources-error""#),
        "{}",
        bad.body
    );
    assert_eq!(edit("https://billing.example/api").await.status, 303);
    assert_eq!(token("https://billing.example/api").await.status, 200);
    assert_eq!(
        token("https://reports.example/api").await.error(),
        "invalid_target"
    );
}
