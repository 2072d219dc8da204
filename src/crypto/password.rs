//! Password hashing with argon2id, always off the async worker threads.
//!
//! Argon2 is deliberately slow (tens of milliseconds); running it inline
//! would stall every other request on that worker, so both hashing and
//! verification go through `spawn_blocking`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$...`) with a fresh salt.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// The synchronous form of [`hash`], for command-line tools and seeding.
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Verifies `password` against a stored PHC hash. With `None` (unknown user)
/// it verifies against a fixed dummy hash and returns `false`, so the answer
/// takes the same time whether or not the account exists.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
    .map_err(PasswordError::from)
}

/// An argon2id hash of a random string nobody knows, with default parameters,
/// used to spend equal time on unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2l8Xi4cLLDTYDgFczWqPNLSXe4WT5x6gTvW1dUoOIzI";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .expect("verify")
        );
        assert!(!verify("wrong".into(), Some(h)).await.expect("verify"));
    }

    #[test]
    fn dummy_hash_parses_so_unknown_users_cost_a_full_verify() {
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.expect("verify"));
    }
}
