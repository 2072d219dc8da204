//! AuthGate's HTML components: typed props in, `maud::Markup` out.
//!
//! This crate knows nothing of axum, sessions or SQL. Pages are composed
//! from these functions; handlers only pick a page and pass typed data.
//! Request data is only ever interpolated through maud's escaping, never
//! with `PreEscaped`, and never into `<script>`, `style` or `on*=`.

pub mod account;
pub mod account_apps;
pub mod admin;
pub mod auth;
pub mod authorize;
pub mod device;
pub mod error_page;
pub mod feedback;
pub mod form;
pub mod icons;
pub mod layout;
pub mod logout;
pub mod passkeys;
pub mod profile;
pub mod recovery;
pub mod step_up;
pub mod two_step;
pub mod upstream;

/// The URLs components link and post to, filled from the server's route
/// table so links cannot drift from the router.
#[derive(Debug, Clone)]
pub struct Links {
    pub home: &'static str,
    pub login: &'static str,
    pub logout: &'static str,
    pub device: &'static str,
    pub device_decision: &'static str,
    pub account: &'static str,
    /// The admin dashboard, linked in the header for administrators.
    pub admin: &'static str,
}

/// Versioned asset URLs.
#[derive(Debug, Clone)]
pub struct Assets {
    pub css: String,
    pub htmx: String,
    pub app_js: String,
    pub icon: String,
    /// The passkey ceremonies' script, included only by the blocks that
    /// need it (see `passkeys.rs`).
    pub passkey_js: String,
}

/// The signed-in person, as the page header shows them.
#[derive(Debug, Clone)]
pub struct Account<'a> {
    pub username: &'a str,
    /// Administrators get a link to the dashboard.
    pub is_admin: bool,
}

/// What every page needs besides its own content.
#[derive(Debug, Clone)]
pub struct PageCtx<'a> {
    pub title: &'a str,
    pub assets: &'a Assets,
    pub links: &'a Links,
    pub account: Option<Account<'a>>,
    /// The session's CSRF token, for the sign-out form in the header.
    pub csrf: &'a str,
}
