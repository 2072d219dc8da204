//! The load generator's side of the protocol: bare keep-alive connections,
//! and the requests of a device flow as a device and a browser make them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, HeaderMap, HeaderName, LOCATION};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::{ADMIN_PASSWORD, CLIENT_ID, DEVICE_GRANT};

pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// One keep-alive HTTP/1.1 connection to the server, reopened after an
/// error. Bare hyper rather than a pooled client: the generator shares the
/// two cores with the server, so every cycle it saves is the server's.
#[derive(Clone)]
pub(crate) struct Conn {
    addr: SocketAddr,
    sender: Arc<Mutex<Option<SendRequest<Full<Bytes>>>>>,
}

impl Conn {
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            sender: Arc::new(Mutex::new(None)),
        }
    }

    async fn open(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends one request and reads the whole answer.
    async fn send(&self, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
        let (status, _, body) = self.send_full(req).await?;
        Ok((status, body))
    }

    /// Sends one request and reads the whole answer, headers included.
    async fn send_full(&self, req: Request<Full<Bytes>>) -> Result<(StatusCode, HeaderMap, Bytes)> {
        let mut guard = self.sender.lock().await;
        let sender = match guard.take() {
            Some(s) if !s.is_closed() => s,
            _ => Self::open(self.addr).await?,
        };
        let mut sender = sender;
        sender.ready().await?;
        let response = sender.send_request(req).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await?.to_bytes();
        *guard = Some(sender);
        Ok((status, headers, body))
    }

    pub(crate) async fn get(
        &self,
        path: &str,
        bearer: Option<&str>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut req = Request::get(path).header(HOST, "127.0.0.1");
        if let Some(token) = bearer {
            req = req.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(req.body(Full::new(Bytes::new()))?).await
    }

    /// A GET as the signed-in `browser` (its session cookie).
    pub(crate) async fn get_as(
        &self,
        path: &str,
        browser: &Browser,
    ) -> Result<(StatusCode, Bytes)> {
        let req = Request::get(path)
            .header(HOST, "127.0.0.1")
            .header(COOKIE, browser.cookie.as_str())
            .header(X_FORWARDED_FOR, browser.address.as_str());
        self.send(req.body(Full::new(Bytes::new()))?).await
    }

    /// A GET as the signed-in `browser` that answers with a redirect: its
    /// status and `Location` (never followed).
    pub(crate) async fn redirect_as(
        &self,
        path: &str,
        browser: &Browser,
    ) -> Result<(StatusCode, Option<String>)> {
        let req = Request::get(path)
            .header(HOST, "127.0.0.1")
            .header(COOKIE, browser.cookie.as_str())
            .header(X_FORWARDED_FOR, browser.address.as_str());
        let (status, headers, _) = self.send_full(req.body(Full::new(Bytes::new()))?).await?;
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((status, location))
    }

    pub(crate) async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(HeaderName, &str)],
    ) -> Result<(StatusCode, Bytes)> {
        let body = serde_urlencoded::to_string(form)?;
        let mut req = Request::post(path)
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            req = req.header(name, *value);
        }
        self.send(req.body(Full::new(Bytes::from(body)))?).await
    }
}

pub(crate) async fn wait_healthy(conn: &Conn) -> Result<()> {
    // Every 10 ms for 30 s: the restart row is timed by this wait.
    for _ in 0..3_000 {
        if let Ok((status, _)) = conn.get("/health", None).await
            && status == StatusCode::OK
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!("the server did not become healthy")
}

pub(crate) async fn device_code(conn: &Conn) -> Result<Value> {
    let (status, body) = conn
        .post_form("/oauth/device/code", &[("client_id", CLIENT_ID)], &[])
        .await?;
    if status != StatusCode::OK {
        bail!("device code: {status}");
    }
    Ok(serde_json::from_slice(&body)?)
}

/// A signed-in browser session: its cookie and CSRF token, for approvals,
/// and the address it comes from (the server trusts 127.0.0.1 as a proxy,
/// so `X-Forwarded-For` stands for the person's own address).
#[derive(Clone)]
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
    pub(crate) address: String,
}

/// The administrator, from the address of the machine.
pub(crate) const ADMIN: (&str, &str) = ("admin", ADMIN_PASSWORD);

