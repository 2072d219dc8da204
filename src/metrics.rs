//! Prometheus metrics: what happened (device codes, tokens, sign-ins, rate
//! limits) and how the HTTP layer and the database pool are doing.
//!
//! Each app owns its own recorder ([`Metrics`], held in `Core`), built from
//! the `metrics` facade's types and `metrics-exporter-prometheus` but never
//! installed as the process-global recorder: tests start many apps in one
//! process, and each must count only its own events (STYLE.md: state, not
//! globals). Events are recorded through the typed methods below, so metric
//! names and label values live in this one file. `http/metrics.rs` serves
//! [`Metrics::render`] at `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Key, KeyName, Label, Level, Metadata, Recorder as _, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

const METADATA: Metadata<'static> = Metadata::new("authgate", Level::INFO, Some(module_path!()));

const HTTP_REQUESTS: &str = "authgate_http_requests_total";
const HTTP_DURATION: &str = "authgate_http_request_duration_seconds";
const DEVICE_CODES: &str = "authgate_device_codes_total";
const TOKENS_ISSUED: &str = "authgate_tokens_issued_total";
const TOKENS_REVOKED: &str = "authgate_tokens_revoked_total";
const SIGN_IN_FAILURES: &str = "authgate_sign_in_failures_total";
const RATE_LIMITED: &str = "authgate_rate_limited_total";
const AUTHORIZATIONS: &str = "authgate_authorization_requests_total";
const SECOND_FACTORS: &str = "authgate_second_factor_uses_total";
const POOL_SIZE: &str = "authgate_db_pool_connections";
const POOL_IDLE: &str = "authgate_db_pool_idle_connections";
const POOL_MAX: &str = "authgate_db_pool_max_connections";
const BUILD_INFO: &str = "authgate_build_info";

/// Latency buckets in seconds: a token poll takes about a millisecond, a
/// sign-in (argon2) a few hundred.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A device-code event (`event` label of `authgate_device_codes_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeEvent {
    Issued,
    Approved,
    Denied,
    /// A poll answered `expired_token` (a well-behaved device stops there,
    /// so this is about one per code that expired undecided).
    Expired,
}

impl DeviceCodeEvent {
    const ALL: [Self; 4] = [Self::Issued, Self::Approved, Self::Denied, Self::Expired];

    fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }
}

/// How tokens were issued (`grant_type` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    DeviceCode,
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl Grant {
    const ALL: [Self; 4] = [
        Self::DeviceCode,
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::DeviceCode => "device_code",
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// Who or what revoked tokens (`by` label). One revocation counts once,
/// however many tokens of the grant it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoker {
    /// The client, at `/oauth/revoke` (RFC 7009).
    Client,
    /// The user, at `/account`.
    User,
    /// An administrator, from the dashboard's tokens page (the
    /// `authgate` commands run in another process and count nowhere).
    Admin,
    /// AuthGate itself, after a device code, authorization code or refresh
    /// token was replayed.
    Replay,
}

impl Revoker {
    /// The series present from the start.
    const ALL: [Self; 4] = [Self::Client, Self::User, Self::Admin, Self::Replay];

    fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::User => "user",
            Self::Admin => "admin",
            Self::Replay => "replay",
        }
    }
}

/// How an authorization request (or its consent page's answer) ended
/// (`outcome` label of `authgate_authorization_requests_total`). Code
/// exchanges count in `authgate_tokens_issued_total{grant_type=
/// "authorization_code"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// The consent page was shown.
    ConsentShown,
    /// A code at once: the consent was remembered.
    Remembered,
    /// Approved on the consent page.
    Approved,
    /// Denied on the consent page.
    Denied,
    /// Sent to sign in (first, again for `prompt=login` or `max_age`).
    SignIn,
    /// Refused at the redirect URI (`error=`), `prompt=none` included.
    Refused,
    /// An error page: no safe redirect URI.
    Invalid,
}

impl AuthorizeOutcome {
    const ALL: [Self; 7] = [
        Self::ConsentShown,
        Self::Remembered,
        Self::Approved,
        Self::Denied,
        Self::SignIn,
        Self::Refused,
        Self::Invalid,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::ConsentShown => "consent_shown",
            Self::Remembered => "remembered",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::SignIn => "sign_in",
            Self::Refused => "refused",
            Self::Invalid => "invalid",
        }
    }
}

