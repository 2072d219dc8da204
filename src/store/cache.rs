//! Hot answers kept in memory: client and user rows, checked access tokens,
//! and the scopes the metadata advertises.
//!
//! An entry is believed only while the generation of its [`Topic`] is the
//! one read *before* the entry was loaded (so a change racing the load
//! makes the entry useless at once) and for at most [`MAX_AGE_MS`]. Every
//! store write that matters bumps the generation, and on PostgreSQL other
//! instances' writes arrive by `NOTIFY` (see `changes.rs`). Callers ask
//! for a client, a user or a token's check; whether memory or the database
//! answered is the store's business.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dashmap::DashMap;

use super::{MAX_AGE_MS, Result, Store, Topic};
use crate::model::client::Client;
use crate::model::token::TokenInfo;
use crate::model::user::User;

/// The caches of one process, shared by every clone of its [`Store`].
#[derive(Debug)]
pub(super) struct Caches {
    /// Clients by id, for client authentication on every OAuth request.
    clients: Cached<String, Arc<Client>>,
    /// Active access tokens by the SHA-256 of the token, for tokeninfo and
    /// introspection: a hit skips the signature check and the database.
    tokens: Cached<[u8; 32], Arc<TokenInfo>>,
    /// Users by id, for the signed-in user of every page request.
    users: Cached<String, Arc<User>>,
    /// The scopes of enabled clients (the metadata's `scopes_supported`),
    /// with the clients' generation and when (ms) they were read.
    scopes: std::sync::RwLock<Option<HeldScopes>>,
    /// Whether `scopes` is being read again (one read at a time).
    scopes_loading: AtomicBool,
}

/// `scopes_supported` as last read: the clients' generation, when (ms),
/// and the scopes.
type HeldScopes = (u64, i64, Arc<Vec<String>>);

impl Default for Caches {
    fn default() -> Self {
        Self {
            clients: Cached::new(10_000),
            tokens: Cached::new(100_000),
            users: Cached::new(10_000),
            scopes: std::sync::RwLock::default(),
            scopes_loading: AtomicBool::new(false),
        }
    }
}

impl Caches {
    /// Drops entries older than the age limit (periodic upkeep).
    pub(super) fn prune(&self, now_ms: i64) {
        self.tokens.prune(now_ms);
        self.clients.prune(now_ms);
        self.users.prune(now_ms);
    }
}

impl Store {
    fn caches(&self) -> &Caches {
        &self.changes.caches
    }

    /// The client with this id, from memory when it holds a current copy.
    pub async fn client(&self, id: &str, now_ms: i64) -> Result<Option<Client>> {
        let generation = self.changes.generation(Topic::Clients);
        if let Some(client) = self.caches().clients.get(id, generation, now_ms) {
            return Ok(Some((*client).clone()));
        }
        let found = self.find_client(id).await?;
        if let Some(client) = &found {
            let held = Arc::new(client.clone());
            self.caches()
                .clients
                .insert(id.to_owned(), held, generation, now_ms);
        }
        Ok(found)
    }

    /// The user with this id, from memory when it holds a current copy.
    pub async fn user(&self, id: &str, now_ms: i64) -> Result<Option<User>> {
        let generation = self.changes.generation(Topic::Users);
        if let Some(user) = self.caches().users.get(id, generation, now_ms) {
            return Ok(Some((*user).clone()));
        }
        let found = self.find_user_by_id(id).await?;
        if let Some(user) = &found {
            let held = Arc::new(user.clone());
            self.caches()
                .users
                .insert(id.to_owned(), held, generation, now_ms);
        }
        Ok(found)
    }

    /// What the access token with SHA-256 `key` says, if a check of it
    /// still holds; otherwise runs `check` (built only then: a hit costs a
    /// map lookup and nothing else) and remembers an active answer.
    /// A revocation, or a user or client disabled, after the check began
    /// makes the answer useless at once.
    pub async fn checked_token<E, F>(
        &self,
        key: [u8; 32],
        now_ms: i64,
        check: impl FnOnce() -> F,
    ) -> std::result::Result<TokenInfo, E>
    where
        F: Future<Output = std::result::Result<TokenInfo, E>>,
    {
        let generation = self.changes.generation(Topic::Tokens);
        if let Some(info) = self.caches().tokens.get(&key, generation, now_ms)
            && now_ms < info.expires_at.saturating_mul(1000)
        {
            return Ok((*info).clone());
        }
        let info = check().await?;
        self.caches()
            .tokens
            .insert(key, Arc::new(info.clone()), generation, now_ms);
        Ok(info)
    }

