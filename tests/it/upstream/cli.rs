//! `authgate provider add|list|disable|enable|remove` on the configured
//! database, as an operator runs them.

use authgate::model::audit::AuditAction;

use crate::admin::audit;
use crate::admin::command_line::run_binary;
use crate::support::TestApp;

#[tokio::test]
async fn providers_are_managed_from_the_command_line() {
    let app = TestApp::spawn().await;
    let db = app.dir.clone();
    let run = |args: Vec<&str>, stdin: Option<&'static str>| {
        let db = db.clone();
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_binary(&db, &args, stdin)
        })
    };

    let (ok, out, err) = run(
        vec![
            "provider",
            "add",
            "corp",
            "--issuer",
            "https://id.corp.example",
            "--client-id",
            "authgate",
            "--client-secret-stdin",
            "--label",
            "Corp SSO",
            "--create-accounts",
            "--allowed-domain",
            "corp.example",
            "--trust-email",
            "--base-url",
            "https://auth.example",
        ],
        Some("very-secret-value\n"),
    )
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    assert!(
        out.lines()
            .any(|l| l == "redirect_uri: https://auth.example/login/upstream/corp/callback"),
        "{out}"
    );
    assert!(!out.contains("very-secret-value"));
    let stored = app
        .core
        .store
        .upstream_provider("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.client_secret.expose(), "very-secret-value");
    assert_eq!(stored.label, "Corp SSO");
    assert_eq!(stored.scopes, ["openid", "profile", "email"]);
    assert!(stored.create_accounts && stored.trust_email);
    assert_eq!(stored.allowed_domains, ["corp.example"]);

    let (ok, out, _) = run(vec!["provider", "list"], None).await.unwrap();
    assert!(ok);
    assert!(out.contains("corp") && out.contains("enabled") && out.contains("domain=corp.example"));
    assert!(
        !out.contains("very-secret-value"),
        "the secret is never shown again"
    );

    // Refused: a name in use, a bad name, a plain-http issuer elsewhere,
    // no secret on standard input.
    for (args, stdin) in [
        (vec!["corp", "--issuer", "https://x.example"], Some("s\n")),
        (vec!["Corp!", "--issuer", "https://x.example"], Some("s\n")),
        (vec!["other", "--issuer", "http://x.example"], Some("s\n")),
        (vec!["other", "--issuer", "https://x.example"], Some("\n")),
    ] {
        let mut all = vec!["provider", "add"];
        all.extend(args);
        all.extend(["--client-id", "c", "--client-secret-stdin"]);
        let (ok, _, err) = run(all, stdin).await.unwrap();
        assert!(!ok, "refused: {err}");
    }

    let (ok, _, _) = run(vec!["provider", "disable", "corp"], None)
        .await
        .unwrap();
    assert!(ok);
    assert!(
        !app.core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let (ok, _, _) = run(vec!["provider", "enable", "corp"], None).await.unwrap();
    assert!(ok);
    assert!(
        app.core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let (ok, _, _) = run(vec!["provider", "remove", "corp"], None).await.unwrap();
    assert!(ok);
    assert!(
        app.core
            .store
            .upstream_provider("corp")
            .await
            .unwrap()
            .is_none()
    );
    let (ok, _, err) = run(vec!["provider", "remove", "corp"], None).await.unwrap();
    assert!(!ok && err.contains("no provider called corp"), "{err}");

    for action in [
        AuditAction::AdminProviderCreated,
        AuditAction::AdminProviderDisabled,
        AuditAction::AdminProviderEnabled,
        AuditAction::AdminProviderRemoved,
    ] {
        let events = audit(&app, action).await;
        assert_eq!(events.len(), 1, "{action}");
        assert!(
            events[0]
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("(command line)")
        );
    }
    app.shutdown().await;
}
