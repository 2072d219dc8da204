//! The rules of AuthGate, free of HTTP and SQL.
//!
//! Functions here take typed inputs and a [`Core`] (store, clock, randomness,
//! signer, policy) and return typed results or an [`Error`] that speaks the
//! OAuth RFCs; `http/error.rs` turns those into responses.

pub mod admin;
pub mod audit;
pub mod authorize;
pub mod client;
pub mod client_assertion;
pub mod code_guard;
pub mod consent;
pub mod device_flow;
pub mod dpop;
pub mod factors;
pub mod keys;
pub mod logout;
pub mod oidc;
pub mod passkey;
pub mod recovery;
pub mod registration;
pub mod step_up;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod upstream;
pub mod user;
pub mod user_agent;

use std::sync::Arc;
use std::time::Duration;

use crate::clock::SharedClock;
use crate::crypto::jwt::TokenSigner;
use crate::crypto::random::Random;
use crate::store::Store;

/// What every domain operation needs; built once at start-up.
#[derive(Clone, Debug)]
pub struct Core {
    pub store: Store,
    pub clock: SharedClock,
    pub random: Random,
    pub signer: Arc<TokenSigner>,
    pub keys: keys::KeyPolicy,
    pub policy: Policy,
    /// This app's Prometheus counters (device codes, tokens, sign-ins...).
    pub metrics: crate::metrics::Metrics,
    /// This instance's budgets for user-code guesses.
    pub guesses: Arc<code_guard::GuessLimits>,
    /// When each client's reaching MAX_PENDING_CODES_PER_CLIENT was last
    /// audited (Unix seconds): once a minute, not once per refused request.
    pub cap_notices: Arc<dashmap::DashMap<String, i64>>,
    /// Seals consent tickets (keyed from the session secret).
    pub consent: Arc<crate::crypto::seal::Sealer>,
    /// The WebAuthn relying party (built once from WEBAUTHN_RP_ID and
    /// WEBAUTHN_ORIGINS); `None` when passkeys are off.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Talks to upstream OpenID providers; caches their metadata.
    pub upstream: Arc<upstream::Relying>,
    /// Public keys of `private_key_jwt` clients published at a URL.
    pub client_keys: Arc<client_assertion::KeyCache>,
    /// DPoP server nonces (RFC 9449 §8); `None` when DPOP_NONCE is off.
    pub dpop_nonces: Option<Arc<dpop::Nonces>>,
}

/// The tunable rules of the device flow and tokens.
#[derive(Clone, Debug)]
pub struct Policy {
    /// `iss` of issued tokens and the base of `verification_uri`, without a
    /// trailing slash.
    pub issuer: String,
    /// How long a device code lives (RFC 8628 `expires_in`).
    pub device_code_ttl: Duration,
    /// How long an authorization code lives (RFC 6749 §4.1.2).
    pub authorization_code_ttl: Duration,
    /// The minimum polling interval handed to devices (RFC 8628 `interval`).
    pub poll_interval: Duration,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// How long audit events are kept (AUDIT_RETENTION).
    pub audit_retention: Duration,
    /// The most live pending device codes one client may have
    /// (MAX_PENDING_CODES_PER_CLIENT); `None` is no ceiling.
    pub max_pending_codes_per_client: Option<u64>,
    /// How recently a second factor must have been used for an approval
    /// a policy guards (STEP_UP_MAX_AGE; see `step_up.rs`).
    pub step_up_max_age: Duration,
    /// Dynamic client registration (REGISTRATION); `None` when it is off.
    pub registration: Option<registration::RegistrationPolicy>,
}

impl Policy {
    pub fn verification_uri(&self) -> String {
        format!("{}/device", self.issuer)
    }
}

