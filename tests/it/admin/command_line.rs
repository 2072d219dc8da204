//! `authgate user|client` on the configured database.

use authgate::model::audit::AuditAction;

use super::{Browser, audit};
use crate::support::printed_client_id;
use crate::support::{TestApp, TestDb};

/// Runs the binary with `args` on `db`; returns (success, stdout, stderr).
pub fn run_binary(db: &TestDb, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_authgate"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn users_and_clients_are_managed_from_the_command_line() {
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

    let (ok, out, _) = run(
        vec!["user", "add", "frank", "--admin", "--password-stdin"],
        Some("frank-password-1\n"),
    )
    .await
    .unwrap();
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "created user frank (admin)");
    let (ok, out, _) = run(vec!["user", "add", "grace"], None).await.unwrap();
    assert!(ok);
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_owned();
    assert!(app.sign_in_as("grace", &generated).await.status == 303);
    let (ok, _, err) = run(vec!["user", "add", "grace"], None).await.unwrap();
    assert!(!ok);
    assert!(err.contains("taken"), "{err}");

    let (ok, out, _) = run(vec!["user", "list"], None).await.unwrap();
    assert!(ok);
    assert!(
        out.lines()
            .any(|l| l.starts_with("frank") && l.contains("admin"))
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("grace") && l.contains("user"))
    );
    let (_, json, _) = run(vec!["user", "list", "--json"], None).await.unwrap();
    let users: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(users.len(), 3);

    let (ok, out, _) = run(
        vec!["user", "set-password", "grace", "--password-stdin"],
        Some("grace-new-password\n"),
    )
    .await
    .unwrap();
    assert!(ok, "{out}");
    let fresh = Browser::new(&app);
    assert_eq!(
        fresh.sign_in("grace", "grace-new-password").await.status,
        303
    );
    let (ok, out, _) = run(vec!["user", "disable", "grace"], None).await.unwrap();
    assert!(ok);
    assert_eq!(out.trim(), "user grace disabled");
    assert_eq!(
        Browser::new(&app)
            .sign_in("grace", "grace-new-password")
            .await
            .status,
        401
    );
    let (ok, _, err) = run(vec!["user", "disable", "nobody"], None).await.unwrap();
    assert!(!ok);
    assert!(err.contains("no user named"), "{err}");

    let (ok, out, _) = run(
        vec![
            "client",
            "add",
            "Deploy bot",
            "--confidential",
            "--scopes",
            "read deploy",
        ],
        None,
    )
    .await
    .unwrap();
    assert!(ok, "{out}");
    let id = printed_client_id(&out);
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap()
        .to_owned();
    let r = app
        .post_form(
            "/oauth/device/code",
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "deploy"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let (_, list, _) = run(vec!["client", "list"], None).await.unwrap();
    assert!(list.contains("Deploy bot") && list.contains("confidential"));
    let (ok, out, _) = run(
        vec![
            "client",
            "add",
            "Web app",
            "--redirect-uri",
            "https://app.example/cb",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ],
        None,
    )
    .await
    .unwrap();
    assert!(ok, "{out}");
    let web_id = &printed_client_id(&out);
    assert_eq!(
        app.core.store.client_redirect_uris(web_id).await.unwrap(),
        ["http://127.0.0.1/cb", "https://app.example/cb"]
    );
    let (_, json, _) = run(vec!["client", "list", "--json"], None).await.unwrap();
    let web: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["name"] == "Web app")
        .unwrap();
    assert_eq!(
        web["redirect_uris"],
        serde_json::json!(["http://127.0.0.1/cb", "https://app.example/cb"])
    );
    let (ok, _, err) = run(
        vec![
            "client",
            "add",
            "Bad",
            "--redirect-uri",
            "javascript:alert(1)",
        ],
        None,
    )
    .await
    .unwrap();
    assert!(!ok && err.contains("redirect URI"), "{err}");
    let (ok, _, _) = run(vec!["client", "disable", &id], None).await.unwrap();
    assert!(ok);
    // Another process changed the SQLite file: the server's cached copy of
    // the client holds for at most MAX_AGE_MS (PostgreSQL notifies at once).
    app.clock.advance(std::time::Duration::from_millis(
        authgate::store::MAX_AGE_MS as u64,
    ));
    let r = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", &id), ("client_secret", &secret)],
        )
        .await;
    assert_eq!(r.error(), "invalid_client");

    // Audited as command-line actions.
    let created = audit(&app, AuditAction::AdminUserCreated).await;
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|e| e.actor.is_none()));
    assert!(
        created[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("(command line)")
    );
    assert_eq!(audit(&app, AuditAction::AdminClientDisabled).await.len(), 1);
}

#[tokio::test]
async fn profiles_are_set_from_the_command_line() {
    let app = TestApp::spawn().await;
    let db = app.dir.clone();
    let run = |args: Vec<&str>| {
        let db = db.clone();
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_binary(&db, &args, None)
        })
    };
    let profile = |name: &'static str| {
        let store = app.core.store.clone();
        async move {
            store
                .find_user_by_username(name)
                .await
                .unwrap()
                .unwrap()
                .profile
        }
    };

    let (ok, _, err) = run(vec!["user", "add", "gus", "--email", "nope"])
        .await
        .unwrap();
    assert!(!ok);
    assert!(err.contains("email:"), "{err}");
    let (ok, out, err) = run(vec![
        "user",
        "add",
        "gus",
        "--email",
        "gus@example.com",
        "--email-verified",
        "--name",
        "Gus",
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(out.starts_with("created user gus (user)"), "{out}");
    let p = profile("gus").await;
    assert_eq!(p.email.as_deref(), Some("gus@example.com"));
    assert!(p.email_verified);
    assert_eq!(p.name.as_deref(), Some("Gus"));

    // A new address without --email-verified: unverified; the name stays.
    let (ok, out, _) = run(vec![
        "user",
        "set-profile",
        "gus",
        "--email",
        "gus@new.example",
    ])
    .await
    .unwrap();
    assert!(ok);
    assert_eq!(out.trim(), "profile of gus changed");
    let p = profile("gus").await;
    assert_eq!(p.email.as_deref(), Some("gus@new.example"));
    assert!(!p.email_verified);
    assert_eq!(p.name.as_deref(), Some("Gus"));
    let (ok, _, _) = run(vec![
        "user",
        "set-profile",
        "gus",
        "--email-verified",
        "--name",
        "",
    ])
    .await
    .unwrap();
    assert!(ok);
    let p = profile("gus").await;
    assert!(p.email_verified);
    assert_eq!(p.name, None);
    let (ok, _, err) = run(vec![
        "user",
        "set-profile",
        "gus",
        "--email-verified",
        "--email-unverified",
    ])
    .await
    .unwrap();
    assert!(!ok, "conflicting flags are refused");
    assert!(err.contains("cannot be used with"), "{err}");
    let (ok, _, err) = run(vec!["user", "set-profile", "nobody", "--name", "x"])
        .await
        .unwrap();
    assert!(!ok);
    assert!(err.contains("no user named"), "{err}");
    let events = audit(&app, AuditAction::AdminUserProfileChanged).await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| {
        e.detail
            .as_deref()
            .unwrap_or("")
            .ends_with("(command line)")
    }));
}
