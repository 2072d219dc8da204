//! Validated server configuration.
//!
//! [`Config::from_args`] turns parsed command-line/environment options into
//! a configuration that is known to be usable, or one [`ConfigError`] that
//! names the variable and the problem.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::cli::{Environment, RegistrationMode, ServerArgs};
use crate::crypto::keys::SigningAlg;
use crate::store::{Backend, PoolSettings};

mod production;
mod webauthn;

pub use webauthn::PasskeySettings;

/// The shortest secret accepted in production mode, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The highest MAX_CONNECTIONS accepted: far above what one process can
/// hold open, and a typo's guard.
pub const MAX_CONNECTIONS: u32 = 1_000_000;

/// A configuration problem: the variable it concerns and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Public base URL without a trailing slash.
    pub base_url: String,
    pub database_url: String,
    pub pool: PoolSettings,
    /// Apply migrations at start-up; when false, refuse to start on a
    /// schema that is behind (`DATABASE_MIGRATE`).
    pub database_migrate: bool,
    /// Explicit secrets; `None` means "generate and keep in the database".
    pub jwt_secret: Option<SecretString>,
    pub session_secret: Option<SecretString>,
    pub device_code_ttl: Duration,
    /// Lifetime of an authorization code (AUTHORIZATION_CODE_TTL).
    pub authorization_code_ttl: Duration,
    pub poll_interval: Duration,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long audit events are kept (AUDIT_RETENTION).
    pub audit_retention: Duration,
    pub signing_alg: SigningAlg,
    /// Accept HS256 tokens signed with JWT_SECRET beside an asymmetric
    /// signing algorithm (JWT_ACCEPT_HS256; a migration aid). With HS256 as
    /// the signing algorithm they are accepted anyway.
    pub accept_hs256: bool,
    /// The signing key from JWT_PRIVATE_KEY_FILE, parsed at start-up.
    pub signing_key_file: Option<crate::crypto::keys::StoredKey>,
    pub introspection_token: Option<SecretString>,
    pub admin_username: String,
    pub admin_password: Option<SecretString>,
    pub cli_client_id: Option<String>,
    pub production: bool,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Device authorization requests per address per minute; 0 is off.
    pub rate_limit_device_code: u32,
    /// MAX_PENDING_CODES_PER_CLIENT; 0 is no ceiling.
    pub max_pending_codes_per_client: u64,
    /// DPOP_NONCE: the token endpoint requires a server nonce in DPoP
    /// proofs (RFC 9449 §8).
    pub dpop_nonce: bool,
    pub allow_insecure_http: bool,
    /// Serve assets from disk with live reload (`--dev`).
    pub dev: bool,
    pub session_lifetime: Duration,
    /// STEP_UP_MAX_AGE: how fresh a second factor must be for an approval
    /// a policy guards.
    pub step_up_max_age: Duration,
    pub request_timeout: Duration,
    /// A connection's deadline for a request's headers, and for idling
    /// between requests (HEADER_READ_TIMEOUT).
    pub header_read_timeout: Duration,
    /// The most connections open at once (MAX_CONNECTIONS).
    pub max_connections: u32,
    pub shutdown_timeout: Duration,
    /// Serve Prometheus metrics (METRICS).
    pub metrics: bool,
    /// Bearer token required at /metrics (METRICS_TOKEN).
    pub metrics_token: Option<SecretString>,
    /// A separate listen address for /metrics (METRICS_ADDR).
    pub metrics_addr: Option<SocketAddr>,
    /// How often expired device codes, tokens, audit events, sessions,
    /// cache entries and retired keys are removed, and keys rotated by
    /// other instances loaded (`tasks::spawn_cleanup`); the first run is
    /// one period after start-up. `None` (or zero) runs no periodic
    /// cleanup: for an embedder or a test that runs `tasks::cleanup_once`
    /// or reloads keys itself, and must not have that done behind its
    /// back. Not an environment variable: the binary always cleans up
    /// every `tasks::CLEANUP_PERIOD`.
    pub cleanup_period: Option<Duration>,
    /// The WebAuthn relying party for passkeys (WEBAUTHN_RP_ID,
    /// WEBAUTHN_ORIGINS, else from BASE_URL); `None` turns passkeys off.
    pub passkeys: Option<PasskeySettings>,
    /// Dynamic client registration (REGISTRATION and its companions).
    pub registration: RegistrationSettings,
}