/// Which limit refused a request (`limit` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// RATE_LIMIT_DEVICE_CODE, per address.
    DeviceCode,
    /// User-code entry: per session, account, address, or the global cap.
    CodeEntry,
    /// A sign-in refused while its account or address is locked out.
    SignIn,
    /// A device request refused: its client is at MAX_PENDING_CODES_PER_CLIENT.
    ClientPendingCodes,
    /// RATE_LIMIT_REGISTRATION, per address.
    Registration,
}

impl Limit {
    const ALL: [Self; 5] = [
        Self::DeviceCode,
        Self::CodeEntry,
        Self::SignIn,
        Self::ClientPendingCodes,
        Self::Registration,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::DeviceCode => "device_code",
            Self::CodeEntry => "code_entry",
            Self::SignIn => "sign_in",
            Self::ClientPendingCodes => "client_pending_codes",
            Self::Registration => "registration",
        }
    }
}

/// A second factor (`factor` label of `authgate_second_factor_uses_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// An authenticator app's code.
    Totp,
    Passkey,
    RecoveryCode,
}

impl Factor {
    const ALL: [Self; 3] = [Self::Totp, Self::Passkey, Self::RecoveryCode];

    fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Passkey => "passkey",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// Connections of the database pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections, busy or idle.
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// One app's metrics registry; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every event counter present at zero, so a
    /// dashboard sees the series before the first event.
    pub fn new() -> Self {
        // Only fails on an empty bucket list (then latencies render as a summary).
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let metrics = Self {
            recorder: Arc::new(builder.build_recorder()),
        };
        metrics.describe();
        for event in DeviceCodeEvent::ALL {
            metrics
                .counter(DEVICE_CODES, &[("event", event.as_str())])
                .increment(0);
        }
        for grant in Grant::ALL {
            metrics
                .counter(TOKENS_ISSUED, &[("grant_type", grant.as_str())])
                .increment(0);
        }
        for by in Revoker::ALL {
            metrics
                .counter(TOKENS_REVOKED, &[("by", by.as_str())])
                .increment(0);
        }
        metrics.counter(SIGN_IN_FAILURES, &[]).increment(0);
        for outcome in AuthorizeOutcome::ALL {
            metrics
                .counter(AUTHORIZATIONS, &[("outcome", outcome.as_str())])
                .increment(0);
        }
        for limit in Limit::ALL {
            metrics
                .counter(RATE_LIMITED, &[("limit", limit.as_str())])
                .increment(0);
        }
        for factor in Factor::ALL {
            for accepted in [true, false] {
                metrics.second_factor(factor, accepted, 0);
            }
        }
        metrics
            .gauge(
                BUILD_INFO,
                &[
                    ("version", env!("CARGO_PKG_VERSION")),
                    ("commit", env!("AUTHGATE_GIT_COMMIT")),
                ],
            )
            .set(1.0);
        metrics
    }

