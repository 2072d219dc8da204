//! Sign-in for apps: the authorization code grant with PKCE as a web app
//! and a signed-in browser make it once consent is remembered, and the
//! UserInfo endpoint with the access tokens it issues.
//!
//! Set-up goes through the server's own pages, as a person does: the
//! administrator registers a public client allowed `openid profile read`
//! with a loopback redirect URI (nothing listens there: the bench reads
//! each 303's `Location` and never follows it), a person signs in and
//! approves the app once, so every later `GET /oauth/authorize` answers
//! 303 with a code at once.

use std::sync::Arc;

use anyhow::{Result, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hyper::StatusCode;
use hyper::header::COOKIE;
use rand::Rng as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::client::{Browser, Conn, X_FORWARDED_FOR, create_user, hidden_field, sign_in};
use crate::measure::{Row, measure};
use crate::scenarios::Target;

const REDIRECT_URI: &str = "http://127.0.0.1/cb";
const SCOPE: &str = "openid profile read";
const PERSON: (&str, &str) = ("bench-app-user", "bench-app-password");
/// The person's address: outside the flow scenario's 198.18.0.0/15 range
/// of people, so that their sign-in limits never meet.
const PERSON_ADDRESS: &str = "198.20.0.1";

/// The registered app and the person who approved it.
pub(crate) struct App {
    client_id: String,
    person: Browser,
}

/// Registers the app, signs the person in and approves the app once.
pub(crate) async fn app(t: &Target) -> Result<Arc<App>> {
    let admin = &t.browser;
    let (status, page) = t
        .conn
        .post_form(
            "/admin/clients",
            &[
                ("csrf_token", admin.csrf.as_str()),
                ("name", "Bench web app"),
                ("scopes", SCOPE),
                ("redirect_uris", REDIRECT_URI),
                ("grants_shown", "1"),
                ("grant_authorization_code", "on"),
                ("kind", "public"),
            ],
            &[(COOKIE, admin.cookie.as_str())],
        )
        .await?;
    ensure!(status == StatusCode::CREATED, "creating the app: {status}");
    let client_id = shown(std::str::from_utf8(&page)?, "secret-0")?;
    create_user(&t.conn, admin, PERSON.0, PERSON.1).await?;
    let person = sign_in(&t.base, PERSON, PERSON_ADDRESS).await?;
    let app = App { client_id, person };
    approve_once(&t.conn, &app).await?;
    Ok(Arc::new(app))
}

/// A value the "created" page shows once, by its test id: `secret-0` is
/// the client id, `secret-1` a confidential client's secret.
pub(crate) fn shown(html: &str, test_id: &str) -> Result<String> {
    let marker = format!(r#"data-testid="{test_id}""#);
    let start = html.find(&marker).ok_or_else(|| anyhow!("no {test_id}"))? + marker.len();
    let start = html[start..]
        .find('>')
        .ok_or_else(|| anyhow!("no tag end"))?
        + start
        + 1;
    let end = html[start..].find('<').ok_or_else(|| anyhow!("no tag"))? + start;
    Ok(html[start..end].trim().to_owned())
}

/// Answers the consent page once with `approve`, so that consent is
/// remembered for the app's scopes.
async fn approve_once(conn: &Conn, app: &App) -> Result<()> {
    let (_, challenge) = pkce();
    let (status, page) = conn
        .get_as(&authorize_path(app, &challenge, "first"), &app.person)
        .await?;
    ensure!(status == StatusCode::OK, "consent page: {status}");
    let page = std::str::from_utf8(&page)?;
    let (status, _) = conn
        .post_form(
            "/oauth/authorize/decision",
            &[
                ("csrf_token", hidden_field(page, "csrf_token")?.as_str()),
                ("consent", hidden_field(page, "consent")?.as_str()),
                ("decision", "approve"),
            ],
            &[
                (COOKIE, app.person.cookie.as_str()),
                (X_FORWARDED_FOR, app.person.address.as_str()),
            ],
        )
        .await?;
    ensure!(status == StatusCode::SEE_OTHER, "approval: {status}");
    Ok(())
}

/// A fresh PKCE pair (RFC 7636 §4.1–4.2): a verifier of 32 random bytes
/// and its S256 challenge.
fn pkce() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = s256(&verifier);
    (verifier, challenge)
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_path(app: &App, challenge: &str, state: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", SCOPE)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/oauth/authorize?{query}")
}

/// The `code` of a redirect to the app, checking its `state`.
fn code_from(location: &str, state: &str) -> Result<String> {
    let url = url::Url::parse(location)?;
    ensure!(
        location.starts_with(REDIRECT_URI),
        "redirected elsewhere: {location}"
    );
    let mut code = None;
    let mut returned_state = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => returned_state = Some(v.into_owned()),
            _ => {}
        }
    }
    ensure!(returned_state.as_deref() == Some(state), "state mismatch");
    code.ok_or_else(|| anyhow!("no code: {location}"))
}