/// Dynamic client registration (RFC 7591): who may register, and the
/// bounds that keep the endpoint from filling the database.
#[derive(Debug, Clone)]
pub struct RegistrationSettings {
    pub mode: RegistrationMode,
    /// REGISTRATION_TOKEN: the initial access token of mode `token`.
    pub token: Option<SecretString>,
    /// RATE_LIMIT_REGISTRATION: registrations per address per hour; 0 is off.
    pub per_hour: u32,
    /// REGISTRATION_MAX_PENDING: clients waiting for approval at once.
    pub max_pending: u32,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            mode: RegistrationMode::Off,
            token: None,
            per_hour: 10,
            max_pending: 100,
        }
    }
}

impl Config {
    pub fn from_args(mut args: ServerArgs) -> Result<Self, ConfigError> {
        // An empty variable (`SESSION_SECRET=`, or `${SESSION_SECRET:-}` in
        // a compose file) means "not set", never an empty secret: a cookie
        // key derived from "" would be known to everyone.
        for secret in [
            &mut args.jwt_secret,
            &mut args.session_secret,
            &mut args.admin_password,
            &mut args.metrics_token,
            &mut args.introspection_token,
            &mut args.registration_token,
        ] {
            if secret.as_deref().is_some_and(str::is_empty) {
                *secret = None;
            }
        }
        let production = args.production || args.environment == Environment::Production;
        let base_url = normalize_base_url(&args.base_url)?;
        let database_url = database_url(args.database_url.clone(), args.database_path.clone())?;
        check_limits(&args)?;
        let passkeys = webauthn::settings(
            &base_url,
            args.webauthn_rp_id.as_deref(),
            &args.webauthn_origins,
            production,
        )?;
        let signing_key_file = signing_key_file(&args)?;
        let trusted_proxies = args
            .trusted_proxies
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(parse_net)
            .collect::<Result<Vec<_>, _>>()?;
        let config = Self {
            addr: args.addr,
            base_url,
            database_url,
            pool: PoolSettings {
                max_connections: args.database_max_connections,
                statement_timeout: args.database_statement_timeout,
                acquire_timeout: args.database_acquire_timeout,
                // A write answers well before the request times out, so its
                // caller hears `temporarily_unavailable`, not a timeout.
                write_timeout: args
                    .database_statement_timeout
                    .min(args.request_timeout / 2),
            },
            database_migrate: args.database_migrate,
            jwt_secret: args.jwt_secret.map(SecretString::from),
            session_secret: args.session_secret.map(SecretString::from),
            device_code_ttl: args.device_code_expiration,
            authorization_code_ttl: args.authorization_code_ttl,
            poll_interval: args.polling_interval,
            access_token_ttl: args.jwt_expiration,
            refresh_token_ttl: args.refresh_token_expiration,
            audit_retention: args.audit_retention,
            signing_alg: args.jwt_signing_alg,
            accept_hs256: args.jwt_accept_hs256,
            signing_key_file,
            introspection_token: args.introspection_token.map(SecretString::from),
            admin_username: args.admin_username,
            admin_password: args.admin_password.map(SecretString::from),
            cli_client_id: args.cli_client_id,
            production,
            trusted_proxies,
            rate_limit_device_code: args.rate_limit_device_code,
            max_pending_codes_per_client: args.max_pending_codes_per_client,
            dpop_nonce: args.dpop_nonce,
            allow_insecure_http: args.allow_insecure_http,
            dev: args.dev,
            session_lifetime: args.session_lifetime,
            step_up_max_age: args.step_up_max_age,
            request_timeout: args.request_timeout,
            header_read_timeout: args.header_read_timeout,
            max_connections: args.max_connections,
            shutdown_timeout: args.shutdown_timeout,
            metrics: args.metrics,
            metrics_token: args.metrics_token.map(SecretString::from),
            metrics_addr: args.metrics_addr,
            cleanup_period: Some(crate::tasks::CLEANUP_PERIOD),
            passkeys,
            registration: RegistrationSettings {
                mode: args.registration,
                token: args.registration_token.map(SecretString::from),
                per_hour: args.rate_limit_registration,
                max_pending: args.registration_max_pending,
            },
        };
        at_least("SESSION_LIFETIME", config.session_lifetime, 60)?;
        at_least("STEP_UP_MAX_AGE", config.step_up_max_age, 30)?;
        if production {
            check_production(&config)?;
        }
        Ok(config)
    }

