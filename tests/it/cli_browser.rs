//! `authgate login`'s browser sign-in, run as the real binary against a
//! real test server. `BROWSER` names a script that writes the URL it is
//! given to a file (the `webbrowser` crate honours `BROWSER`); the test
//! then plays the browser with a cookie-keeping HTTP client: signs in,
//! approves or denies, and follows the redirect to the CLI's loopback
//! listener. Forged answers (wrong `state`, wrong `iss`) are sent to the
//! listener directly. The fallbacks to the device flow are here too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::cli_client::{Login, Ticking, cli, run, server, stored_file, text};
use crate::support::{ADMIN_PASSWORD, TestApp};

/// A fake browser: a script that writes its argument to `url` beside it.
struct FakeBrowser {
    script: PathBuf,
    url_file: PathBuf,
}

impl FakeBrowser {
    fn new(dir: &Path) -> Self {
        let script = dir.join("browser.sh");
        let url_file = dir.join("url");
        let body = format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n",
            url_file.display()
        );
        std::fs::write(&script, body).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self { script, url_file }
    }

    /// `cli(config)` with `BROWSER` set to the script.
    fn cli(&self, config: &Path) -> Command {
        let mut cmd = cli(config);
        cmd.env("BROWSER", &self.script);
        cmd
    }

    /// The URL the CLI opened, once the script has written it.
    async fn opened(&self) -> String {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(url) = std::fs::read_to_string(&self.url_file) {
                    return url.trim().to_owned();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the browser is opened within 30 s")
    }
}

/// `authgate login` waiting on its loopback listener.
struct BrowserLogin {
    child: Child,
    stderr: tokio::task::JoinHandle<Vec<String>>,
}

impl BrowserLogin {
    fn start(browser: &FakeBrowser, app: &TestApp, config: &Path, args: &[&str]) -> Self {
        let mut child = browser
            .cli(config)
            .args([
                "login",
                "--server",
                &app.base,
                "--client-id",
                &app.cli_client_id,
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn login");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let stderr = tokio::spawn(async move {
            let mut all = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                all.push(line);
            }
            all
        });
        Self { child, stderr }
    }

    /// Exit code, stdout and stderr.
    async fn finish(mut self) -> (Option<i32>, String, String) {
        let status = tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("login ends within 60 s")
            .expect("wait");
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            tokio::io::AsyncReadExt::read_to_string(&mut out, &mut stdout)
                .await
                .unwrap();
        }
        let stderr = self.stderr.await.expect("stderr reader").join("\n");
        (status.code(), stdout, stderr)
    }
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The path and query of `url` on `app`.
fn local(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.base)
        .unwrap_or_else(|| panic!("{url} is not on {}", app.base))
        .to_owned()
}

/// Plays the person in the browser: opens `url`, is sent to sign in,
/// signs in as the administrator, and answers the consent page with
/// `decision`. Returns where the browser is sent back: the loopback URL.
async fn sign_in_and_decide(app: &TestApp, url: &str, decision: &str) -> String {
    let first = app.page(&local(app, url)).await;
    assert_eq!(first.status, 303, "signed out: to the sign-in page");
    let login_path = first.location().unwrap().to_owned();
    let next = query(&format!("{}{login_path}", app.base))["next"].clone();
    let login = app.page(&login_path).await;
    assert_eq!(login.status, 200);
    let signed_in = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", &next),
            ],
            false,
        )
        .await;
    let consent = app.page(signed_in.continues_to()).await;
    assert_eq!(consent.status, 200, "the consent page: {}", consent.body);
    assert!(consent.body.contains("AuthGate CLI"), "names the CLI");
    let answered = app
        .submit(
            "/oauth/authorize/decision",
            &[
                ("csrf_token", &consent.csrf()),
                ("consent", &consent.consent()),
                ("decision", decision),
            ],
            false,
        )
        .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    answered.location().unwrap().to_owned()
}

