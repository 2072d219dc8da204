//! Hot answers kept in memory: client and user rows, checked access tokens.
//!
//! An entry is believed only while the store's generation for its topic is
//! the one read *before* the entry was loaded (so a change racing the load
//! makes the entry useless at once) and for at most
//! [`crate::store::MAX_AGE_MS`]. The store bumps generations on every write
//! that matters and, on PostgreSQL, hears other instances' writes; see
//! [`crate::store::Changes`].

use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;

use super::client::Client;
use super::token::TokenInfo;
use super::user::User;
use crate::store::MAX_AGE_MS;

/// The caches of one [`super::Core`].
#[derive(Debug)]
pub struct Caches {
    /// Clients by id, for client authentication on every OAuth request.
    pub clients: Cached<String, Arc<Client>>,
    /// Active access tokens by the SHA-256 of the token, for tokeninfo and
    /// introspection: a hit skips the signature check and the database.
    pub tokens: Cached<[u8; 32], Arc<TokenInfo>>,
    /// Users by id, for the signed-in user of every page request.
    pub users: Cached<String, Arc<User>>,
    /// The scopes of enabled clients (the metadata's `scopes_supported`),
    /// with the clients' generation and when they were read; served at
    /// once, read again in the background when stale (see
    /// `client::scopes_supported`).
    pub scopes: std::sync::RwLock<Option<HeldScopes>>,
    /// Whether `scopes` is being read again (one read at a time).
    pub scopes_loading: std::sync::atomic::AtomicBool,
}

/// `scopes_supported` as last read: the clients' generation, when (ms),
/// and the scopes.
pub type HeldScopes = (u64, i64, Arc<Vec<String>>);

impl Default for Caches {
    fn default() -> Self {
        Self {
            clients: Cached::new(10_000),
            tokens: Cached::new(100_000),
            users: Cached::new(10_000),
            scopes: std::sync::RwLock::default(),
            scopes_loading: std::sync::atomic::AtomicBool::new(false),
        }
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
pub struct Cached<K: Eq + Hash, V> {
    map: DashMap<K, Entry<V>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Cached<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            capacity,
        }
    }

    /// The value under `key` if it was loaded at `generation` and recently.
    pub fn get(&self, key: &K, generation: u64, now_ms: i64) -> Option<V> {
        let entry = self.map.get(key)?;
        let age = now_ms - entry.loaded_at_ms;
        (entry.generation == generation && (0..MAX_AGE_MS).contains(&age))
            .then(|| entry.value.clone())
    }

    /// Keeps `value`, loaded after `generation` was read. When full, starts
    /// over: simpler than eviction, and a refill costs one load per key.
    pub fn insert(&self, key: K, value: V, generation: u64, now_ms: i64) {
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

    /// Drops entries older than the age limit (periodic upkeep).
    pub fn prune(&self, now_ms: i64) {
        self.map.retain(|_, e| now_ms - e.loaded_at_ms < MAX_AGE_MS);
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
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
        assert!(cache.is_empty());
    }
}
