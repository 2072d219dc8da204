//! The application state shared by every request, and how it is built.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::bootstrap::{self, Seeded};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::jwt::TokenSigner;
use crate::crypto::random::Random;
use crate::domain::{Core, Policy};
use crate::store::Store;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

/// Cheap to clone: everything inside is shared.
#[derive(Clone, Debug)]
pub struct AppState {
    pub core: Arc<Core>,
    pub http: Arc<HttpSettings>,
}

/// A ready-to-serve state plus what start-up created.
#[derive(Debug)]
pub struct Prepared {
    pub state: AppState,
    pub seeded: Seeded,
}

impl AppState {
    /// Connects to the database, migrates it, resolves secrets, seeds the
    /// first administrator and CLI client, and assembles the state.
    pub async fn prepare(
        config: &Config,
        clock: SharedClock,
        random: Random,
    ) -> anyhow::Result<Prepared> {
        let store = Store::connect(&config.database_url, &config.pool).await?;
        store.migrate().await?;
        let secrets = bootstrap::secrets(config, &store, clock.as_ref(), &random).await?;
        let seeded = bootstrap::seed(config, &store, clock.as_ref(), &random).await?;
        let signer = TokenSigner::hs256(
            secrets.jwt.expose_secret().as_bytes(),
            &config.base_url,
            &config.base_url,
        );
        let core = Core {
            store,
            clock,
            random,
            signer,
            policy: Policy {
                issuer: config.base_url.clone(),
                device_code_ttl: config.device_code_ttl,
                poll_interval: config.poll_interval,
                access_token_ttl: config.access_token_ttl,
            },
        };
        let state = AppState {
            core: Arc::new(core),
            http: Arc::new(HttpSettings {
                request_timeout: config.request_timeout,
                body_limit: 64 * 1024,
            }),
        };
        Ok(Prepared { state, seeded })
    }
}
