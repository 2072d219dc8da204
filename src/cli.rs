//! The command line: every subcommand and option of the `authgate` binary.
//!
//! Every server option is also read from an environment variable of the
//! same name (a `.env` file is loaded first when present).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::crypto::keys::SigningAlg;

/// Version, commit and build date, as `authgate --version` prints them.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("AUTHGATE_GIT_COMMIT"),
    ", built ",
    env!("AUTHGATE_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "authgate",
    version = LONG_VERSION,
    about = "AuthGate: an OAuth 2.0 Device Authorization Grant server (RFC 8628)",
    long_about = "AuthGate lets CLI tools, TVs and other input-constrained devices obtain a \
                  user's access token: the device shows a short code, the user approves it \
                  in a browser, the device receives a token."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log output format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_name = "LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (OAuth endpoints, verification pages, admin).
    Server(Box<ServerArgs>),
    /// Apply the database migrations and exit (for deployments whose
    /// servers run with DATABASE_MIGRATE=false).
    Migrate(MigrateArgs),
    /// Manage token signing keys (list, rotate).
    Keys(crate::commands::keys::KeysArgs),
    /// Manage users on the database (add, list, disable, enable, set-password, unlock,
    /// reset-factors).
    User(crate::commands::user::UserArgs),
    /// Manage OAuth clients on the database (add, list, disable, enable).
    Client(crate::commands::client::ClientArgs),
    /// Manage upstream OpenID providers people may sign in through (add,
    /// list, disable, enable, remove).
    Provider(crate::commands::provider::ProviderArgs),
    /// Write a consistent copy of the SQLite database, also while servers run.
    Backup(crate::commands::backup::BackupArgs),
    /// Check a running server's /health (exit 0 when healthy): the
    /// container HEALTHCHECK.
    Health(crate::commands::health::HealthArgs),
    /// Client: sign in to an AuthGate server (in the browser, or with the device flow).
    Login(crate::client::login::LoginArgs),
    /// Client: print a valid access token (renewed when it expires within a minute).
    Token(crate::client::token::TokenArgs),
    /// Client: show who is signed in, and until when.
    Status(crate::client::status::StatusArgs),
    /// Client: revoke the stored tokens and delete them.
    Logout(crate::client::logout::LogoutArgs),
}

