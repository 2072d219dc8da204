//! `TestApp`: the server as the binary starts it (`authgate::start`: the
//! router, every background task, METRICS_ADDR when set) on a fresh
//! database, served on a 127.0.0.1:0 listener bound first, with a manual
//! clock and an HTTP client with one helper per endpoint. `process.rs`
//! starts the binary itself, for tests that need a process.
//!
//! The database is a SQLite file in a temporary directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL database (`make unit-pg`), a new
//! PostgreSQL database created for the test through that URL and dropped
//! afterwards, so tests stay independent and run in parallel.

mod clients;
mod lock;
pub mod process;

pub use clients::printed_client_id;
pub use lock::WriteLock;

use std::sync::Arc;
use std::time::Duration;

use authgate::clock::ManualClock;
use authgate::config::Config;
use authgate::crypto::random::Random;
use authgate::domain::Core;
use authgate::domain::device_flow;
use authgate::model::Decision;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tokio::net::TcpListener;

pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub core: Arc<Core>,
    pub clock: Arc<ManualClock>,
    pub cli_client_id: String,
    pub admin_id: String,
    /// The app's database, kept alive for its lifetime; pass it to
    /// [`TestApp::spawn_in`] to restart on the same data.
    pub dir: Arc<TestDb>,
    /// The server as `authgate::start` started it (as the binary's is):
    /// its address, the METRICS_ADDR listener, the way to stop it.
    pub running: authgate::Running,
}