/// One exchange as the app makes it: `GET /oauth/authorize` (remembered
/// consent answers 303 with a code), then the code and its verifier at
/// the token endpoint; the token response, which must hold an ID token.
pub(crate) async fn exchange(conn: &Conn, app: &App) -> Result<Value> {
    let (verifier, challenge) = pkce();
    let state = &verifier[..16];
    let (status, location) = conn
        .redirect_as(&authorize_path(app, &challenge, state), &app.person)
        .await?;
    if status != StatusCode::SEE_OTHER {
        bail!("authorize: {status}");
    }
    let code = code_from(&location.ok_or_else(|| anyhow!("no Location"))?, state)?;
    let (status, body) = conn
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("client_id", app.client_id.as_str()),
                ("code_verifier", verifier.as_str()),
            ],
            &[],
        )
        .await?;
    ensure!(status == StatusCode::OK, "token: {status}");
    let body: Value = serde_json::from_slice(&body)?;
    ensure!(body["id_token"].is_string(), "no id_token: {body}");
    Ok(body)
}

/// Access tokens (with `openid`) from `n` exchanges, for UserInfo.
pub(crate) async fn tokens(t: &Target, app: &App, n: usize) -> Result<Arc<Vec<String>>> {
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        let body = exchange(&t.conn, app).await?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| anyhow!("no access_token: {body}"))?;
        tokens.push(token.to_owned());
    }
    Ok(Arc::new(tokens))
}

/// Code exchanges: each iteration is two requests (authorize, token) and
/// counts once, so the rate is exchanges/s and latencies are per exchange.
pub(crate) async fn authorization_codes(t: &Target, app: Arc<App>) -> Row {
    measure(
        "code exchanges (authorize + token)",
        t.addr,
        t.workers,
        t.seconds,
        move |c, _, _| {
            let app = app.clone();
            async move { (1, exchange(&c, &app).await.is_ok()) }
        },
    )
    .await
}

/// `GET /oauth/userinfo` with a handful of tokens, round robin.
pub(crate) async fn userinfo(t: &Target, tokens: Arc<Vec<String>>) -> Row {
    measure("userinfo", t.addr, t.workers, t.seconds, move |c, w, i| {
        let tokens = tokens.clone();
        async move {
            let token = &tokens[(w + usize::try_from(i).unwrap_or(0)) % tokens.len()];
            let r = c.get("/oauth/userinfo", Some(token)).await;
            (1, matches!(r, Ok((s, _)) if s == StatusCode::OK))
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_s256_of_the_verifier() {
        // RFC 7636 Appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (v, c) = pkce();
        assert_eq!(v.len(), 43);
        assert_eq!(c, s256(&v));
        assert_ne!(pkce().0, v, "fresh each time");
    }

    #[test]
    fn the_code_is_read_from_the_redirect_only_with_its_state() {
        let location = "http://127.0.0.1/cb?code=abc&state=s1&iss=http%3A%2F%2Fx";
        assert_eq!(code_from(location, "s1").unwrap(), "abc");
        assert!(code_from(location, "s2").is_err());
        assert!(code_from("http://127.0.0.1/cb?error=access_denied&state=s1", "s1").is_err());
        assert!(code_from("https://evil.example/cb?code=abc&state=s1", "s1").is_err());
    }

    #[test]
    fn the_client_id_is_read_from_the_created_page() {
        let html = r#"<dd><code data-testid="secret-0" class="block">cid-123</code></dd>"#;
        assert_eq!(shown(html, "secret-0").unwrap(), "cid-123");
        assert!(shown("<p>nothing</p>", "secret-0").is_err());
    }
}