/// Options of `authgate migrate`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Database: sqlite://PATH or postgres://USER:PASS@HOST/DB
    /// [default: sqlite://authgate.db]
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Path of the SQLite database file (DATABASE_URL wins when both are set).
    #[arg(long, env = "DATABASE_PATH", value_name = "DATABASE_PATH")]
    pub database_path: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Who may register a client at `/oauth/register` (RFC 7591).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegistrationMode {
    /// Nobody: the endpoint answers 404 and discovery does not name it.
    Off,
    /// Anyone; the client waits for an administrator's approval.
    Open,
    /// Whoever presents REGISTRATION_TOKEN (RFC 7591 §3 initial access
    /// token); the client still waits for approval.
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Options of `authgate server`.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "SERVER_ADDR",
        value_name = "SERVER_ADDR",
        default_value = "0.0.0.0:8080"
    )]
    pub addr: SocketAddr,

    /// Public URL of this server; `verification_uri` is BASE_URL/device.
    #[arg(
        long,
        env = "BASE_URL",
        value_name = "BASE_URL",
        default_value = "http://localhost:8080"
    )]
    pub base_url: String,

    /// Key for signing access tokens (HS256). Generated and kept in the
    /// database when unset (not allowed in production).
    #[arg(
        long,
        env = "JWT_SECRET",
        value_name = "JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// Key for session-bound secrets (CSRF tokens). Generated and kept in
    /// the database when unset (not allowed in production).
    #[arg(
        long,
        env = "SESSION_SECRET",
        value_name = "SESSION_SECRET",
        hide_env_values = true
    )]
    pub session_secret: Option<String>,

    /// Database: sqlite://PATH or postgres://USER:PASS@HOST/DB
    /// [default: sqlite://authgate.db]
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// Path of the SQLite database file (alias kept from the Go AuthGate;
    /// DATABASE_URL wins when both are set).
    #[arg(long, env = "DATABASE_PATH", value_name = "DATABASE_PATH")]
    pub database_path: Option<PathBuf>,

    /// Maximum database connections in the pool.
    #[arg(
        long,
        env = "DATABASE_MAX_CONNECTIONS",
        value_name = "DATABASE_MAX_CONNECTIONS",
        default_value_t = 8
    )]
    pub database_max_connections: u32,

    /// PostgreSQL: longest a statement may run (statement_timeout); SQLite:
    /// how long a statement waits for the database lock (busy timeout).
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT", value_name = "DATABASE_STATEMENT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub database_statement_timeout: Duration,

    /// Longest a request waits for a database connection, opening one
    /// included: while the database is down, requests are answered 503
    /// this quickly.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT", value_name = "DATABASE_ACQUIRE_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub database_acquire_timeout: Duration,

    /// Apply database migrations at start-up (true/false). When false and
    /// the schema is behind, start-up fails: run `authgate migrate` first.
    #[arg(long, env = "DATABASE_MIGRATE", value_name = "DATABASE_MIGRATE", default_value = "true", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub database_migrate: bool,

    /// How long a device code stays valid (e.g. 30m, 900s).
    #[arg(long, env = "DEVICE_CODE_EXPIRATION", value_name = "DEVICE_CODE_EXPIRATION", default_value = "30m", value_parser = parse_duration)]
    pub device_code_expiration: Duration,

    /// How long an authorization code stays valid (e.g. 60s): the time
    /// between a person's approval and the application's token request.
    #[arg(long, env = "AUTHORIZATION_CODE_TTL", value_name = "AUTHORIZATION_CODE_TTL", default_value = "60s", value_parser = parse_duration)]
    pub authorization_code_ttl: Duration,

    /// Minimum interval between token polls handed to devices (e.g. 5s).
    #[arg(long, env = "POLLING_INTERVAL", value_name = "POLLING_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub polling_interval: Duration,

    /// Signature algorithm of access tokens: ES256, EdDSA, RS256 (keys
    /// generated and kept in the database, published at /.well-known/jwks.json)
    /// or HS256 (JWT_SECRET).
    #[arg(long, env = "JWT_SIGNING_ALG", value_name = "JWT_SIGNING_ALG", default_value = "ES256", value_parser = parse_alg)]
    pub jwt_signing_alg: SigningAlg,

    /// Also accept HS256 tokens signed with JWT_SECRET while
    /// JWT_SIGNING_ALG is ES256, EdDSA or RS256 (true/false): a temporary
    /// setting for a migration from the Go AuthGate, until its tokens expire.
    #[arg(long, env = "JWT_ACCEPT_HS256", value_name = "JWT_ACCEPT_HS256", default_value = "false", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub jwt_accept_hs256: bool,

    /// PEM file with the private key that signs access tokens (PKCS#8;
    /// EC P-256 for ES256, Ed25519 for EdDSA, RSA for RS256), instead of a
    /// key generated and kept in the database.
    #[arg(
        long,
        env = "JWT_PRIVATE_KEY_FILE",
        value_name = "JWT_PRIVATE_KEY_FILE"
    )]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Lifetime of refresh tokens (e.g. 30d).
    #[arg(long, env = "REFRESH_TOKEN_EXPIRATION", value_name = "REFRESH_TOKEN_EXPIRATION", default_value = "30d", value_parser = parse_duration)]
    pub refresh_token_expiration: Duration,

    /// How long the audit log keeps events (e.g. 90d); older ones are
    /// deleted by the periodic cleanup.
    #[arg(long, env = "AUDIT_RETENTION", value_name = "AUDIT_RETENTION", default_value = "90d", value_parser = parse_duration)]
    pub audit_retention: Duration,

    /// Bearer token that resource servers may present to /oauth/introspect
    /// instead of client credentials.
    #[arg(
        long,
        env = "INTROSPECTION_TOKEN",
        value_name = "INTROSPECTION_TOKEN",
        hide_env_values = true
    )]
    pub introspection_token: Option<String>,

    /// Lifetime of access tokens (e.g. 1h).
    #[arg(long, env = "JWT_EXPIRATION", value_name = "JWT_EXPIRATION", default_value = "1h", value_parser = parse_duration)]
    pub jwt_expiration: Duration,

    /// Username of the administrator created on first start.
    #[arg(
        long,
        env = "ADMIN_USERNAME",
        value_name = "ADMIN_USERNAME",
        default_value = "admin"
    )]
    pub admin_username: String,

    /// Password of the administrator created on first start; generated and
    /// printed once in the log when unset.
    #[arg(
        long,
        env = "ADMIN_PASSWORD",
        value_name = "ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<String>,

    /// client_id of the public "AuthGate CLI" client created on first start
    /// (a random UUID when unset).
    #[arg(long, env = "CLI_CLIENT_ID", value_name = "CLI_CLIENT_ID")]
    pub cli_client_id: Option<String>,

    /// Deployment environment; `production` refuses generated or short secrets.
    #[arg(
        long = "env",
        env = "AUTHGATE_ENV",
        value_name = "AUTHGATE_ENV",
        default_value = "development"
    )]
    pub environment: Environment,

    /// Shorthand for `--env production`.
    #[arg(long)]
    pub production: bool,

    /// How recently a second factor must have been used to approve a
    /// request when a policy requires one (e.g. 5m).
    #[arg(long, env = "STEP_UP_MAX_AGE", value_name = "STEP_UP_MAX_AGE", default_value = "5m", value_parser = parse_duration)]
    pub step_up_max_age: Duration,

    /// How long a browser session lasts without activity (e.g. 7d).
    #[arg(long, env = "SESSION_LIFETIME", value_name = "SESSION_LIFETIME", default_value = "7d", value_parser = parse_duration)]
    pub session_lifetime: Duration,

    /// Development mode: serve assets from disk and reload the browser when
    /// they change. Never use in production.
    #[arg(long)]
    pub dev: bool,

    /// Reverse proxies whose X-Forwarded-For header is believed: IPs or
    /// CIDR ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8).
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        value_name = "TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// Device authorization requests allowed per client address per minute
    /// (0 turns the limit off).
    #[arg(
        long,
        env = "RATE_LIMIT_DEVICE_CODE",
        value_name = "RATE_LIMIT_DEVICE_CODE",
        default_value_t = 60
    )]
    pub rate_limit_device_code: u32,

    /// Dynamic client registration at /oauth/register (RFC 7591): `off`,
    /// `open`, or `token` (requires REGISTRATION_TOKEN). Registered
    /// clients wait for an administrator's approval.
    #[arg(
        long,
        env = "REGISTRATION",
        value_name = "REGISTRATION",
        value_enum,
        default_value_t = RegistrationMode::Off
    )]
    pub registration: RegistrationMode,

    /// The initial access token registrations must present as
    /// `Authorization: Bearer` when REGISTRATION=token (16+ characters).
    #[arg(
        long,
        env = "REGISTRATION_TOKEN",
        value_name = "REGISTRATION_TOKEN",
        hide_env_values = true
    )]
    pub registration_token: Option<String>,

    /// Registrations allowed per client address per hour (0 turns the
    /// limit off).
    #[arg(
        long,
        env = "RATE_LIMIT_REGISTRATION",
        value_name = "RATE_LIMIT_REGISTRATION",
        default_value_t = 10
    )]
    pub rate_limit_registration: u32,

    /// The most registered clients that may wait for approval at once;
    /// further registrations are refused until an administrator decides.
    #[arg(
        long,
        env = "REGISTRATION_MAX_PENDING",
        value_name = "REGISTRATION_MAX_PENDING",
        default_value_t = 100
    )]
    pub registration_max_pending: u32,

    /// The most live pending device codes one client may have (0 turns the
    /// ceiling off). A device request beyond it is refused with `slow_down`
    /// until codes are decided or expire.
    #[arg(
        long,
        env = "MAX_PENDING_CODES_PER_CLIENT",
        value_name = "MAX_PENDING_CODES_PER_CLIENT",
        default_value_t = 50_000
    )]
    pub max_pending_codes_per_client: u64,

    /// Require a server nonce in DPoP proofs at the token endpoint
    /// (RFC 9449 §8; true/false): a proof cannot then be made ahead of
    /// time. Clients are told the nonce with `use_dpop_nonce`.
    #[arg(long, env = "DPOP_NONCE", value_name = "DPOP_NONCE", default_value = "false", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub dpop_nonce: bool,

    /// WebAuthn relying party id for passkeys: a domain that is the host
    /// of every passkey origin or a parent of it. BASE_URL's host when
    /// unset.
    #[arg(long, env = "WEBAUTHN_RP_ID", value_name = "WEBAUTHN_RP_ID")]
    pub webauthn_rp_id: Option<String>,

    /// Origins (scheme://host[:port]) whose pages may use passkeys,
    /// comma-separated. BASE_URL's origin when unset.
    #[arg(
        long,
        env = "WEBAUTHN_ORIGINS",
        value_name = "WEBAUTHN_ORIGINS",
        value_delimiter = ','
    )]
    pub webauthn_origins: Vec<String>,

    /// Allow an http:// BASE_URL in production mode (e.g. behind a proxy
    /// that terminates TLS and forwards plain http to a non-public URL).
    #[arg(long, env = "ALLOW_INSECURE_HTTP", value_name = "ALLOW_INSECURE_HTTP")]
    pub allow_insecure_http: bool,

    /// Longest time a request may take; then it is answered 503
    /// (temporarily_unavailable on the OAuth endpoints, a page for people).
    #[arg(long, env = "REQUEST_TIMEOUT", value_name = "REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Serve Prometheus metrics at /metrics (true/false).
    #[arg(long, env = "METRICS", value_name = "METRICS", default_value = "true", action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub metrics: bool,

    /// Bearer token a scraper must present to read /metrics (16+ characters).
    #[arg(
        long,
        env = "METRICS_TOKEN",
        value_name = "METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,

    /// Serve /metrics on this address (e.g. 127.0.0.1:9090) instead of
    /// SERVER_ADDR, so it need not be reachable through the public port.
    #[arg(long, env = "METRICS_ADDR", value_name = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Longest a connection may take to send a request's headers (from
    /// opening, or from its previous response) before it is closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", value_name = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// Most connections open at once; more wait until one closes.
    #[arg(
        long,
        env = "MAX_CONNECTIONS",
        value_name = "MAX_CONNECTIONS",
        default_value_t = 10_000
    )]
    pub max_connections: u32,

    /// How long shutdown waits for in-flight requests.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", value_name = "SHUTDOWN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

pub fn parse_alg(s: &str) -> Result<SigningAlg, String> {
    SigningAlg::parse(s).ok_or_else(|| "use ES256, EdDSA, RS256 or HS256".to_owned())
}

/// Parses `30m`, `5s`, `1h30m`, `250ms` or a bare number of seconds.
pub fn parse_duration(input: &str) -> Result<Duration, String> {
    let s = input.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e}; use a duration such as 30s, 5m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_human_forms() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