/// The value of the hidden field `name` in `html`.
pub(crate) fn hidden_field(html: &str, name: &str) -> Result<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .ok_or_else(|| anyhow!("no {name} field"))?
        + marker.len();
    let end = html[start..].find('"').ok_or_else(|| anyhow!("no quote"))? + start;
    Ok(html[start..end].to_owned())
}

fn csrf_field(html: &str) -> Result<String> {
    hidden_field(html, "csrf_token")
}

/// Signs `username` in from `address` the way a browser does (reqwest
/// keeps the cookies), and keeps the session cookie for the approvals.
pub(crate) async fn sign_in(
    base: &str,
    (username, password): (&str, &str),
    address: &str,
) -> Result<Browser> {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = browser
        .post(format!("{base}/login"))
        .header("x-forwarded-for", address)
        .form(&[
            ("csrf_token", csrf_field(&page)?.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await?;
    if r.status() != 303 {
        bail!("sign-in of {username} failed: {}", r.status());
    }
    let page = browser
        .get(format!("{base}/device"))
        .send()
        .await?
        .text()
        .await?;
    let url = reqwest::Url::parse(base)?;
    let cookie = reqwest::cookie::CookieStore::cookies(jar.as_ref(), &url)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .ok_or_else(|| anyhow!("no session cookie"))?;
    Ok(Browser {
        cookie,
        csrf: csrf_field(&page)?,
        address: address.to_owned(),
    })
}

/// Creates the user `username` through the admin page, as `admin`.
pub(crate) async fn create_user(
    conn: &Conn,
    admin: &Browser,
    username: &str,
    password: &str,
) -> Result<()> {
    let (status, _) = conn
        .post_form(
            "/admin/users",
            &[
                ("csrf_token", admin.csrf.as_str()),
                ("username", username),
                ("password", password),
            ],
            &[(COOKIE, admin.cookie.as_str())],
        )
        .await?;
    if status != StatusCode::SEE_OTHER {
        bail!("creating {username} failed: {status}");
    }
    Ok(())
}

/// Enters `user_code` on the verification page as `browser`: the consent
/// view (200) when it names a pending code.
pub(crate) async fn enter_code(
    conn: &Conn,
    browser: &Browser,
    user_code: &str,
) -> Result<(StatusCode, Bytes)> {
    let cookie = [
        (COOKIE, browser.cookie.as_str()),
        (X_FORWARDED_FOR, browser.address.as_str()),
    ];
    conn.post_form(
        "/device",
        &[
            ("csrf_token", browser.csrf.as_str()),
            ("user_code", user_code),
        ],
        &cookie,
    )
    .await
}

/// Approves as a person does: enters the code (the consent view, with its
/// ticket), then answers the consent form.
pub(crate) async fn approve(conn: &Conn, browser: &Browser, user_code: &str) -> Result<()> {
    let cookie = [
        (COOKIE, browser.cookie.as_str()),
        (X_FORWARDED_FOR, browser.address.as_str()),
    ];
    let (status, consent) = enter_code(conn, browser, user_code).await?;
    if status != StatusCode::OK {
        bail!("code entry failed: {status}");
    }
    let ticket = hidden_field(std::str::from_utf8(&consent)?, "consent")?;
    let (status, _) = conn
        .post_form(
            "/device/decision",
            &[
                ("csrf_token", browser.csrf.as_str()),
                ("consent", ticket.as_str()),
                ("decision", "approve"),
            ],
            &cookie,
        )
        .await?;
    if status != StatusCode::SEE_OTHER {
        bail!("approval failed: {status}");
    }
    Ok(())
}

pub(crate) async fn poll(conn: &Conn, code: &str) -> Result<(StatusCode, Bytes)> {
    conn.post_form(
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", code),
            ("client_id", CLIENT_ID),
        ],
        &[],
    )
    .await
}

/// One issued access token, through a complete flow.
pub(crate) async fn issue_token(conn: &Conn, browser: &Browser) -> Result<String> {
    let dc = device_code(conn).await?;
    let user_code = dc["user_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no user_code"))?;
    approve(conn, browser, user_code).await?;
    let device_code = dc["device_code"]
        .as_str()
        .ok_or_else(|| anyhow!("no device_code"))?;
    let (_, body) = poll(conn, device_code).await?;
    let body: Value = serde_json::from_slice(&body)?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no token: {body}"))
}
