//! Route paths, shared by the router and everything that links to them.

pub const HEALTH: &str = "/health";
pub const DEVICE_AUTHORIZATION: &str = "/oauth/device/code";
pub const TOKEN: &str = "/oauth/token";
pub const TOKEN_INFO: &str = "/oauth/tokeninfo";
/// The verification page people open (RFC 8628 `verification_uri`).
pub const DEVICE: &str = "/device";
