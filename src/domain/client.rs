//! OAuth clients and how they authenticate (RFC 6749 §2.3).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Core, Error, Result};
use crate::crypto::{constant_time_eq, hash_secret};
use crate::store::{MAX_AGE_MS, Topic};

pub use crate::model::client::Client;

/// How a request identified its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    /// The presented secret; an empty one counts as none.
    pub secret: Option<String>,
    /// Whether the credentials came in an HTTP Basic `Authorization` header.
    pub via_basic: bool,
}

/// A client by id, from the cache when it holds a current copy.
pub async fn find(core: &Core, id: &str) -> Result<Option<Client>> {
    let now_ms = core.clock.now_ms();
    let generation = core.store.changes().generation(Topic::Clients);
    if let Some(client) = core.caches.clients.get(&id.to_owned(), generation, now_ms) {
        return Ok(Some((*client).clone()));
    }
    let found = core.store.find_client(id).await?;
    if let Some(client) = &found {
        core.caches
            .clients
            .insert(id.to_owned(), Arc::new(client.clone()), generation, now_ms);
    }
    Ok(found)
}

/// Every scope some enabled client may ask for (RFC 8414
/// `scopes_supported`), from memory. Once read, the answer is served at
/// once; when it is older than a client change or [`MAX_AGE_MS`], it is
/// read again in the background and the next request gets the new one.
/// Discovery thus never waits for the database — during an outage the
/// last answer stands — at the price of one stale answer after a change
/// (clients cache the document for minutes anyway).
pub async fn scopes_supported(core: &Core) -> Result<Arc<Vec<String>>> {
    let now_ms = core.clock.now_ms();
    let generation = core.store.changes().generation(Topic::Clients);
    let held = core.caches.scopes.read().ok().and_then(|held| held.clone());
    let Some((at_generation, loaded_at, scopes)) = held else {
        return load_scopes(core).await;
    };
    let fresh = at_generation == generation && (0..MAX_AGE_MS).contains(&(now_ms - loaded_at));
    if !fresh && !core.caches.scopes_loading.swap(true, Ordering::AcqRel) {
        let core = core.clone();
        tokio::spawn(async move {
            if let Err(e) = load_scopes(&core).await {
                tracing::debug!(error = %e, "scopes_supported kept: the database did not answer");
            }
            core.caches.scopes_loading.store(false, Ordering::Release);
        });
    }
    Ok(scopes)
}

/// Reads `scopes_supported` from the database and holds it.
async fn load_scopes(core: &Core) -> Result<Arc<Vec<String>>> {
    let now_ms = core.clock.now_ms();
    let generation = core.store.changes().generation(Topic::Clients);
    let scopes = Arc::new(core.store.all_client_scopes().await?);
    if let Ok(mut held) = core.caches.scopes.write() {
        *held = Some((generation, now_ms, scopes.clone()));
    }
    Ok(scopes)
}

/// Looks the client up and checks its secret.
///
/// Unknown and disabled clients, a confidential client without or with a
/// wrong secret, and a public client presenting a secret all fail with
/// `invalid_client` (RFC 6749 §5.2).
pub async fn authenticate(core: &Core, creds: &ClientCredentials) -> Result<Client> {
    let invalid = |description: &str| Error::InvalidClient {
        description: description.to_owned(),
        basic_auth: creds.via_basic,
    };
    let client = find(core, &creds.client_id)
        .await?
        .ok_or_else(|| invalid("unknown client"))?;
    if client.disabled {
        return Err(invalid("this client is disabled"));
    }
    let presented = creds.secret.as_deref().filter(|s| !s.is_empty());
    match (&client.secret_hash, presented) {
        (None, None) => Ok(client),
        (None, Some(_)) => Err(invalid("public clients must not present a client secret")),
        (Some(_), None) => Err(invalid("client authentication is required for this client")),
        (Some(stored), Some(secret)) => {
            if constant_time_eq(stored.as_bytes(), hash_secret(secret).as_bytes()) {
                Ok(client)
            } else {
                Err(invalid("client authentication failed"))
            }
        }
    }
}