    /// Whether cookies must carry `Secure`: when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// A development configuration for `database_url` with every default:
    /// the starting point of tests and embedders.
    pub fn development(database_url: impl Into<String>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_url: "http://localhost:8080".to_owned(),
            database_url: database_url.into(),
            pool: PoolSettings::default(),
            database_migrate: true,
            jwt_secret: None,
            session_secret: None,
            device_code_ttl: Duration::from_secs(30 * 60),
            authorization_code_ttl: Duration::from_secs(60),
            poll_interval: Duration::from_secs(5),
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            audit_retention: Duration::from_secs(90 * 24 * 3600),
            signing_alg: SigningAlg::Es256,
            accept_hs256: false,
            signing_key_file: None,
            introspection_token: None,
            admin_username: "admin".to_owned(),
            admin_password: None,
            cli_client_id: None,
            production: false,
            trusted_proxies: Vec::new(),
            rate_limit_device_code: 60,
            max_pending_codes_per_client: 50_000,
            dpop_nonce: false,
            allow_insecure_http: false,
            dev: false,
            session_lifetime: Duration::from_secs(7 * 24 * 3600),
            step_up_max_age: Duration::from_secs(5 * 60),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(10),
            metrics: true,
            metrics_token: None,
            metrics_addr: None,
            cleanup_period: Some(crate::tasks::CLEANUP_PERIOD),
            // BASE_URL's own: relying party `localhost`.
            passkeys: webauthn::settings("http://localhost:8080", None, &[], false)
                .ok()
                .flatten(),
            registration: RegistrationSettings::default(),
        }
    }
}

/// REGISTRATION=token needs its token, and a token is only for that mode
/// (given with another, it would silently protect nothing).
fn check_registration(args: &ServerArgs) -> Result<(), ConfigError> {
    match (args.registration, &args.registration_token) {
        (RegistrationMode::Token, None) => Err(bad(
            "REGISTRATION_TOKEN",
            "must be set when REGISTRATION=token",
        )),
        (RegistrationMode::Token, Some(token)) if token.len() < 16 => {
            Err(bad("REGISTRATION_TOKEN", "must be at least 16 characters"))
        }
        (RegistrationMode::Off | RegistrationMode::Open, Some(_)) => Err(bad(
            "REGISTRATION_TOKEN",
            "is only used with REGISTRATION=token",
        )),
        _ if args.registration_max_pending == 0 || args.registration_max_pending > 100_000 => {
            Err(bad("REGISTRATION_MAX_PENDING", "must be 1 to 100000"))
        }
        _ => Ok(()),
    }
}

/// The database URL from `DATABASE_URL`, else `DATABASE_PATH`, else the
/// default SQLite file; refused unless it names a supported engine.
pub fn database_url(url: Option<String>, path: Option<PathBuf>) -> Result<String, ConfigError> {
    let url = match (url, path) {
        (Some(url), _) => url,
        (None, Some(path)) => format!("sqlite://{}", path.display()),
        (None, None) => "sqlite://authgate.db".to_owned(),
    };
    if Backend::from_url(&url).is_none() {
        return Err(bad(
            "DATABASE_URL",
            "must start with sqlite:, postgres:// or postgresql://",
        ));
    }
    Ok(url)
}

/// METRICS_TOKEN is long enough; METRICS_ADDR is not SERVER_ADDR and is
/// only given while metrics are on.
fn check_metrics(
    server_addr: SocketAddr,
    metrics: bool,
    token: Option<&str>,
    metrics_addr: Option<SocketAddr>,
) -> Result<(), ConfigError> {
    if let Some(token) = token
        && token.len() < 16
    {
        return Err(bad("METRICS_TOKEN", "must be at least 16 characters"));
    }
    if let Some(addr) = metrics_addr {
        if !metrics {
            return Err(bad("METRICS_ADDR", "is set but METRICS=false"));
        }
        // Port 0 (any free port) twice gives two different ports.
        if addr == server_addr && addr.port() != 0 {
            return Err(bad(
                "METRICS_ADDR",
                "must differ from SERVER_ADDR (leave it unset to serve /metrics there)",
            ));
        }
    }
    Ok(())
}

/// An IP address or CIDR range.
fn parse_net(s: &str) -> Result<ipnet::IpNet, ConfigError> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            bad(
                "TRUSTED_PROXIES",
                format!("{s:?} is not an IP address or CIDR range"),
            )
        })
}

fn at_least(variable: &'static str, value: Duration, secs: u64) -> Result<(), ConfigError> {
    if value < Duration::from_secs(secs) {
        Err(bad(variable, format!("must be at least {secs} seconds")))
    } else {
        Ok(())
    }
}

