//! The `authgate login|token|status|logout` client, run as the real binary
//! against a real test server; the test plays the person who approves.
//! The server's manual clock follows real time, since the client waits
//! real seconds between polls. A hostile fake server checks that the
//! client never prints terminal escapes it sends and never opens a
//! verification page that is not http(s).

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use authgate::clock::ManualClock;
use authgate::model::{Decision, UserCode};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_authgate");

/// A server whose BASE_URL is its real address (the client follows the
/// metadata's endpoints) and whose polling interval is 1 s.
pub(crate) async fn server(adjust: impl FnOnce(&mut authgate::config::Config)) -> TestApp {
    TestApp::spawn_with(|c| {
        c.base_url = format!("http://{}", c.addr);
        c.poll_interval = Duration::from_secs(1);
        adjust(c);
    })
    .await
}

/// Moves the server's manual clock along with real time while alive: the
/// client waits real seconds between polls, and a frozen server clock
/// would see them all at once.
pub(crate) struct Ticking(tokio::task::JoinHandle<()>);

impl Ticking {
    pub(crate) fn start(clock: Arc<ManualClock>) -> Self {
        Self(tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                clock.advance(Duration::from_millis(50));
            }
        }))
    }
}

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The binary with only PATH and the configuration directory `config`.
pub(crate) fn cli(config: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(config)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHGATE_CONFIG_DIR", config)
        .kill_on_drop(true);
    cmd
}

pub(crate) async fn run(config: &Path, args: &[&str]) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cli(config).args(args).output())
        .await
        .expect("the command finishes")
        .expect("the command runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `authgate login` in the background, and the user code it printed.
pub(crate) struct Login {
    child: Child,
    pub(crate) user_code: String,
    /// The rest of stderr, collected until the child closes it.
    rest: tokio::task::JoinHandle<Vec<String>>,
    pub(crate) seen: Vec<String>,
}

impl Login {
    async fn start(app: &TestApp, config: &Path) -> Login {
        Self::start_with(cli(config), app, &["--no-browser"]).await
    }

    /// `cmd` running `login` against `app` with `args` added, until it
    /// prints a user code.
    pub(crate) async fn start_with(mut cmd: Command, app: &TestApp, args: &[&str]) -> Login {
        let mut child = cmd
            .args([
                "login",
                "--server",
                &app.base,
                "--client-id",
                &app.cli_client_id,
            ])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn login");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut seen = Vec::new();
        let user_code = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stderr") {
                seen.push(line.clone());
                let word = line.trim();
                if word.len() == 9 && UserCode::parse(word).is_some() {
                    return word.to_owned();
                }
            }
            panic!("login printed no code: {seen:?}");
        })
        .await
        .expect("a code within 30 s");
        // Keep draining stderr so the child never blocks on a full pipe.
        let rest = tokio::spawn(async move {
            let mut rest = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                rest.push(line);
            }
            rest
        });
        Login {
            child,
            user_code,
            rest,
            seen,
        }
    }

    /// Waits for the exit; its code and everything printed on stderr.
    pub(crate) async fn finish(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("login ends within 60 s")
            .expect("wait");
        let mut all = self.seen;
        all.extend(self.rest.await.expect("stderr reader"));
        (status.code(), all.join("\n"))
    }
}

/// The stored credentials file of `app` under `config`.
pub(crate) fn stored_file(app: &TestApp, config: &Path) -> std::path::PathBuf {
    authgate::client::credentials::CredentialStore::at(config).path_for(&app.base)
}

pub(crate) fn stored(app: &TestApp, config: &Path) -> Value {
    let bytes = std::fs::read(stored_file(app, config)).expect("credentials stored");
    serde_json::from_slice(&bytes).expect("credentials are JSON")
}

/// Signs in through the binary, approving as the seeded administrator.
pub(crate) async fn login(app: &TestApp, config: &Path) -> String {
    let login = Login::start(app, config).await;
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    stderr
}

