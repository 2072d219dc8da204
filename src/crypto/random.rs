//! Randomness, injected like time.
//!
//! Production draws from the operating system's CSPRNG (through rand's
//! reseeding thread-local generator); tests can use a seeded ChaCha generator
//! so generated codes are reproducible.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::model::UserCode;

/// A cheap-to-clone source of random bytes.
#[derive(Clone)]
pub struct Random {
    source: Source,
}

#[derive(Clone)]
enum Source {
    Os,
    Seeded(Arc<Mutex<StdRng>>),
}

impl std::fmt::Debug for Random {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.source {
            Source::Os => f.write_str("Random(os)"),
            Source::Seeded(_) => f.write_str("Random(seeded)"),
        }
    }
}

impl Default for Random {
    fn default() -> Self {
        Self::os()
    }
}

impl Random {
    /// Cryptographically secure randomness from the operating system.
    pub fn os() -> Self {
        Self { source: Source::Os }
    }

    /// Deterministic randomness for tests. Never use in production.
    pub fn seeded(seed: u64) -> Self {
        Self {
            source: Source::Seeded(Arc::new(Mutex::new(StdRng::seed_from_u64(seed)))),
        }
    }

    pub fn fill(&self, buf: &mut [u8]) {
        match &self.source {
            Source::Os => rand::rng().fill_bytes(buf),
            Source::Seeded(rng) => {
                // A poisoned lock only means another test thread panicked;
                // the generator state itself is still usable.
                let mut guard = rng.lock().unwrap_or_else(|e| e.into_inner());
                guard.fill_bytes(buf);
            }
        }
    }

    /// `bytes` random bytes as unpadded URL-safe base64.
    pub fn token(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.fill(&mut buf);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// A random (version 4) UUID as text.
    pub fn uuid(&self) -> String {
        let mut buf = [0u8; 16];
        self.fill(&mut buf);
        uuid::Builder::from_random_bytes(buf)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// A time-ordered (version 7) UUID as text, for rows inserted at a high
    /// rate: consecutive ids land next to each other in the primary-key
    /// index instead of on a random page each, which keeps inserts cheap.
    /// 74 random bits remain, and nothing relies on ids being unguessable.
    pub fn ordered_id(&self, now_ms: i64) -> String {
        let mut buf = [0u8; 10];
        self.fill(&mut buf);
        let ms = u64::try_from(now_ms).unwrap_or(0);
        uuid::Builder::from_unix_timestamp_millis(ms, &buf)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// A fresh user code (see [`UserCode::draw`]).
    pub fn user_code(&self) -> UserCode {
        UserCode::draw(|buf| self.fill(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::user_code::{USER_CODE_ALPHABET, USER_CODE_LEN};

    #[test]
    fn user_codes_use_only_the_alphabet() {
        let random = Random::os();
        for _ in 0..200 {
            let code = random.user_code();
            assert_eq!(code.as_str().len(), USER_CODE_LEN);
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| USER_CODE_ALPHABET.contains(&b))
            );
        }
    }

    #[test]
    fn seeded_random_is_reproducible() {
        assert_eq!(Random::seeded(7).token(16), Random::seeded(7).token(16));
        assert_ne!(Random::seeded(7).token(16), Random::seeded(8).token(16));
    }

    #[test]
    fn tokens_have_the_requested_entropy() {
        // 32 bytes -> 43 base64url characters without padding.
        assert_eq!(Random::os().token(32).len(), 43);
        assert_eq!(Random::os().uuid().len(), 36);
    }
}