    fn describe(&self) {
        let r = &self.recorder;
        let help = |name: &'static str, text: &'static str| {
            (KeyName::from_const_str(name), SharedString::const_str(text))
        };
        for (name, text) in [
            help(
                HTTP_REQUESTS,
                "HTTP requests by method, route template and status",
            ),
            help(
                DEVICE_CODES,
                "Device codes issued, approved, denied, expired",
            ),
            help(TOKENS_ISSUED, "Access tokens issued, by grant type"),
            help(
                TOKENS_REVOKED,
                "Token revocations (a grant revoked at once counts once), by who revoked",
            ),
            help(
                SIGN_IN_FAILURES,
                "Sign-ins refused for a wrong username or password",
            ),
            help(RATE_LIMITED, "Requests refused by a rate limit or lock-out"),
            help(
                AUTHORIZATIONS,
                "Authorization requests and consent answers, by outcome",
            ),
            help(
                SECOND_FACTORS,
                "Second factors given at sign-in or step-up, by factor and whether accepted",
            ),
        ] {
            r.describe_counter(name, None, text);
        }
        let (name, text) = help(
            HTTP_DURATION,
            "HTTP request latency by method, route template and status",
        );
        r.describe_histogram(name, Some(metrics::Unit::Seconds), text);
        for (name, text) in [
            help(POOL_SIZE, "Open database connections (busy and idle)"),
            help(POOL_IDLE, "Idle database connections"),
            help(
                POOL_MAX,
                "Largest allowed database pool (DATABASE_MAX_CONNECTIONS)",
            ),
            help(BUILD_INFO, "Version and commit of this build (value 1)"),
        ] {
            r.describe_gauge(name, None, text);
        }
    }

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        let labels: Vec<Label> = labels
            .iter()
            .map(|(k, v)| Label::new(*k, (*v).to_owned()))
            .collect();
        Key::from_parts(name, labels)
    }

    fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> metrics::Counter {
        self.recorder
            .register_counter(&Self::key(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str, labels: &[(&'static str, &str)]) -> metrics::Gauge {
        self.recorder
            .register_gauge(&Self::key(name, labels), &METADATA)
    }

    pub fn device_code(&self, event: DeviceCodeEvent) {
        self.counter(DEVICE_CODES, &[("event", event.as_str())])
            .increment(1);
    }

    pub fn token_issued(&self, grant: Grant) {
        self.counter(TOKENS_ISSUED, &[("grant_type", grant.as_str())])
            .increment(1);
    }

    pub fn tokens_revoked(&self, by: Revoker) {
        self.counter(TOKENS_REVOKED, &[("by", by.as_str())])
            .increment(1);
    }

    pub fn authorization(&self, outcome: AuthorizeOutcome) {
        self.counter(AUTHORIZATIONS, &[("outcome", outcome.as_str())])
            .increment(1);
    }

    /// `n` uses of `factor`, `accepted` or refused.
    fn second_factor(&self, factor: Factor, accepted: bool, n: u64) {
        let outcome = if accepted { "accepted" } else { "refused" };
        self.counter(
            SECOND_FACTORS,
            &[("factor", factor.as_str()), ("outcome", outcome)],
        )
        .increment(n);
    }

    /// A second factor given at sign-in or a step-up.
    pub fn factor_used(&self, factor: Factor, accepted: bool) {
        self.second_factor(factor, accepted, 1);
    }

    pub fn sign_in_failed(&self) {
        self.counter(SIGN_IN_FAILURES, &[]).increment(1);
    }

    pub fn rate_limited(&self, limit: Limit) {
        self.counter(RATE_LIMITED, &[("limit", limit.as_str())])
            .increment(1);
    }

    /// One answered HTTP request. `route` is the matched route template
    /// (`/admin/users/{id}`), never the raw path, so the number of series
    /// stays bounded.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let status = status.to_string();
        let labels = [("method", method), ("route", route), ("status", &status)];
        self.counter(HTTP_REQUESTS, &labels).increment(1);
        self.recorder
            .register_histogram(&Self::key(HTTP_DURATION, &labels), &METADATA)
            .record(took.as_secs_f64());
    }

    /// Records the pool's current use (read at scrape time).
    pub fn set_pool(&self, pool: PoolStats) {
        self.gauge(POOL_SIZE, &[]).set(f64::from(pool.size));
        self.gauge(POOL_IDLE, &[]).set(f64::from(pool.idle));
        self.gauge(POOL_MAX, &[]).set(f64::from(pool.max));
    }

    /// Folds recorded latencies into their histograms. Rendering does this
    /// too; a server that is never scraped calls it periodically so the
    /// samples do not pile up.
    pub fn upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// The Prometheus text exposition of everything recorded so far.
    pub fn render(&self) -> String {
        let handle = self.recorder.handle();
        handle.run_upkeep();
        handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_count_separately_and_series_start_at_zero() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.device_code(DeviceCodeEvent::Issued);
        a.http_request("GET", "/health", 200, Duration::from_millis(3));
        let text = a.render();
        assert!(
            text.contains(r#"authgate_device_codes_total{event="issued"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"authgate_device_codes_total{event="denied"} 0"#));
        assert!(text.contains(
            r#"authgate_http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="0.005"} 1"#
        ));
        assert!(text.contains("# HELP authgate_tokens_issued_total"));
        let other = b.render();
        assert!(other.contains(r#"authgate_device_codes_total{event="issued"} 0"#));
        assert!(!other.contains("route=\"/health\""));
    }
}
