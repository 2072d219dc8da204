//! Editing a provider: `authgate provider edit` changes only what it is
//! given, checks like `add`, never shows or audits the secret; a changed
//! client secret is used at the next sign-in; a new issuer is refused
//! while accounts are linked.

use authgate::domain::admin::{Actor, Ctx};
use authgate::domain::upstream::providers::{self, ProviderChanges};
use authgate::model::Secret;
use authgate::model::audit::AuditAction;

use super::{SECRET, add_provider, find, pair, user};
use crate::admin::audit;
use crate::admin::command_line::run_binary;
use crate::support::TestApp;

#[tokio::test]
async fn the_command_line_edits_only_what_it_is_given() {
    let app = TestApp::spawn().await;
    add_provider(&app, "https://id.corp.example", |p| {
        p.allowed_domains = vec!["corp.example".into()];
    })
    .await;
    let db = app.dir.clone();
    let run = |args: Vec<&str>, stdin: Option<&'static str>| {
        let db = db.clone();
        let args: Vec<String> = ["provider", "edit", "corp"]
            .into_iter()
            .chain(args)
            .map(str::to_owned)
            .collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_binary(&db, &args, stdin)
        })
    };
    let stored = || async {
        app.core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .unwrap()
    };

    let (ok, out, err) = run(vec!["--label", "Corp SSO"], None).await.unwrap();
    assert!(ok, "{out}{err}");
    assert!(out.contains("label:           Corp SSO"), "{out}");
    assert!(!out.contains(SECRET), "the secret is never printed");
    let p = stored().await;
    assert_eq!(p.label, "Corp SSO");
    assert_eq!(p.client_secret.expose(), SECRET, "kept");
    assert_eq!(p.allowed_domains, ["corp.example"], "kept");

    let (ok, out, err) = run(
        vec![
            "--scopes",
            "email",
            "--username-claim",
            "upn",
            "--email-claim",
            "mail",
            "--name-claim",
            "display",
            "--create-accounts",
            "true",
            "--trust-email",
            "true",
            "--allowed-domain",
            "a.example",
            "--allowed-domain",
            "@B.example",
            "--hint-domain",
            "corp.example",
            "--client-id",
            "new-client",
            "--client-secret-stdin",
            "--issuer",
            "https://login.corp.example/tenant",
        ],
        Some("new-secret-value\n"),
    )
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    assert!(!out.contains("new-secret-value"));
    let p = stored().await;
    assert_eq!(p.scopes, ["openid", "email"]);
    assert_eq!(
        (
            p.claims.username.as_str(),
            p.claims.email.as_str(),
            p.claims.name.as_str()
        ),
        ("upn", "mail", "display")
    );
    assert!(p.create_accounts && p.trust_email && p.enabled);
    assert_eq!(p.allowed_domains, ["a.example", "b.example"]);
    assert_eq!(p.hint_domains, ["corp.example"]);
    assert_eq!(p.client_id, "new-client");
    assert_eq!(p.client_secret.expose(), "new-secret-value");
    assert_eq!(p.issuer, "https://login.corp.example/tenant");

    let (ok, _, err) = run(
        vec![
            "--clear-allowed-domains",
            "--clear-hint-domains",
            "--create-accounts",
            "false",
        ],
        None,
    )
    .await
    .unwrap();
    assert!(ok, "{err}");
    let p = stored().await;
    assert!(p.allowed_domains.is_empty() && p.hint_domains.is_empty() && !p.create_accounts);

    // Refused as `add` refuses, and nothing changes.
    for (args, stdin, says) in [
        (vec!["--issuer", "http://x.example"], None, "https URL"),
        (vec!["--allowed-domain", "nodot"], None, "allowed domains"),
        (
            vec!["--hint-domain", "a b.example"],
            None,
            "sign-in domains",
        ),
        (vec!["--username-claim", ""], None, "claim names"),
        (vec!["--client-id", " "], None, "client id"),
        (vec!["--client-secret-stdin"], Some("\n"), "no secret"),
        (vec!["--create-accounts", "maybe"], None, "invalid value"),
    ] {
        let (ok, out, err) = run(args.clone(), stdin).await.unwrap();
        assert!(!ok, "{args:?} should be refused: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (ok, _, err) = tokio::task::spawn_blocking({
        let db = db.clone();
        move || run_binary(&db, &["provider", "edit", "nobody", "--label", "X"], None)
    })
    .await
    .unwrap();
    assert!(!ok && err.contains("no provider called nobody"), "{err}");
    assert_eq!(stored().await.client_secret.expose(), "new-secret-value");

    // Audited with the fields' names, never the secret.
    let events = audit(&app, AuditAction::AdminProviderUpdated).await;
    assert_eq!(events.len(), 3);
    let details: Vec<&str> = events.iter().filter_map(|e| e.detail.as_deref()).collect();
    assert!(details.iter().any(|d| d.contains("label")), "{details:?}");
    assert!(
        details.iter().any(|d| d.contains("client secret")
            && d.contains("issuer")
            && d.contains("sign-in domains")),
        "{details:?}"
    );
    assert!(details.iter().all(|d| !d.contains("new-secret-value")));
    assert!(details.iter().all(|d| d.ends_with("(command line)")));
    app.shutdown().await;
}

#[tokio::test]
async fn a_new_client_secret_is_used_at_the_next_sign_in() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let ctx = Ctx::of(&pair.app.core);
    let actor = Actor::command_line();
    let set_secret = |secret: &'static str| ProviderChanges {
        client_secret: Some(Secret::new(secret)),
        ..ProviderChanges::default()
    };
    // The provider's discovery is cached from here on.
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);

    providers::update(&ctx, &actor, "corp", set_secret("not-the-secret"))
        .await
        .unwrap();
    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    let refused = pair.round_trip("ann", "/account").await;
    assert_eq!(refused.status, 502, "the provider refuses the old secret");
    assert!(!pair.is_signed_in_as("ann").await);

    providers::update(&ctx, &actor, "corp", set_secret(SECRET))
        .await
        .unwrap();
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    assert!(pair.is_signed_in_as("ann").await);
    pair.shutdown().await;
}

#[tokio::test]
async fn the_issuer_cannot_change_under_linked_accounts() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let ctx = Ctx::of(&pair.app.core);
    let actor = Actor::command_line();
    let new_issuer = || ProviderChanges {
        issuer: Some("https://other.example".into()),
        ..ProviderChanges::default()
    };
    assert_eq!(pair.round_trip("ann", "/account").await.status, 303);
    assert!(find(&pair.app, "ann").await.is_some());

    let refused = providers::update(&ctx, &actor, "corp", new_issuer()).await;
    let Err(authgate::domain::Error::Refused(why)) = refused else {
        panic!("refused: {refused:?}");
    };
    assert!(
        why.contains("1 account(s) are linked") && why.contains("remove"),
        "{why}"
    );
    let kept = pair
        .app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.issuer, pair.up.base);
    assert!(
        audit(&pair.app, AuditAction::AdminProviderUpdated)
            .await
            .is_empty()
    );

    // Without links it may change.
    let ann = find(&pair.app, "ann").await.unwrap();
    pair.app
        .core
        .store
        .delete_upstream_identity(&ann.id, &kept.id, false)
        .await
        .unwrap();
    providers::update(&ctx, &actor, "corp", new_issuer())
        .await
        .unwrap();
    pair.shutdown().await;
}