/// Errors of the domain, named after the RFC error codes they become.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// RFC 6749 §5.2 `invalid_request`: missing, repeated or malformed input.
    #[error("{0}")]
    InvalidRequest(String),
    /// RFC 6749 §5.2 `invalid_client`. `basic_auth` records whether the
    /// client tried HTTP Basic, which makes the answer a 401 with a challenge.
    #[error("{description}")]
    InvalidClient {
        description: String,
        basic_auth: bool,
    },
    /// RFC 6749 §5.2 `invalid_grant`.
    #[error("{0}")]
    InvalidGrant(String),
    /// RFC 6749 §5.2 `unauthorized_client`.
    #[error("{0}")]
    UnauthorizedClient(String),
    /// RFC 6749 §5.2 `unsupported_grant_type`.
    #[error("{0}")]
    UnsupportedGrantType(String),
    /// RFC 6749 §5.2 `invalid_scope`.
    #[error("{0}")]
    InvalidScope(String),
    /// RFC 8707 §2 `invalid_target`: a `resource` that is malformed or not
    /// one the client may ask tokens for.
    #[error("{0}")]
    InvalidTarget(String),
    /// RFC 9449 §5 `invalid_dpop_proof` at the token endpoint: a DPoP
    /// header that is repeated, malformed, or fails a check.
    #[error("{0}")]
    InvalidDpopProof(String),
    /// RFC 9449 §7.1 `invalid_dpop_proof` at a resource: a 401 with a
    /// `DPoP` challenge.
    #[error("{0}")]
    DpopProofAtResource(String),
    /// RFC 9449 §8 `use_dpop_nonce`: the proof lacks a fresh server nonce.
    #[error("{0}")]
    UseDpopNonce(String),
    /// RFC 8628 §3.5: the user has not decided yet.
    #[error("the user has not yet approved or denied this request")]
    AuthorizationPending,
    /// RFC 8628 §3.5: polled too fast; `interval` is the new interval.
    #[error("polling too fast: wait at least {interval} seconds between requests")]
    SlowDown { interval: i64 },
    /// RFC 8628 §3.5: the user (or an administrator) denied the request.
    #[error("the user denied the authorization request")]
    AccessDenied,
    /// RFC 8628 §3.5: the device code expired before it was approved.
    #[error("the device code has expired; start a new device authorization")]
    ExpiredToken,
    /// RFC 6750 §3.1 `invalid_token`: bad, expired or revoked access token.
    #[error("{0}")]
    InvalidToken(String),
    /// RFC 6750 §3.1 `insufficient_scope`: a valid access token without
    /// the scope the resource needs.
    #[error("{0}")]
    InsufficientScope(String),
    /// A person typed a user code that matches no device request.
    #[error("that code is not valid; check it and try again")]
    UnknownUserCode,
    /// A person typed the code of a request that has expired.
    #[error("that code has expired; start again on your device")]
    ExpiredUserCode,
    /// A consent ticket that is forged, from another session, or too old:
    /// the person must enter the code again.
    #[error("this approval page has expired; enter the code again")]
    StaleConsent,
    /// A person typed the code of a request that was already decided.
    #[error("that code has already been used")]
    UserCodeAlreadyUsed,
    /// Too many attempts: try again after `retry_after_secs`.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: i64 },
    /// RFC 8628 device request refused: the client has
    /// MAX_PENDING_CODES_PER_CLIENT codes waiting (answered as `slow_down`).
    #[error(
        "this client has too many device requests waiting for approval; \
         try again in {retry_after_secs} seconds"
    )]
    TooManyPendingCodes { retry_after_secs: i64 },
    /// Something an administrator named (a user, client, token, request)
    /// does not exist.
    #[error("{0}")]
    NotFound(String),
    /// An action the rules refuse whoever asks (an administrator disabling
    /// or demoting themselves).
    #[error("{0}")]
    Refused(String),
    /// An approval a policy guards needs a second factor first: proven
    /// again now, or (`enrol`) set up, since the person has none. A device
    /// approval names its user code, so the person can come back to it.
    #[error("a second factor is needed")]
    SecondFactorNeeded {
        enrol: bool,
        user_code: Option<String>,
    },
    /// A username or password was wrong, or the account is disabled.
    #[error("incorrect username or password")]
    BadCredentials,
    /// An authorization request that cannot be answered at a redirect URI
    /// (unknown client, unregistered or missing redirect URI, a stale
    /// consent page): RFC 6749 §4.1.2.1 says to tell the person instead.
    #[error("{0}")]
    InvalidAuthorizationRequest(String),
    /// An authorization request refused with an error the application
    /// hears at its redirect URI (RFC 6749 §4.1.2.1).
    #[error("{}", .0.description)]
    AuthorizationRefused(Box<authorize::ErrorRedirect>),
    /// A logout request that names a client or hint AuthGate cannot trust
    /// (OpenID Connect RP-Initiated Logout 1.0 §2): told to the person.
    #[error("{0}")]
    InvalidLogoutRequest(String),
    /// RFC 7591 §3.2.2 `invalid_redirect_uri`: a redirect URI a client may
    /// not register (or none for the code grant).
    #[error("{0}")]
    InvalidRedirectUri(String),
    /// RFC 7591 §3.2.2 `invalid_client_metadata`: a metadata value that is
    /// malformed, unsupported or inconsistent with another.
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// REGISTRATION_MAX_PENDING clients already wait for approval.
    #[error(
        "too many registered clients are waiting for an administrator's approval; \
         try again later"
    )]
    RegistrationsFull,
    /// A request body above the configured limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<crate::crypto::password::PasswordError> for Error {
    fn from(e: crate::crypto::password::PasswordError) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<crate::crypto::jwt::JwtError> for Error {
    fn from(e: crate::crypto::jwt::JwtError) -> Self {
        match e {
            crate::crypto::jwt::JwtError::Invalid => Error::InvalidToken(
                "the access token is malformed or its signature is invalid".into(),
            ),
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Whole seconds of a duration, as stored and sent on the wire.
pub fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Whether AuthGate may fetch from `url` (an upstream issuer's discovery,
/// a client's `jwks_uri`): https, or http on this machine only, where no
/// network can read or alter the answer.
pub fn fetchable_url(url: &url::Url) -> bool {
    url.scheme() == "https"
        || (url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")))
}