    /// Every scope some enabled client may ask for (RFC 8414
    /// `scopes_supported`), from memory. Once read, the answer is served at
    /// once; when it is older than a client change or [`MAX_AGE_MS`], it is
    /// read again in the background and the next request gets the new one.
    /// Discovery thus never waits for the database — during an outage the
    /// last answer stands — at the price of one stale answer after a change
    /// (clients cache the document for minutes anyway).
    pub async fn scopes_supported(&self, now_ms: i64) -> Result<Arc<Vec<String>>> {
        let generation = self.changes.generation(Topic::Clients);
        let held = self
            .caches()
            .scopes
            .read()
            .ok()
            .and_then(|held| held.clone());
        let Some((at_generation, loaded_at, scopes)) = held else {
            return self.load_scopes(now_ms).await;
        };
        let fresh = at_generation == generation && (0..MAX_AGE_MS).contains(&(now_ms - loaded_at));
        if !fresh && !self.caches().scopes_loading.swap(true, Ordering::AcqRel) {
            let store = self.clone();
            tokio::spawn(async move {
                if let Err(e) = store.load_scopes(now_ms).await {
                    tracing::debug!(error = %e, "scopes_supported kept: the database did not answer");
                }
                store
                    .caches()
                    .scopes_loading
                    .store(false, Ordering::Release);
            });
        }
        Ok(scopes)
    }

    /// Reads `scopes_supported` from the database and holds it.
    async fn load_scopes(&self, now_ms: i64) -> Result<Arc<Vec<String>>> {
        let generation = self.changes.generation(Topic::Clients);
        let scopes = Arc::new(self.all_client_scopes().await?);
        if let Ok(mut held) = self.caches().scopes.write() {
            *held = Some((generation, now_ms, scopes.clone()));
        }
        Ok(scopes)
    }

    /// How many checked tokens are held (for tests and diagnostics).
    pub fn cached_token_checks(&self) -> usize {
        self.caches().tokens.len()
    }

    /// Drops cached entries too old to be believed (periodic upkeep).
    pub fn prune_caches(&self, now_ms: i64) {
        self.caches().prune(now_ms);
    }
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    generation: u64,
    loaded_at_ms: i64,
}

/// A bounded map whose entries carry the generation they were loaded at.
#[derive(Debug)]
struct Cached<K: Eq + Hash, V> {
    map: DashMap<K, Entry<V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Cached<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            capacity,
        }
    }

    /// The value under `key` if it was loaded at `generation` and recently.
    fn get<Q>(&self, key: &Q, generation: u64, now_ms: i64) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entry = self.map.get(key)?;
        let age = now_ms - entry.loaded_at_ms;
        (entry.generation == generation && (0..MAX_AGE_MS).contains(&age))
            .then(|| entry.value.clone())
    }

    /// Keeps `value`, loaded after `generation` was read. When full, starts
    /// over: simpler than eviction, and a refill costs one load per key.
    fn insert(&self, key: K, value: V, generation: u64, now_ms: i64) {
        if self.map.len() >= self.capacity {
            self.map.clear();
        }
        self.map.insert(
            key,
            Entry {
                value,
                generation,
                loaded_at_ms: now_ms,
            },
        );
    }

    /// Drops entries older than the age limit.
    fn prune(&self, now_ms: i64) {
        self.map.retain(|_, e| now_ms - e.loaded_at_ms < MAX_AGE_MS);
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_hold_only_for_their_generation_and_age() {
        let cache: Cached<&str, u32> = Cached::new(10);
        cache.insert("a", 1, 7, 1_000);
        assert_eq!(cache.get(&"a", 7, 1_000), Some(1));
        assert_eq!(cache.get(&"a", 7, 1_000 + MAX_AGE_MS - 1), Some(1));
        assert_eq!(cache.get(&"a", 7, 1_000 + MAX_AGE_MS), None, "too old");
        assert_eq!(cache.get(&"a", 8, 1_000), None, "a change happened since");
        assert_eq!(cache.get(&"a", 7, 999), None, "the clock went back");
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache: Cached<u32, u32> = Cached::new(2);
        cache.insert(1, 1, 0, 0);
        cache.insert(2, 2, 0, 0);
        cache.insert(3, 3, 0, 0);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&3, 0, 0), Some(3));
        cache.prune(MAX_AGE_MS);
        assert_eq!(cache.len(), 0);
    }
}