/// The limits each setting must respect, and the settings that must agree.
fn check_limits(args: &ServerArgs) -> Result<(), ConfigError> {
    if args.database_max_connections == 0 {
        return Err(bad("DATABASE_MAX_CONNECTIONS", "must be at least 1"));
    }
    if args.database_statement_timeout < Duration::from_millis(100) {
        return Err(bad("DATABASE_STATEMENT_TIMEOUT", "must be at least 100ms"));
    }
    if args.database_acquire_timeout < Duration::from_millis(100) {
        return Err(bad("DATABASE_ACQUIRE_TIMEOUT", "must be at least 100ms"));
    }
    if args.database_acquire_timeout >= args.request_timeout {
        return Err(bad(
            "DATABASE_ACQUIRE_TIMEOUT",
            "must be shorter than REQUEST_TIMEOUT",
        ));
    }
    at_least("DEVICE_CODE_EXPIRATION", args.device_code_expiration, 10)?;
    at_least("POLLING_INTERVAL", args.polling_interval, 1)?;
    at_least("AUTHORIZATION_CODE_TTL", args.authorization_code_ttl, 1)?;
    if args.authorization_code_ttl > Duration::from_secs(600) {
        // RFC 6749 §4.1.2: a maximum lifetime of 10 minutes is recommended.
        return Err(bad("AUTHORIZATION_CODE_TTL", "must be at most 10 minutes"));
    }
    at_least("JWT_EXPIRATION", args.jwt_expiration, 10)?;
    at_least("AUDIT_RETENTION", args.audit_retention, 3600)?;
    at_least("HEADER_READ_TIMEOUT", args.header_read_timeout, 1)?;
    if !(1..=MAX_CONNECTIONS).contains(&args.max_connections) {
        return Err(bad(
            "MAX_CONNECTIONS",
            format!("must be between 1 and {MAX_CONNECTIONS}"),
        ));
    }
    at_least(
        "REFRESH_TOKEN_EXPIRATION",
        args.refresh_token_expiration,
        60,
    )?;
    if args.jwt_accept_hs256 && args.jwt_secret.is_none() {
        return Err(bad(
            "JWT_ACCEPT_HS256",
            "needs JWT_SECRET, the key the HS256 tokens were signed with",
        ));
    }
    if let Some(token) = &args.introspection_token
        && token.len() < 16
    {
        return Err(bad("INTROSPECTION_TOKEN", "must be at least 16 characters"));
    }
    check_registration(args)?;
    check_metrics(
        args.addr,
        args.metrics,
        args.metrics_token.as_deref(),
        args.metrics_addr,
    )?;
    if args.polling_interval >= args.device_code_expiration {
        return Err(bad(
            "POLLING_INTERVAL",
            "must be shorter than DEVICE_CODE_EXPIRATION",
        ));
    }
    crate::domain::user::validate_username(&args.admin_username)
        .map_err(|e| bad("ADMIN_USERNAME", e.to_string()))?;
    if let Some(pw) = &args.admin_password
        && pw.len() < 8
    {
        return Err(bad("ADMIN_PASSWORD", "must be at least 8 characters"));
    }
    if let Some(id) = &args.cli_client_id
        && (id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control() || c == ' '))
    {
        return Err(bad(
            "CLI_CLIENT_ID",
            "must be 1 to 128 characters without spaces",
        ));
    }
    Ok(())
}

/// The signing key read from JWT_PRIVATE_KEY_FILE, when one is named.
fn signing_key_file(
    args: &ServerArgs,
) -> Result<Option<crate::crypto::keys::StoredKey>, ConfigError> {
    Ok(match &args.jwt_private_key_file {
        None => None,
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| {
                bad(
                    "JWT_PRIVATE_KEY_FILE",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let key = crate::crypto::keys::from_pem(args.jwt_signing_alg, &pem, 0)
                .map_err(|e| bad("JWT_PRIVATE_KEY_FILE", e.to_string()))?;
            Some(key)
        }
    })
}

/// What production mode refuses on top of the limits (see
/// `config/production.rs`).
fn check_production(config: &Config) -> Result<(), ConfigError> {
    if config.dev {
        return Err(bad(
            "AUTHGATE_ENV",
            "--dev cannot be used in production mode",
        ));
    }
    production::check(config)?;
    if !config.secure_cookies() && !config.allow_insecure_http {
        return Err(bad(
            "BASE_URL",
            "must be https:// in production mode (or set ALLOW_INSECURE_HTTP=true)",
        ));
    }
    Ok(())
}

fn normalize_base_url(raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw).map_err(|e| bad("BASE_URL", format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("BASE_URL", "must be an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("BASE_URL", "must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests;