/// A parsed HTTP response: status, headers and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a configuration adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_in(TestDb::fresh().await, adjust).await
    }

    /// Spawns on the database `dir` (shared with an earlier app, to test
    /// restarts).
    pub async fn spawn_in(dir: Arc<TestDb>, adjust: impl FnOnce(&mut Config)) -> Self {
        let clock = Arc::new(ManualClock::starting_now());
        Self::spawn_on(dir, clock, adjust).await
    }

    /// Spawns on the database `dir` with the clock `clock`: several
    /// instances of one deployment share both.
    pub async fn spawn_on(
        dir: Arc<TestDb>,
        clock: Arc<ManualClock>,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        // Bound first so `adjust` can see the address (`config.addr`), e.g.
        // to make BASE_URL the real one for clients that follow metadata.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config::development(dir.url.clone());
        config.addr = addr;
        config.admin_password = Some(SecretString::from(ADMIN_PASSWORD));
        config.shutdown_timeout = Duration::from_secs(5);
        adjust(&mut config);
        let running = authgate::start(&config, clock.clone(), Random::os(), listener)
            .await
            .expect("start the server");
        let core = running.core().clone();
        let admin_id = core
            .store
            .find_user_by_username(&config.admin_username)
            .await
            .expect("query admin")
            .expect("admin seeded")
            .id;
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("authgate-tests/1.0")
            .build()
            .expect("client");
        TestApp {
            base: format!("http://{addr}"),
            http,
            core,
            clock,
            cli_client_id: running.seeded().cli_client_id.clone(),
            admin_id: admin_id.into_string(),
            dir,
            running,
        }
    }

    /// Stops the server gracefully and waits for it: connections, the
    /// background tasks, the database.
    pub async fn shutdown(self) {
        self.running.shutdown().await.expect("a clean stop");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
        }
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let resp = self
            .http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("send");
        Self::reply(resp).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        let resp = self.http.get(self.url(path)).send().await.expect("send");
        Self::reply(resp).await
    }

    /// `POST /oauth/device/code` for the CLI client.
    pub async fn device_code(&self, scope: Option<&str>) -> Reply {
        let mut form = vec![("client_id", self.cli_client_id.as_str())];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.post_form("/oauth/device/code", &form).await
    }

    /// A device code request that must succeed; returns (device_code, user_code).
    pub async fn start_flow(&self) -> (String, String) {
        let reply = self.device_code(None).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        (
            reply.json["device_code"]
                .as_str()
                .expect("device_code")
                .to_owned(),
            reply.json["user_code"]
                .as_str()
                .expect("user_code")
                .to_owned(),
        )
    }

    /// One token poll for the CLI client.
    pub async fn poll(&self, device_code: &str) -> Reply {
        self.post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", device_code),
                ("client_id", &self.cli_client_id),
            ],
        )
        .await
    }

    /// Approves or denies as the seeded administrator, through the domain
    /// function the verification page uses.
    pub async fn decide(&self, user_code: &str, decision: Decision) {
        device_flow::decide(&self.core, &self.admin_id, user_code, decision)
            .await
            .expect("decide");
    }

    pub async fn approve(&self, user_code: &str) {
        self.decide(user_code, Decision::Approve).await;
    }

    /// Runs a complete flow and returns the access token.
    pub async fn issue_token(&self) -> String {
        let (device_code, user_code) = self.start_flow().await;
        self.approve(&user_code).await;
        let reply = self.poll(&device_code).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        reply.json["access_token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    pub async fn tokeninfo(&self, token: &str) -> Reply {
        let resp = self
            .http
            .get(self.url("/oauth/tokeninfo"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        Self::reply(resp).await
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

/// A fetched HTML page.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The value of the first `csrf_token` hidden field.
    pub fn csrf(&self) -> String {
        hidden_field(&self.body, "csrf_token").expect("page has a CSRF field")
    }

    /// The consent ticket of a consent view.
    pub fn consent(&self) -> String {
        hidden_field(&self.body, "consent").expect("page is a consent view")
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// Where a sign-in form sends the browser on to an authorization
    /// request: a page (200) whose `Refresh` header names it, never a
    /// redirect (see `go_on` in http/ui/render.rs). Fails the test
    /// otherwise.
    pub fn continues_to(&self) -> &str {
        assert_eq!(self.status, 200, "a page that moves on: {}", self.body);
        let refresh = self.header("refresh").expect("a Refresh header");
        let url = refresh.strip_prefix("0; url=").expect("0; url=...");
        assert!(self.body.contains("Continue"), "with a link: {}", self.body);
        url
    }
}

/// The value of the first hidden field `name` in `html`.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl TestApp {
    pub async fn page(&self, path: &str) -> Page {
        let resp = self.http.get(self.url(path)).send().await.expect("send");
        Self::to_page(resp).await
    }

    pub async fn to_page(resp: reqwest::Response) -> Page {
        Page {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.expect("body"),
        }
    }

    /// Posts a browser form (optionally as htmx).
    pub async fn submit(&self, path: &str, form: &[(&str, &str)], htmx: bool) -> Page {
        let mut req = self.http.post(self.url(path)).form(form);
        if htmx {
            req = req.header("HX-Request", "true");
        }
        Self::to_page(req.send().await.expect("send")).await
    }

    /// Answers an application's consent page (`approve` or `deny`) with
    /// its CSRF token and consent ticket: the decision's reply.
    pub async fn decide_app(&self, page: &Page, decision: &str) -> Page {
        self.submit(
            "/oauth/authorize/decision",
            &[
                ("csrf_token", &page.csrf()),
                ("consent", &page.consent()),
                ("decision", decision),
            ],
            false,
        )
        .await
    }

    /// Signs in through the real form as `username`.
    pub async fn sign_in_as(&self, username: &str, password: &str) -> Page {
        let login = self.page("/login").await;
        self.submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", username),
                ("password", password),
                ("next", "/device"),
            ],
            false,
        )
        .await
    }

    pub async fn sign_in(&self) -> Page {
        let page = self.sign_in_as("admin", ADMIN_PASSWORD).await;
        assert_eq!(page.status, 303, "sign-in succeeds");
        page
    }

    /// The session cookie's current value.
    pub fn session_cookie(&self, jar_header: &str) -> Option<String> {
        jar_header
            .split(';')
            .map(str::trim)
            .find_map(|c| c.strip_prefix("authgate_session="))
            .map(str::to_owned)
    }
}

/// The engine the suite runs on: `"postgres"` when `TEST_DATABASE_URL` is
/// set, else `"sqlite"` (as `/health` names them).
pub fn backend() -> &'static str {
    if test_database_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// `TEST_DATABASE_URL` when set and not empty; it must name PostgreSQL.
fn test_database_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    if url.is_empty() {
        return None;
    }
    assert!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "TEST_DATABASE_URL must be a postgres:// URL, not {url}"
    );
    Some(url)
}

