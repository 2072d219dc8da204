//! Route paths, shared by the router and everything that links to them.

pub const HOME: &str = "/";
pub const HEALTH: &str = "/health";
/// Prometheus metrics (unless METRICS=false or moved to METRICS_ADDR).
pub const METRICS: &str = "/metrics";
pub const DEVICE_AUTHORIZATION: &str = "/oauth/device/code";
pub const TOKEN: &str = "/oauth/token";
pub const TOKEN_INFO: &str = "/oauth/tokeninfo";
pub const REVOKE: &str = "/oauth/revoke";
pub const INTROSPECT: &str = "/oauth/introspect";
/// OpenID Connect Core §5.3.
pub const USERINFO: &str = "/oauth/userinfo";
/// The authorization endpoint (RFC 6749 §3.1): a page for people.
pub const AUTHORIZE: &str = "/oauth/authorize";
/// The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0).
pub const END_SESSION: &str = "/oauth/logout";
/// Where its consent page posts the person's answer.
pub const AUTHORIZE_DECISION: &str = "/oauth/authorize/decision";
/// Dynamic client registration (RFC 7591) and, per client, its
/// management (RFC 7592).
pub const REGISTRATION: &str = "/oauth/register";
pub const REGISTRATION_CLIENT: &str = "/oauth/register/{id}";
pub const METADATA: &str = "/.well-known/oauth-authorization-server";
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/.well-known/jwks.json";
/// The OpenAPI description of the JSON endpoints.
pub const OPENAPI: &str = "/openapi.json";
/// The signed-in user's own authorisations.
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_REVOKE: &str = "/account/grants/{id}/revoke";
pub const ACCOUNT_PROFILE: &str = "/account/profile";
/// Two-step sign-in on `/account`: start enrolment, confirm it, turn off.
pub const ACCOUNT_TWO_STEP_START: &str = "/account/two-step/start";
pub const ACCOUNT_TWO_STEP_CONFIRM: &str = "/account/two-step/confirm";
pub const ACCOUNT_TWO_STEP_REMOVE: &str = "/account/two-step/remove";
/// Passkeys on `/account`: the registration ceremony's options and
/// answer (JSON), and renaming or removing one (forms).
pub const ACCOUNT_PASSKEYS_OPTIONS: &str = "/account/passkeys/options";
pub const ACCOUNT_PASSKEYS: &str = "/account/passkeys";
pub const ACCOUNT_PASSKEY_RENAME: &str = "/account/passkeys/{id}/rename";
pub const ACCOUNT_PASSKEY_DELETE: &str = "/account/passkeys/{id}/delete";
/// A new set of recovery codes, replacing the old one.
pub const ACCOUNT_RECOVERY_CODES: &str = "/account/recovery-codes";
/// Ends an application's remembered consent (the form names the client).
pub const ACCOUNT_APP_REVOKE: &str = "/account/apps/revoke";
/// The verification page people open (RFC 8628 `verification_uri`).
pub const DEVICE: &str = "/device";
pub const DEVICE_DECISION: &str = "/device/decision";
/// `/device/approved`, `/device/denied`, `/device/expired`.
pub const DEVICE_RESULT: &str = "/device/{outcome}";
pub const LOGIN: &str = "/login";
/// The second step of sign-in: a code from an authenticator app.
pub const LOGIN_CODE: &str = "/login/code";
/// A signed-in person proves a second factor again before an approval.
pub const LOGIN_STEP_UP: &str = "/login/step-up";
/// The step-up with a passkey: the ceremony's options and answer (JSON).
pub const LOGIN_STEP_UP_PASSKEY_OPTIONS: &str = "/login/step-up/passkey/options";
pub const LOGIN_STEP_UP_PASSKEY: &str = "/login/step-up/passkey";
/// Signing in with a passkey alone: the ceremony's options and answer (JSON).
pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/passkey/options";
pub const LOGIN_PASSKEY: &str = "/login/passkey";
/// A passkey as the second step after a password (JSON).
pub const LOGIN_PASSKEY_STEP_OPTIONS: &str = "/login/passkey/step/options";
pub const LOGIN_PASSKEY_STEP: &str = "/login/passkey/step";
/// The same step with a recovery code instead.
pub const LOGIN_RECOVERY: &str = "/login/code/recovery";
pub const LOGOUT: &str = "/logout";
/// Sign-in through an upstream OpenID provider, and where it comes back
/// (the redirect URI registered at the provider).
pub const LOGIN_UPSTREAM: &str = "/login/upstream/{name}";
pub const LOGIN_UPSTREAM_CALLBACK: &str = "/login/upstream/{name}/callback";
/// Confirms linking an upstream account after a password sign-in.
pub const LOGIN_LINK: &str = "/login/link";
/// Unlinks an upstream account on `/account` (the form names the provider).
pub const ACCOUNT_UPSTREAM_UNLINK: &str = "/account/upstream/unlink";
/// Starts linking an upstream account on `/account` (the form names the
/// provider).
pub const ACCOUNT_UPSTREAM_LINK: &str = "/account/upstream/link";
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
    admin: ADMIN,
};

/// The form action that revokes one of the user's grants.
pub fn account_revoke(grant_id: &str) -> String {
    format!("{ACCOUNT}/grants/{grant_id}/revoke")
}

