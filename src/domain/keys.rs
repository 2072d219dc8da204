//! Which keys sign and verify access tokens, kept in the database so every
//! instance agrees, and their rotation.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{Error, Result, secs};
use crate::clock::Clock;
use crate::crypto::keys::{self, KeyRing, SigningAlg, StoredKey};
use crate::store::{self, Store};

/// Retired keys stay published this much longer than the longest token
/// they may have signed, to cover instances that reload late.
const PUBLISH_MARGIN_SECS: i64 = 10 * 60;

/// What the key ring is built from.
#[derive(Clone, Debug)]
pub struct KeyPolicy {
    pub alg: SigningAlg,
    /// JWT_SECRET: the HS256 key, and the verifier of legacy tokens.
    pub hmac_secret: SecretString,
    /// JWT_ACCEPT_HS256: HS256 tokens verify beside an asymmetric `alg`.
    pub accept_hs256: bool,
    pub issuer: String,
    pub access_token_ttl: Duration,
    /// A key loaded from JWT_PRIVATE_KEY_FILE: it signs, instead of a
    /// generated one (which stays published while its tokens live).
    pub file_key: Option<StoredKey>,
}

impl KeyPolicy {
    fn publish_window(&self) -> i64 {
        secs(self.access_token_ttl) + PUBLISH_MARGIN_SECS
    }
}

async fn generate(alg: SigningAlg, now: i64) -> Result<StoredKey> {
    // RSA generation takes long enough to keep it off the async workers.
    tokio::task::spawn_blocking(move || keys::generate(alg, now))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Loads the ring from the database. With an asymmetric algorithm and no
/// active key of it, generates one first (every instance converges on the
/// newest active key, so a race at first start is harmless).
pub async fn load_ring(store: &Store, policy: &KeyPolicy, clock: &dyn Clock) -> Result<KeyRing> {
    let now = clock.now_secs();
    let mut stored = store.list_signing_keys().await?;
    let active_of_alg = |keys: &[StoredKey]| {
        keys.iter()
            .find(|k| k.alg == policy.alg && k.retired_at.is_none())
            .cloned()
    };
    if let Some(file_key) = &policy.file_key {
        let window = policy.publish_window();
        let mut published: Vec<StoredKey> = stored
            .into_iter()
            .filter(|k| k.kid != file_key.kid && k.retired_at.is_none_or(|r| r + window > now))
            .collect();
        published.push(file_key.clone());
        return KeyRing::new(
            Some(file_key),
            &published,
            policy.hmac_secret.expose_secret().as_bytes(),
            policy.accept_hs256,
            &policy.issuer,
            &policy.issuer,
        )
        .map_err(|e| Error::Internal(e.to_string()));
    }
    if policy.alg.is_asymmetric() && active_of_alg(&stored).is_none() {
        let key = generate(policy.alg, now).await?;
        tracing::info!(kid = %key.kid, alg = %policy.alg, "generated a token signing key");
        match store.insert_signing_key(&key).await {
            Ok(()) | Err(store::Error::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        stored = store.list_signing_keys().await?;
    }
    let signing = if policy.alg.is_asymmetric() {
        active_of_alg(&stored)
    } else {
        None
    };
    let window = policy.publish_window();
    let published: Vec<StoredKey> = stored
        .into_iter()
        .filter(|k| k.retired_at.is_none_or(|r| r + window > now))
        .collect();
    KeyRing::new(
        signing.as_ref(),
        &published,
        policy.hmac_secret.expose_secret().as_bytes(),
        policy.accept_hs256,
        &policy.issuer,
        &policy.issuer,
    )
    .map_err(|e| Error::Internal(e.to_string()))
}

/// Puts a new key of the configured algorithm in force and retires the
/// others; they stay published until the tokens they signed expire.
pub async fn rotate(store: &Store, policy: &KeyPolicy, clock: &dyn Clock) -> Result<StoredKey> {
    if !policy.alg.is_asymmetric() {
        return Err(Error::InvalidRequest(
            "HS256 uses JWT_SECRET: rotate it by changing JWT_SECRET".into(),
        ));
    }
    let now = clock.now_secs();
    let key = generate(policy.alg, now).await?;
    store.insert_signing_key(&key).await?;
    let retired = store.retire_signing_keys_except(&key.kid, now).await?;
    tracing::info!(kid = %key.kid, retired, "rotated the token signing key");
    Ok(key)
}

/// Deletes keys whose publication window has passed.
pub async fn prune(store: &Store, policy: &KeyPolicy, now: i64) -> Result<u64> {
    Ok(store
        .delete_retired_signing_keys(now - policy.publish_window())
        .await?)
}