/// One test's database: a SQLite file in a temporary directory, or a
/// PostgreSQL database of its own (dropped when this value is).
pub struct TestDb {
    /// What `DATABASE_URL` would be.
    pub url: String,
    /// Holds the SQLite file; removed when this value is dropped.
    _tmp: tempfile::TempDir,
    /// `(admin URL, database name)` of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty database on the engine the suite runs on.
    pub async fn fresh() -> Arc<Self> {
        let tmp = tempfile::tempdir().expect("tempdir");
        let Some(admin_url) = test_database_url() else {
            let url = format!("sqlite://{}", tmp.path().join("authgate.db").display());
            return Arc::new(TestDb {
                url,
                _tmp: tmp,
                postgres: None,
            });
        };
        let name = format!("authgate_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL (is the cluster running? `make unit-pg`)");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("CREATE DATABASE (the role needs CREATEDB)");
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Arc::new(TestDb {
            url: url.to_string(),
            _tmp: tmp,
            postgres: Some((admin_url, name)),
        })
    }
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database, closing connections a test left open.
    /// Runs on a thread of its own: `Drop` cannot await, and the test's
    /// runtime may be the one being torn down.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                admin
                    .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
                    .await?;
                admin.close().await?;
                Ok::<(), sqlx::Error>(())
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("warning: could not drop a test database: {e}");
        }
    }
}

/// Tokens from one completed device flow.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// Runs a complete flow and returns both tokens.
    pub async fn issue_tokens(&self) -> Tokens {
        let (device_code, user_code) = self.start_flow().await;
        self.approve(&user_code).await;
        let reply = self.poll(&device_code).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
        Tokens {
            access: reply.json["access_token"]
                .as_str()
                .expect("access")
                .to_owned(),
            refresh: reply.json["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// `grant_type=refresh_token` for the CLI client.
    pub async fn refresh(&self, refresh_token: &str, scope: Option<&str>) -> Reply {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.cli_client_id.as_str()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.post_form("/oauth/token", &form).await
    }

    /// Registers a client directly in the store.
    pub async fn add_client(
        &self,
        id: &str,
        secret: Option<&str>,
        scopes: &str,
        refresh_tokens: bool,
    ) {
        self.core
            .store
            .insert_client(&authgate::store::NewClient {
                keys: None,
                id: id.into(),
                name: format!("Client {id}"),
                secret_hash: secret.map(authgate::crypto::hash_secret),
                allowed_scopes: scopes.into(),
                refresh_tokens,
                grant_types: authgate::model::client::GrantTypes::new(
                    authgate::model::client::GrantType::ALL,
                ),
                now: 0,
            })
            .await
            .expect("insert client");
    }
}

impl TestApp {
    /// A second browser: its own cookie jar, no redirects followed.
    pub async fn reply_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }
}

impl TestApp {
    /// Enters `user_code` on the verification page (as htmx does) and
    /// returns the consent view, which must be shown.
    pub async fn consent_view(&self, csrf: &str, user_code: &str) -> Page {
        let page = self
            .submit(
                "/device",
                &[("csrf_token", csrf), ("user_code", user_code)],
                true,
            )
            .await;
        assert_eq!(page.status, 200, "consent view: {}", page.body);
        page
    }

    /// Approves or denies `user_code` as a person does: enters the code,
    /// then answers the consent form with its ticket.
    pub async fn decide_in_browser(&self, csrf: &str, user_code: &str, decision: &str) -> Page {
        let consent = self.consent_view(csrf, user_code).await;
        self.submit(
            "/device/decision",
            &[
                ("csrf_token", csrf),
                ("consent", &consent.consent()),
                ("decision", decision),
            ],
            false,
        )
        .await
    }
}

/// Registers a confidential client with a secret, as the command line
/// does, for `spec`; its id and secret.
pub async fn confidential_client(
    app: &TestApp,
    spec: &authgate::domain::admin::ClientSpec,
) -> (String, String) {
    use authgate::domain::admin::{self, Actor, ClientKind, Ctx};
    let created = admin::create_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        spec,
        ClientKind::Confidential,
        None,
    )
    .await
    .expect("register the client");
    let secret = created.secret.expect("a confidential client has a secret");
    (created.client_id, secret.expose().to_owned())
}