/// A plain browser request to the CLI's listener: status and body.
async fn visit(url: &str) -> (u16, String) {
    let resp = reqwest::get(url).await.expect("the listener answers");
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_browser_sign_in_stores_tokens_that_work() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login = BrowserLogin::start(&browser, &app, dir.path(), &[]);
    let url = browser.opened().await;
    let sent = query(&url);
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", app.base)),
        "{url}"
    );
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["client_id"], app.cli_client_id);
    assert!(sent["state"].len() >= 43, "256 bits of state");
    let redirect = sent["redirect_uri"].clone();
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert!(redirect.ends_with("/callback"), "{redirect}");

    // Other paths get 404; a forged answer with another state is refused
    // and the CLI keeps waiting.
    let port_base = redirect.trim_end_matches("/callback");
    assert_eq!(visit(&format!("{port_base}/favicon.ico")).await.0, 404);
    let iss = urlencode(&app.base);
    let (status, body) = visit(&format!("{redirect}?code=forged&state=wrong&iss={iss}")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("does not belong"), "{body}");

    let back = sign_in_and_decide(&app, &url, "approve").await;
    assert!(back.starts_with(&format!("{redirect}?code=")), "{back}");
    let (status, body) = visit(&back).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("You can close this tab"), "{body}");

    let (code, stdout, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.is_empty(), "stdout stays for tokens: {stdout}");
    assert!(
        stderr.contains(&format!("    {url}")),
        "the URL is printed: {stderr}"
    );
    assert!(stderr.contains("ignored an answer"), "{stderr}");
    assert!(
        stderr.contains(&format!("Signed in to {} as admin.", app.base)),
        "{stderr}"
    );
    assert!(!stderr.contains("device flow instead"), "{stderr}");

    // Stored as the device flow stores them: `authgate token` works.
    let out = run(dir.path(), &["token"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let info = app.tokeninfo(&token).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.json["client_id"], app.cli_client_id.as_str());
    assert_eq!(info.json["username"], "admin");
    let out = run(dir.path(), &["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("valid until"));
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_denial_in_the_browser_is_reported_with_its_exit_code() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login = BrowserLogin::start(&browser, &app, dir.path(), &[]);
    let url = browser.opened().await;
    let back = sign_in_and_decide(&app, &url, "deny").await;
    assert_eq!(query(&back)["error"], "access_denied");
    let (status, body) = visit(&back).await;
    assert_eq!(status, 200);
    assert!(body.contains("did not complete"), "{body}");
    let (code, _, stderr) = login.finish().await;
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("access_denied"), "{stderr}");
    assert!(!stored_file(&app, dir.path()).exists());
}

/// RFC 9207: an answer with this login's state but another issuer is the
/// mix-up attack; the login fails and nothing is stored.
#[tokio::test]
async fn an_answer_from_another_issuer_fails_the_login() {
    let app = server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login = BrowserLogin::start(&browser, &app, dir.path(), &[]);
    let sent = query(&browser.opened().await);
    let evil = urlencode("https://evil.example");
    let forged = format!(
        "{}?code=stolen&state={}&iss={evil}",
        sent["redirect_uri"],
        urlencode(&sent["state"])
    );
    let (status, body) = visit(&forged).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("another server"), "{body}");
    let (code, _, stderr) = login.finish().await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("https://evil.example"), "{stderr}");
    assert!(stderr.contains("RFC 9207"), "{stderr}");
    assert!(!stored_file(&app, dir.path()).exists());
}

#[tokio::test]
async fn an_answer_without_iss_fails_the_login() {
    let app = server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login = BrowserLogin::start(&browser, &app, dir.path(), &[]);
    let sent = query(&browser.opened().await);
    let forged = format!(
        "{}?code=stolen&state={}",
        sent["redirect_uri"],
        urlencode(&sent["state"])
    );
    assert_eq!(visit(&forged).await.0, 400);
    let (code, _, stderr) = login.finish().await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("does not name its issuer"), "{stderr}");
}

/// `--device` takes the device flow although a browser could be opened.
#[tokio::test]
async fn device_flag_uses_the_device_flow() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login = Login::start_with(browser.cli(dir.path()), &app, &["--device"]).await;
    let seen = login.seen.join("\n");
    assert!(!seen.contains("device flow instead"), "asked for: {seen}");
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!browser.url_file.exists(), "no browser sign-in was started");
    assert!(stored_file(&app, dir.path()).exists());
}

/// Without a display and without BROWSER (Linux), the device flow says why.
#[cfg(all(unix, not(target_os = "macos")))]
#[tokio::test]
async fn no_display_uses_the_device_flow_and_says_why() {
    let app = server(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let login = Login::start_with(cli(dir.path()), &app, &[]).await;
    let seen = login.seen.join("\n");
    assert!(
        seen.contains("Signing in with the device flow instead: there is no display"),
        "{seen}"
    );
}

/// Nobody answers in the browser within `--browser-timeout`: the device
/// flow takes over, says why, and the listener is closed.
#[tokio::test]
async fn no_answer_in_time_falls_back_to_the_device_flow() {
    let app = server(|_| {}).await;
    let _tick = Ticking::start(app.clock.clone());
    let dir = tempfile::tempdir().unwrap();
    let browser = FakeBrowser::new(dir.path());
    let login =
        Login::start_with(browser.cli(dir.path()), &app, &["--browser-timeout", "1s"]).await;
    let seen = login.seen.join("\n");
    assert!(
        seen.contains("device flow instead: no answer from the browser within 1s"),
        "{seen}"
    );
    let sent = query(&browser.opened().await);
    let late = format!("{}?code=late&state={}", sent["redirect_uri"], sent["state"]);
    assert!(reqwest::get(&late).await.is_err(), "the listener is closed");
    app.approve(&login.user_code).await;
    let (code, stderr) = login.finish().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stored_file(&app, dir.path()).exists());
}
