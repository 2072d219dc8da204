//! OpenID Connect: user profiles, ID tokens (authorization code, refresh,
//! device grants), UserInfo, discovery, PKCE on the device grant, and a
//! real relying party (the `openidconnect` crate) on either engine.

mod profile;
