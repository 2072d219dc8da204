//! Route paths, shared by the router and everything that links to them.

pub const HOME: &str = "/";
pub const HEALTH: &str = "/health";
pub const DEVICE_AUTHORIZATION: &str = "/oauth/device/code";
pub const TOKEN: &str = "/oauth/token";
pub const TOKEN_INFO: &str = "/oauth/tokeninfo";
pub const REVOKE: &str = "/oauth/revoke";
pub const INTROSPECT: &str = "/oauth/introspect";
pub const METADATA: &str = "/.well-known/oauth-authorization-server";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/.well-known/jwks.json";
/// The signed-in user's own authorisations.
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_REVOKE: &str = "/account/grants/{id}/revoke";
/// The verification page people open (RFC 8628 `verification_uri`).
pub const DEVICE: &str = "/device";
pub const DEVICE_DECISION: &str = "/device/decision";
/// `/device/approved`, `/device/denied`, `/device/expired`.
pub const DEVICE_RESULT: &str = "/device/{outcome}";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const ASSETS: &str = "/assets";
pub const ASSET: &str = "/assets/{name}";

/// The links components render, from the same constants as the router.
pub const LINKS: components::Links = components::Links {
    home: HOME,
    login: LOGIN,
    logout: LOGOUT,
    device: DEVICE,
    device_decision: DEVICE_DECISION,
    account: ACCOUNT,
};

/// The form action that revokes one of the user's grants.
pub fn account_revoke(grant_id: &str) -> String {
    format!("{ACCOUNT}/grants/{grant_id}/revoke")
}

/// The result page of a device decision.
pub fn device_result(outcome: &str) -> String {
    format!("{DEVICE}/{outcome}")
}
