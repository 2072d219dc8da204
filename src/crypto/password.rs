//! Password hashing with argon2id, always off the async worker threads.
//!
//! Argon2 is deliberately slow (tens of milliseconds) and big (7 MiB per
//! hash); running it inline would stall every other request on that
//! worker, so both hashing and verification run on dedicated threads, at
//! most [`max_concurrent`] at once: a burst of sign-ins waits its turn
//! instead of taking every core (and its memory) from token polling.

use std::sync::{Arc, Mutex, OnceLock, mpsc};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no password hashing thread is running")]
    Unavailable,
}

/// Argon2id with 7 MiB of memory and 5 passes: one of the configurations
/// OWASP's password storage cheat sheet lists as equivalent to 19 MiB and 2
/// passes. Less memory per hash keeps a server's resident memory low
/// (the allocator keeps the last hash's block), for the same work.
pub const MEMORY_KIB: u32 = 7 * 1024;
pub const PASSES: u32 = 5;

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(MEMORY_KIB, PASSES, 1, None).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// How many Argon2 computations may run at once: half the cores, at
/// least one.
pub fn max_concurrent() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(1)
        .max(1)
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue: [`max_concurrent`] threads started at first
/// use. Dedicated threads rather than tokio's blocking pool: each thread
/// reuses its allocator arena, so the process keeps at most one Argon2
/// block per thread instead of one per blocking thread that ever hashed.
fn hashers() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..max_concurrent() {
            let receiver = receiver.clone();
            let started = std::thread::Builder::new()
                .name(format!("authgate-argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Mutex::new(sender)
    })
}

/// Runs `work` on a hashing thread once one is free.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    let sent = hashers()
        .lock()
        .map_err(|_| PasswordError::Unavailable)?
        .send(job);
    sent.map_err(|_| PasswordError::Unavailable)?;
    answer.await.map_err(|_| PasswordError::Unavailable)
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$...`) with a fresh salt.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    bounded(move || hash_blocking(&password)).await?
}

/// The synchronous form of [`hash`], for command-line tools and seeding.
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Recovery codes are hashed with Argon2id at 1 MiB and 2 passes, far
/// below [`MEMORY_KIB`] × [`PASSES`]. The password parameters are there
/// because people choose guessable passwords; a recovery code is ~49.5
/// random bits, so even at these parameters an offline search of one code
/// costs on the order of 2^48 hashes. Sign-in checks a typed code against
/// every unused code of the person (up to ten), so a tenth of the password
/// cost per hash keeps that within one password check.
pub const CODE_MEMORY_KIB: u32 = 1024;
pub const CODE_PASSES: u32 = 2;

fn code_argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(CODE_MEMORY_KIB, CODE_PASSES, 1, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes each of `codes` (normalised recovery codes) into a PHC string
/// with its own salt, on a hashing thread.
pub async fn hash_codes(codes: Vec<String>) -> Result<Vec<String>, PasswordError> {
    bounded(move || {
        let argon2 = code_argon2()?;
        codes
            .iter()
            .map(|code| {
                argon2
                    .hash_password(code.as_bytes())
                    .map(|h| h.to_string())
                    .map_err(|e| PasswordError::Hash(e.to_string()))
            })
            .collect()
    })
    .await?
}

/// The index of the first of `hashes` that `code` matches, if any, checked
/// on a hashing thread (one job for the whole set).
pub async fn find_code(code: String, hashes: Vec<String>) -> Result<Option<usize>, PasswordError> {
    bounded(move || {
        hashes.iter().position(|hash| {
            Argon2::default()
                .verify_password(code.as_bytes(), hash.as_str())
                .is_ok()
        })
    })
    .await
}

/// Verifies `password` against a stored PHC hash. With `None` (unknown user)
/// it verifies against a fixed dummy hash and returns `false`, so the answer
/// takes the same time whether or not the account exists.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, PasswordError> {
    bounded(move || {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        // The parameters come from the stored hash: older hashes made
        // with other parameters still verify.
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        ok && known
    })
    .await
}

/// An argon2id hash of a random string nobody knows, with [`argon2`]'s parameters,
/// used to spend equal time on unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=7168,t=5,p=1$PjLh43IIyg0gRSmlh28maA$PyKuvS+f9ZF0jNCEv8cE2bFXPvW2udGnpN07WSaLTwo";

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
        // The same cost as a real hash, or unknown accounts answer faster.
        let real = hash_blocking("x").unwrap();
        let params = |h: &str| h.split('$').nth(3).map(str::to_owned);
        assert_eq!(params(DUMMY_HASH), params(&real));
    }

    #[tokio::test]
    async fn codes_hash_cheaply_and_are_found_among_others() {
        let hashes = hash_codes(vec!["aaaaabbbbb".into(), "cccccddddd".into()])
            .await
            .expect("hash");
        assert!(hashes[0].starts_with("$argon2id$v=19$m=1024,t=2,p=1$"));
        assert_ne!(hashes[0], hashes[1]);
        assert_eq!(
            find_code("cccccddddd".into(), hashes.clone())
                .await
                .expect("find"),
            Some(1)
        );
        assert_eq!(
            find_code("eeeeefffff".into(), hashes).await.expect("find"),
            None
        );
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.expect("verify"));
    }
}