/// Where the sign-in button of provider `name` starts.
pub fn login_upstream(name: &str) -> String {
    LOGIN_UPSTREAM.replace("{name}", name)
}

/// The result page of a device decision.
pub fn device_result(outcome: &str) -> String {
    format!("{DEVICE}/{outcome}")
}

// The admin dashboard (administrators only; see http/admin). A GET on an
// action path shows its confirmation, the POST does it.
pub const ADMIN: &str = "/admin";
/// The overview's live part, polled by htmx.
pub const ADMIN_LIVE: &str = "/admin/live";
pub const ADMIN_DEVICE_CODES: &str = "/admin/device-codes";
pub const ADMIN_DEVICE_CODES_LIVE: &str = "/admin/device-codes/live";
pub const ADMIN_DEVICE_CODE_CANCEL: &str = "/admin/device-codes/{id}/cancel";
pub const ADMIN_TOKENS: &str = "/admin/tokens";
/// `?jti=`, `?user=` or `?client=`: one token, a user's, a client's.
pub const ADMIN_TOKENS_REVOKE: &str = "/admin/tokens/revoke";
pub const ADMIN_CLIENTS: &str = "/admin/clients";
pub const ADMIN_CLIENTS_NEW: &str = "/admin/clients/new";
pub const ADMIN_CLIENT: &str = "/admin/clients/{id}";
pub const ADMIN_CLIENT_DISABLE: &str = "/admin/clients/{id}/disable";
pub const ADMIN_CLIENT_ENABLE: &str = "/admin/clients/{id}/enable";
/// POST `required=on|off`: whether approving needs a second factor.
pub const ADMIN_CLIENT_SECOND_FACTOR: &str = "/admin/clients/{id}/second-factor";
pub const ADMIN_CLIENT_SECRET: &str = "/admin/clients/{id}/secret";
pub const ADMIN_CLIENT_KEYS: &str = "/admin/clients/{id}/keys";
/// An administrator's decision on a client that registered itself.
pub const ADMIN_CLIENT_APPROVE: &str = "/admin/clients/{id}/approve";
pub const ADMIN_CLIENT_REJECT: &str = "/admin/clients/{id}/reject";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_USERS_NEW: &str = "/admin/users/new";
pub const ADMIN_USER: &str = "/admin/users/{id}";
pub const ADMIN_USER_DISABLE: &str = "/admin/users/{id}/disable";
pub const ADMIN_USER_ENABLE: &str = "/admin/users/{id}/enable";
pub const ADMIN_USER_PASSWORD: &str = "/admin/users/{id}/password";
pub const ADMIN_USER_ROLE: &str = "/admin/users/{id}/role";
pub const ADMIN_USER_UNLOCK: &str = "/admin/users/{id}/unlock";
/// POST `required=on|off`: whether the person must use a second factor.
pub const ADMIN_USER_SECOND_FACTOR: &str = "/admin/users/{id}/second-factor";
/// POST `required=on|off`: whether everyone must.
pub const ADMIN_SECOND_FACTOR: &str = "/admin/second-factor";
pub const ADMIN_USER_PROFILE: &str = "/admin/users/{id}/profile";
/// Removes a person's second factors and ends their sessions.
pub const ADMIN_USER_FACTORS_RESET: &str = "/admin/users/{id}/factors/reset";
pub const ADMIN_AUDIT: &str = "/admin/audit";
/// Upstream OpenID providers: the list and add form; Disable and Enable
/// (by the provider's name).
pub const ADMIN_PROVIDERS: &str = "/admin/providers";
pub const ADMIN_PROVIDER_DISABLE: &str = "/admin/providers/{id}/disable";
pub const ADMIN_PROVIDER_ENABLE: &str = "/admin/providers/{id}/enable";
/// One provider: its page and edit form (GET, POST), and its removal
/// (GET asks, POST removes).
pub const ADMIN_PROVIDER: &str = "/admin/providers/{id}";
pub const ADMIN_PROVIDER_REMOVE: &str = "/admin/providers/{id}/remove";
/// Unlinks one of a person's upstream accounts (the form names the provider).
pub const ADMIN_USER_UPSTREAM_UNLINK: &str = "/admin/users/{id}/upstream/unlink";

/// The admin navigation, from the same constants as the router.
pub const ADMIN_LINKS: components::admin::AdminLinks = components::admin::AdminLinks {
    overview: ADMIN,
    device_codes: ADMIN_DEVICE_CODES,
    tokens: ADMIN_TOKENS,
    clients: ADMIN_CLIENTS,
    users: ADMIN_USERS,
    providers: ADMIN_PROVIDERS,
    audit: ADMIN_AUDIT,
};

/// `template` with its `{id}` replaced by `id`, percent-encoded as one
/// path segment (client ids are chosen by operators and may hold anything).
pub fn with_id(template: &str, id: &str) -> String {
    // RFC 3986 §2.3: unreserved characters stay as they are.
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let segment: String = percent_encoding::utf8_percent_encode(id, SEGMENT).collect();
    template.replace("{id}", &segment)
}

/// `path?name=value&...`, form-encoded; pairs with an empty value are left out.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
