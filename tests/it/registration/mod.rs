//! Dynamic client registration (RFC 7591, RFC 7592) with an administrator's
//! approval, on either engine: the endpoint off by default, every refusal
//! of a registration, the registration access token, a pending or rejected
//! client refused at every endpoint, re-pending after a security-relevant
//! update, deletion revoking tokens, and the dashboard's decision.

use authgate::cli::RegistrationMode;
use authgate::domain::admin::{Actor, Ctx};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{DEVICE_GRANT, Reply, TestApp};

mod dashboard;
mod lifecycle;
mod refusals;

pub const INITIAL_TOKEN: &str = "k3Jd9sLq2Vx8Tz4Wm7PnR5";

/// An app with registration `mode` (`Token` with [`INITIAL_TOKEN`]).
pub async fn spawn(mode: RegistrationMode) -> TestApp {
    spawn_with(mode, |_| {}).await
}

pub async fn spawn_with(
    mode: RegistrationMode,
    adjust: impl FnOnce(&mut authgate::config::Config),
) -> TestApp {
    TestApp::spawn_with(|c| {
        c.registration.mode = mode;
        if mode == RegistrationMode::Token {
            c.registration.token = Some(SecretString::from(INITIAL_TOKEN));
        }
        adjust(c);
    })
    .await
}

/// What an MCP-style client sends: public, loopback redirect, the code grant.
pub fn mcp_metadata() -> Value {
    json!({
        "client_name": "Agent",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "scope": "read",
        "software_id": "agent-kit",
        "software_version": "1.2.3",
        "contacts": ["ops@agent.example"],
        "client_uri": "https://agent.example"
    })
}

/// A public device client's metadata.
pub fn device_metadata() -> Value {
    json!({
        "client_name": "Living-room TV",
        "token_endpoint_auth_method": "none",
        "grant_types": [DEVICE_GRANT],
        "response_types": [],
        "scope": "read"
    })
}

pub async fn register(app: &TestApp, body: &Value, token: Option<&str>) -> Reply {
    let mut request = app.http.post(app.url("/oauth/register")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    TestApp::reply(request.send().await.unwrap()).await
}

/// Registers `body`, which must succeed; returns (client_id, registration
/// access token).
pub async fn registered(app: &TestApp, body: &Value) -> (String, String) {
    let reply = register(app, body, None).await;
    assert_eq!(reply.status, 201, "{:?}", reply.json);
    (
        reply.json["client_id"].as_str().unwrap().to_owned(),
        reply.json["registration_access_token"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// `GET`, `PUT` or `DELETE` of `/oauth/register/{id}` with `token`.
pub async fn manage(
    app: &TestApp,
    method: reqwest::Method,
    id: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut request = app
        .http
        .request(method, app.url(&format!("/oauth/register/{id}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    TestApp::reply(request.send().await.unwrap()).await
}

/// An administrator's decision, as `authgate client approve|reject` makes it.
pub async fn decide(app: &TestApp, id: &str, approve: bool) {
    authgate::domain::admin::decide_client(
        &Ctx::of(&app.core),
        &Actor::command_line(),
        id,
        approve,
        &[] as &[&str],
    )
    .await
    .unwrap();
}

/// A device code request of public client `id`.
pub async fn device_code(app: &TestApp, id: &str) -> Reply {
    app.post_form("/oauth/device/code", &[("client_id", id)])
        .await
}

/// A complete device flow of public client `id`: its access token.
pub async fn device_token(app: &TestApp, id: &str) -> String {
    let reply = device_code(app, id).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let device = reply.json["device_code"].as_str().unwrap().to_owned();
    app.approve(reply.json["user_code"].as_str().unwrap()).await;
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", &device),
                ("client_id", id),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    reply.json["access_token"].as_str().unwrap().to_owned()
}