#[tokio::test]
async fn login_token_status_logout() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();

    let login = Login::start(&app, config).await;
    let seen = login.seen.join("\n");
    assert!(seen.contains(&format!("    {}/device", app.base)), "{seen}");
    let user_code = login.user_code.clone();
    app.approve(&user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("Signed in to {} as admin.", app.base)),
        "{stderr}"
    );
    assert!(
        !stderr.contains("scan"),
        "no QR code when stderr is not a terminal"
    );
    // Polls every `interval`: the server never had to slow it down.
    let device = app
        .core
        .store
        .find_device_code_by_user_code(&UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.interval_secs, 1, "no slow_down was needed");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let file = stored_file(&app, config);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600, "the token file is private");
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    let creds = stored(&app, config);
    assert_eq!(creds["server"], app.base.as_str());
    assert_eq!(creds["client_id"], app.cli_client_id.as_str());
    let access = creds["access_token"].as_str().unwrap().to_owned();
    let refresh = creds["refresh_token"].as_str().unwrap().to_owned();

    // A fresh token is printed as stored, alone on stdout.
    let out = run(config, &["token"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("{access}\n"));
    assert_eq!(app.tokeninfo(&access).await.status, 200);

    let out = run(config, &["status", "--server", &app.base]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status = text(&out.stdout);
    assert!(
        status.starts_with(&format!("Signed in to {} as admin\n", app.base)),
        "{status}"
    );
    assert!(status.contains(&app.cli_client_id), "{status}");
    assert!(status.contains("valid until"), "{status}");
    assert!(
        status.contains("(in 59m") || status.contains("(in 1h)"),
        "{status}"
    );

    let out = run(config, &["logout"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("revoked and deleted"));
    assert_eq!(
        app.tokeninfo(&access).await.status,
        401,
        "access token revoked"
    );
    assert_eq!(
        app.refresh(&refresh, None).await.error(),
        "invalid_grant",
        "refresh token revoked"
    );
    assert!(!stored_file(&app, config).exists(), "the file is removed");

    let out = run(config, &["token"]).await;
    assert_eq!(out.status.code(), Some(5), "not signed in");
    assert!(text(&out.stderr).contains("authgate login"));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn token_renews_an_access_token_about_to_expire() {
    // 30 s tokens are always within the client's one-minute margin, so
    // every `authgate token` renews: no waiting for expiry.
    let app = server(|c| c.access_token_ttl = Duration::from_secs(30)).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    login(&app, config).await;
    let first = stored(&app, config);

    let out = run(config, &["token", "--server", &app.base]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout).trim().to_owned();
    let renewed = stored(&app, config);
    assert_ne!(printed, first["access_token"].as_str().unwrap());
    assert_eq!(printed, renewed["access_token"].as_str().unwrap());
    assert_ne!(
        renewed["refresh_token"], first["refresh_token"],
        "refresh tokens rotate"
    );
    assert_eq!(app.tokeninfo(&printed).await.status, 200);

    // Several scripts at once: the renewals take turns, so no refresh
    // token is presented twice (which would revoke the whole grant).
    let runs: Vec<_> = (0..3).map(|_| run(config, &["token"])).collect();
    for out in futures::future::join_all(runs).await {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let token = text(&out.stdout).trim().to_owned();
        assert_eq!(app.tokeninfo(&token).await.status, 200, "still valid");
    }
    let out = run(config, &["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_session_revoked_elsewhere_is_reported() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path();
    login(&app, config).await;
    let creds = stored(&app, config);
    // The user revokes the grant (as from /account): both tokens die.
    let reply = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", creds["refresh_token"].as_str().unwrap()),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!(reply.status, 200);
    let out = run(config, &["status"]).await;
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("has ended"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn denial_is_reported_with_its_exit_code() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let login = Login::start(&app, dir.path()).await;
    app.decide(&login.user_code, Decision::Deny).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("denied"), "{stderr}");
    assert!(!stored_file(&app, dir.path()).exists());
}

#[tokio::test]
async fn expiry_is_reported_with_its_exit_code() {
    let app = server(|c| c.device_code_ttl = Duration::from_secs(60)).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    // Bearer tokens: the server's clock jumps ahead of this machine's,
    // which would make every DPoP proof look a minute old.
    let login = Login::start_with(cli(dir.path()), &app, &["--no-browser", "--no-dpop"]).await;
    // Nobody approves; the server's clock passes the code's expiry.
    app.advance(61);
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("expired"), "{stderr}");
    assert!(!stored_file(&app, dir.path()).exists());
}

/// With the server's clock frozen, the client's polls look too fast:
/// after one tolerated repeat it gets `slow_down` (interval 2 → 7 s) and
/// must wait the new interval before its next poll (read from the database,
/// where the server writes its poll pacing behind).
#[tokio::test]
async fn slow_down_lengthens_the_interval() {
    let app = TestApp::spawn_with(|c| {
        c.base_url = format!("http://{}", c.addr);
        c.poll_interval = Duration::from_secs(2);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Bearer tokens: the server's frozen clock would see DPoP proofs from
    // this machine's running one arrive from the future.
    let login = Login::start_with(cli(dir.path()), &app, &["--no-browser", "--no-dpop"]).await;
    let user_code = UserCode::parse(&login.user_code).unwrap();
    let slowed = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let code = app
                .core
                .store
                .find_device_code_by_user_code(&user_code)
                .await
                .unwrap()
                .unwrap();
            if code.interval_secs > 2 {
                return code.interval_secs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("slow_down within 30 s");
    assert_eq!(slowed, 7);
    #[allow(clippy::disallowed_methods)] // measuring the client's real wait
    let since = std::time::Instant::now();
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    // The stored interval is written behind (at most a second after the
    // slow_down answer), so up to a second of the 7 s passed before `since`;
    // the old interval was 2 s.
    assert!(
        since.elapsed() >= Duration::from_secs(5),
        "the next poll waited the new interval ({:?})",
        since.elapsed()
    );
}

#[tokio::test]
async fn commands_without_a_login_say_so() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["token", "status", "logout"] {
        let out = run(dir.path(), &[command]).await;
        assert_eq!(out.status.code(), Some(5), "{command}");
        let err = text(&out.stderr);
        assert!(err.contains("not signed in"), "{command}: {err}");
        assert_eq!(err.lines().count(), 1, "{command}: one line: {err}");
    }
    let out = run(
        dir.path(),
        &[
            "login",
            "--server",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot reach"),
        "{}",
        text(&out.stderr)
    );
}

/// Terminal escapes the hostile server below puts in every string it
/// controls: a window title, a screen erase, a C1 CSI, a bidi override.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}1A\u{202e}";

/// A server that says hostile things: `user_code` and the poll's error
/// description carry [`HOSTILE`], the pages are the ones given, and every
/// poll is answered `invalid_client`.
async fn hostile_server(page: &'static str, complete: &'static str) -> String {
    use axum::Json;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use serde_json::json;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let metadata = json!({
        "issuer": base,
        "device_authorization_endpoint": format!("{base}/device/code"),
        "token_endpoint": format!("{base}/token"),
    });
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(move || async move { Json(metadata) }),
        )
        .route(
            "/device/code",
            post(move || async move {
                Json(json!({
                    "device_code": "d",
                    "user_code": format!("BCDF{HOSTILE}-GHJK"),
                    "verification_uri": page,
                    "verification_uri_complete": complete,
                    "expires_in": 60,
                    "interval": 1,
                }))
            }),
        )
        .route(
            "/token",
            post(|| async {
                let description = format!("bad client{HOSTILE}");
                let body = json!({"error": "invalid_client", "error_description": description});
                (StatusCode::UNAUTHORIZED, Json(body))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Nothing the server says reaches the terminal as a control sequence.
fn assert_inert(stderr: &str) {
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(!stderr.contains(c), "{c:?} printed: {stderr:?}");
    }
}

/// A verification page that is not an http(s) URL ends the login before
/// anything is shown or opened.
#[tokio::test]
async fn login_refuses_a_verification_page_that_is_not_web() {
    let server = hostile_server("file:///etc/passwd", "smb://evil.example/share").await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "login",
            "--server",
            &server,
            "--client-id",
            "x",
            "--no-browser",
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("verification_uri"), "{stderr}");
    assert!(
        stderr.contains("not an http:// or https:// address"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("enter the code"),
        "nothing shown: {stderr}"
    );
    assert_inert(&stderr);
}

/// An http page on another origin is shown with a warning, a
/// `verification_uri_complete` that is not web is left out, and the code
/// and the server's error description arrive cleaned.
#[tokio::test]
async fn login_cleans_what_the_server_says() {
    let server = hostile_server(
        "http://elsewhere.invalid/device",
        "smb://evil.example/share",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "login",
            "--server",
            &server,
            "--client-id",
            "x",
            "--no-browser",
        ],
    )
    .await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("warning: the sign-in page is on http://elsewhere.invalid, not"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ignoring the server's verification_uri_complete"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    http://elsewhere.invalid/device\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("(or open"), "no second page: {stderr}");
    assert!(stderr.contains("    BCDF"), "the code, cleaned: {stderr}");
    assert!(stderr.contains("invalid_client (bad client"), "{stderr}");
    assert_inert(&stderr);
}
