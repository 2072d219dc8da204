//! `authgate provider add|list|disable|enable|remove` on the configured
//! database, as an operator runs them.

use authgate::model::audit::AuditAction;
use authgate::model::upstream::ProviderKind;

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

#[tokio::test]
async fn presets_fill_in_what_is_not_given() {
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let app = TestApp::spawn().await;
    let db = app.dir.clone();
    let add = |args: &[&str]| {
        let db = db.clone();
        let mut all: Vec<String> = ["provider", "add"].map(str::to_owned).to_vec();
        all.extend(args.iter().map(|s| (*s).to_owned()));
        all.extend(["--client-id", "c", "--client-secret-stdin"].map(str::to_owned));
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            run_binary(&db, &args, Some("s3cret\n"))
        })
    };
    let stored = |name: &'static str| {
        let store = app.core.store.clone();
        async move { store.upstream_provider(name).await.unwrap().unwrap() }
    };

    let (ok, out, err) = add(&["gh", "--preset", "github"]).await.unwrap();
    assert!(ok, "{out}{err}");
    let gh = stored("gh").await;
    assert_eq!(gh.kind, ProviderKind::Github);
    assert_eq!(gh.issuer, "https://github.com");
    assert_eq!(gh.scopes, ["read:user", "user:email"]);
    assert_eq!(gh.label, "GitHub");

    let (ok, out, err) = add(&[
        "lab",
        "--preset",
        "gitlab",
        "--issuer",
        "https://git.corp.example",
        "--trust-email",
    ])
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    let lab = stored("lab").await;
    assert_eq!(lab.kind, ProviderKind::Oidc);
    assert_eq!(lab.issuer, "https://git.corp.example");
    assert_eq!(lab.claims.username, "nickname");
    assert_eq!(lab.label, "GitLab");
    assert!(lab.trust_email);

    let (ok, out, err) = add(&[
        "tea",
        "--preset",
        "gitea",
        "--issuer",
        "https://gitea.corp.example",
        "--label",
        "Corp Gitea",
        "--username-claim",
        "nickname",
    ])
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    let tea = stored("tea").await;
    assert_eq!(tea.issuer, "https://gitea.corp.example/");
    assert_eq!(tea.label, "Corp Gitea", "an explicit label wins");
    assert_eq!(tea.claims.username, "nickname", "an explicit claim wins");

    let (ok, out, err) = add(&["ms", "--preset", "microsoft", "--tenant", TENANT])
        .await
        .unwrap();
    assert!(ok, "{out}{err}");
    let ms = stored("ms").await;
    assert_eq!(
        ms.issuer,
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert_eq!(ms.claims.username, "preferred_username");
    assert!(!ms.trust_email);

    let (ok, out, _) = run_binary(&db, &["provider", "list"], None);
    assert!(ok);
    let gh_line = out.lines().find(|l| l.starts_with("gh ")).unwrap();
    assert!(gh_line.contains(" github "), "{gh_line}");
    let ms_line = out.lines().find(|l| l.starts_with("ms ")).unwrap();
    assert!(ms_line.contains(" oidc "), "{ms_line}");

    // Refused, each with its reason, and nothing saved.
    let refusals: [(&[&str], &str); 8] = [
        (&["x1", "--preset", "microsoft"], "tenant"),
        (
            &["x2", "--preset", "microsoft", "--tenant", "common"],
            "shared",
        ),
        (
            &["x3", "--preset", "microsoft", "--tenant", "organizations"],
            "shared",
        ),
        (
            &[
                "x4",
                "--preset",
                "microsoft",
                "--tenant",
                TENANT,
                "--trust-email",
            ],
            "not verified",
        ),
        (
            &[
                "x5",
                "--issuer",
                "https://login.microsoftonline.com/consumers/v2.0",
            ],
            "shared",
        ),
        (
            &[
                "x6",
                "--issuer",
                &format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
                "--trust-email",
            ],
            "not verified",
        ),
        (&["x7", "--preset", "gitea"], "instance"),
        (
            &["x8", "--issuer", "https://id.example", "--tenant", TENANT],
            "tenant",
        ),
    ];
    for (args, says) in refusals {
        let (ok, out, err) = add(args).await.unwrap();
        assert!(!ok, "{args:?}: {out}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            app.core
                .store
                .upstream_provider(args[0])
                .await
                .unwrap()
                .is_none()
        );
    }
    app.shutdown().await;
}
