//! The application state shared by every request, and how it is built.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha512};
use tower_sessions::cookie::Key;

use crate::bootstrap::{self, Seeded};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::jwt::TokenSigner;
use crate::crypto::random::Random;
use crate::domain::keys::{self, KeyPolicy};
use crate::domain::{Core, Policy};
use crate::http::assets;
use crate::http::limits::Limits;
use crate::store::{Sessions, Store};

/// Settings of the HTTP layer itself.
#[derive(Clone)]
pub struct HttpSettings {
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// `Secure` on cookies: the public URL is https.
    pub secure_cookies: bool,
    pub session_lifetime: Duration,
    /// Signs the session cookie; derived from SESSION_SECRET.
    pub session_key: Key,
    /// `--dev`: assets come from `assets_dir` on disk, with live reload.
    pub dev: bool,
    pub assets_dir: PathBuf,
    /// Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Bearer token accepted by /oauth/introspect (INTROSPECTION_TOKEN).
    pub introspection_token: Option<secrecy::SecretString>,
    /// Whether the main router serves /metrics (METRICS on, no METRICS_ADDR).
    pub metrics_on_main: bool,
    /// Bearer token required at /metrics (METRICS_TOKEN).
    pub metrics_token: Option<secrecy::SecretString>,
    /// Versioned URLs of the embedded assets.
    pub assets: components::Assets,
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("request_timeout", &self.request_timeout)
            .field("body_limit", &self.body_limit)
            .field("secure_cookies", &self.secure_cookies)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

/// Cheap to clone: everything inside is shared.
#[derive(Clone, Debug)]
pub struct AppState {
    pub core: Arc<Core>,
    pub http: Arc<HttpSettings>,
    pub sessions: Sessions,
    pub limits: Arc<Limits>,
}

/// A ready-to-serve state plus what start-up created.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub state: AppState,
    pub seeded: Seeded,
}

impl AppState {
    /// Connects to the database, migrates it, resolves secrets, seeds the
    /// first administrator and CLI client, and assembles the state. Only
    /// [`crate::start`] calls it: a state is always served with its tasks.
    pub(crate) async fn prepare(
        config: &Config,
        clock: SharedClock,
        random: Random,
    ) -> anyhow::Result<Prepared> {
        let store = Store::connect(&config.database_url, &config.pool).await?;
        let sessions = store.sessions();
        bootstrap::schema(config, &store, &sessions).await?;
        bootstrap::writable(&store).await?;
        // The per-client ceiling counts from the database's pending codes.
        store.recount_pending_codes().await?;
        let secrets = bootstrap::secrets(config, &store, clock.as_ref(), &random).await?;
        let seeded = bootstrap::seed(config, &store, clock.as_ref(), &random).await?;
        let key_policy = KeyPolicy {
            alg: config.signing_alg,
            hmac_secret: secrets.jwt.clone(),
            accept_hs256: config.accept_hs256,
            issuer: config.base_url.clone(),
            access_token_ttl: config.access_token_ttl,
            file_key: config.signing_key_file.clone(),
        };
        let ring = keys::load_ring(&store, &key_policy, clock.as_ref()).await?;
        let signer = Arc::new(TokenSigner::new(ring));
        // The cookie library wants exactly 64 bytes of key material.
        let session_key = Key::from(&Sha512::digest(secrets.session.expose_secret().as_bytes()));
        let core = Core {
            store,
            clock,
            random,
            signer,
            keys: key_policy,
            policy: Policy {
                issuer: config.base_url.clone(),
                device_code_ttl: config.device_code_ttl,
                authorization_code_ttl: config.authorization_code_ttl,
                poll_interval: config.poll_interval,
                access_token_ttl: config.access_token_ttl,
                refresh_token_ttl: config.refresh_token_ttl,
                audit_retention: config.audit_retention,
                max_pending_codes_per_client: (config.max_pending_codes_per_client > 0)
                    .then_some(config.max_pending_codes_per_client),
                step_up_max_age: config.step_up_max_age,
                registration: registration_policy(config),
            },
            metrics: crate::metrics::Metrics::new(),
            guesses: Arc::default(),
            cap_notices: Arc::default(),
            consent: Arc::new(crate::crypto::seal::Sealer::new(
                secrets.session.expose_secret().as_bytes(),
                "consent ticket",
            )),
            webauthn: match &config.passkeys {
                Some(settings) => Some(Arc::new(
                    settings
                        .build()
                        .map_err(|e| anyhow::anyhow!("passkeys: {e}"))?,
                )),
                None => {
                    tracing::info!(
                        "passkeys are off: BASE_URL cannot be a WebAuthn relying party (set WEBAUTHN_RP_ID)"
                    );
                    None
                }
            },
            upstream: Arc::new(
                crate::domain::upstream::Relying::new().map_err(|e| anyhow::anyhow!(e))?,
            ),
            client_keys: Arc::new(
                crate::domain::client_assertion::KeyCache::new().map_err(|e| anyhow::anyhow!(e))?,
            ),
            dpop_nonces: config.dpop_nonce.then(|| {
                Arc::new(crate::domain::dpop::Nonces::new(
                    secrets.session.expose_secret().as_bytes(),
                ))
            }),
        };
        let state = AppState {
            core: Arc::new(core),
            http: Arc::new(HttpSettings {
                request_timeout: config.request_timeout,
                body_limit: 64 * 1024,
                secure_cookies: config.secure_cookies(),
                session_lifetime: config.session_lifetime,
                session_key,
                dev: config.dev,
                assets_dir: assets_dir(),
                introspection_token: config.introspection_token.clone(),
                metrics_on_main: config.metrics && config.metrics_addr.is_none(),
                metrics_token: config.metrics_token.clone(),
                trusted_proxies: config.trusted_proxies.clone(),
                assets: assets::versioned_urls(),
            }),
            sessions,
            limits: Arc::new(
                Limits::new(config.rate_limit_device_code)
                    .with_registration(registration_per_hour(config)),
            ),
        };
        // Read once now, so discovery has an answer even if the database
        // is out before the first request asks.
        crate::domain::client::scopes_supported(&state.core).await?;
        Ok(Prepared { state, seeded })
    }
}

/// The domain's view of REGISTRATION: `None` when off; the initial access
/// token kept only as its SHA-256.
fn registration_policy(config: &Config) -> Option<crate::domain::registration::RegistrationPolicy> {
    use crate::cli::RegistrationMode;
    let settings = &config.registration;
    let initial_token_hash = match settings.mode {
        RegistrationMode::Off => return None,
        RegistrationMode::Open => None,
        RegistrationMode::Token => Some(crate::crypto::hash_secret(
            settings
                .token
                .as_ref()
                .map(|t| t.expose_secret())
                .unwrap_or_default(),
        )),
    };
    Some(crate::domain::registration::RegistrationPolicy {
        initial_token_hash,
        max_pending: settings.max_pending,
    })
}

/// RATE_LIMIT_REGISTRATION while registration is on; 0 (no limiter) otherwise.
fn registration_per_hour(config: &Config) -> u32 {
    if config.registration.mode == crate::cli::RegistrationMode::Off {
        0
    } else {
        config.registration.per_hour
    }
}

/// `assets/` in the working directory when there is one (a checkout),
/// else the source tree this binary was built from.
fn assets_dir() -> PathBuf {
    let here = PathBuf::from("assets");
    if here.join("src/app.css").is_file() {
        here
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")
    }
}
