//! The admin dashboard over HTTP: who may reach it, and every action it
//! offers (device codes, tokens, clients, users, audit log), plus the
//! headless `authgate user|client` commands.

mod access;
mod audit;
mod client_keys;
mod clients;
pub mod command_line;
mod device_code_pages;
mod device_codes;
mod scale;
mod tokens;
mod users;

use authgate::domain::user::{self, Role};
use authgate::model::audit::AuditAction;
use authgate::store::AuditEvent;

use crate::support::{Page, TestApp};

/// Another browser with its own cookies (the tests' app client is the
/// administrator's).
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
        }
    }

    pub async fn page(&self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        TestApp::to_page(resp).await
    }

    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        TestApp::to_page(resp).await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Page {
        let login = self.page("/login").await;
        self.submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", username),
                ("password", password),
                ("next", "/device"),
            ],
        )
        .await
    }
}

/// A running app whose client is signed in as the administrator, and the
/// CSRF token of that session.
pub async fn admin_app() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.sign_in().await;
    let csrf = app.page("/admin").await.csrf();
    (app, csrf)
}

pub async fn add_user(app: &TestApp, name: &str, password: &str, role: Role) -> String {
    user::create(&app.core, name, password, role)
        .await
        .unwrap()
        .id
        .into_string()
}

/// The text of the element after `marker` (up to the next tag).
pub fn text_after(body: &str, marker: &str) -> String {
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"))
        + marker.len();
    let rest = &body[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap() + open;
    rest[open..close].trim().to_owned()
}

pub async fn audit(app: &TestApp, action: AuditAction) -> Vec<AuditEvent> {
    app.core
        .store
        .recent_audit_events(Some(action), 100)
        .await
        .unwrap()
}

/// Every admin page and action, as (method, path).
pub fn admin_routes(app: &TestApp) -> Vec<(&'static str, String)> {
    let client = &app.cli_client_id;
    let admin = &app.admin_id;
    let mut routes: Vec<(&'static str, String)> = [
        "/admin",
        "/admin/live",
        "/admin/device-codes",
        "/admin/device-codes/live",
        "/admin/tokens",
        "/admin/tokens/revoke?client=CLIENT",
        "/admin/clients",
        "/admin/clients/new",
        "/admin/clients/CLIENT",
        "/admin/clients/CLIENT/disable",
        "/admin/clients/CLIENT/secret",
        "/admin/clients/CLIENT/keys",
        "/admin/clients/CLIENT/reject",
        "/admin/users",
        "/admin/users/new",
        "/admin/users/ADMIN",
        "/admin/users/ADMIN/disable",
        "/admin/users/ADMIN/password",
        "/admin/users/ADMIN/profile",
        "/admin/users/ADMIN/factors/reset",
        "/admin/providers",
        "/admin/audit",
    ]
    .into_iter()
    .map(|p| ("GET", p.to_owned()))
    .collect();
    routes.extend(
        [
            "/admin/device-codes/CODE/cancel",
            "/admin/tokens/revoke",
            "/admin/clients",
            "/admin/clients/CLIENT",
            "/admin/clients/CLIENT/disable",
            "/admin/clients/CLIENT/enable",
            "/admin/clients/CLIENT/secret",
            "/admin/clients/CLIENT/keys",
            "/admin/clients/CLIENT/approve",
            "/admin/clients/CLIENT/reject",
            "/admin/users",
            "/admin/users/ADMIN/disable",
            "/admin/users/ADMIN/enable",
            "/admin/users/ADMIN/password",
            "/admin/users/ADMIN/role",
            "/admin/users/ADMIN/profile",
            "/admin/users/ADMIN/factors/reset",
            "/admin/providers",
            "/admin/providers/corp/disable",
            "/admin/providers/corp/enable",
        ]
        .into_iter()
        .map(|p| ("POST", p.to_owned())),
    );
    for (_, path) in &mut routes {
        *path = path
            .replace("CLIENT", client)
            .replace("ADMIN", admin)
            .replace("CODE", "some-code");
    }
    routes
}

/// The stored state of a device code, by name ("pending", "denied"...).
pub async fn state_of(app: &TestApp, code: &authgate::model::DeviceCode) -> &'static str {
    app.core
        .store
        .find_device_code_by_user_code(&code.user_code)
        .await
        .unwrap()
        .unwrap()
        .status()
        .as_str()
}
