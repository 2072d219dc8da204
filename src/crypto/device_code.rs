//! Device codes (RFC 8628 §3.2) and the key each is stored and found under.
//!
//! The store keeps a code's SHA-256, never the code. Hashes are uniformly
//! random, so a unique index over bare hashes takes every new code at a
//! random leaf: once the table holds a million live codes nearly every
//! insert dirties a page of its own, which the WAL and then the checkpoint
//! each write out, and the checkpoint's sync grows until it stalls the
//! writer (device requests' p99 climbed from 13 to 60 ms as the table grew
//! to a million rows). A code therefore begins with its issue time, twelve
//! hex digits of Unix milliseconds, and is stored under that prefix followed
//! by its hash: new keys land together at the index's right edge, as ordered
//! ids do, and requests kept their p99 under 10 ms on the same fill.
//!
//! The prefix is no secret (the device knows when it asked); the 256 random
//! bits after it are, so a guess is as hopeless as before. A code issued
//! before this form (43 characters, no prefix) is found under its bare hash.

use super::hash_secret;
use super::random::Random;
use crate::model::Secret;

/// Hex digits of the issue-time prefix: Unix milliseconds fit in 12 until
/// the year 10889.
const PREFIX: usize = 12;
/// Random bytes after the prefix.
const SECRET_BYTES: usize = 32;
/// Length of a code in this form: the prefix and 32 bytes in unpadded
/// base64url.
const LEN: usize = PREFIX + 43;

/// A fresh device code issued at `now_ms`.
pub fn issue(random: &Random, now_ms: i64) -> Secret {
    let ms = u64::try_from(now_ms).unwrap_or(0) & 0xffff_ffff_ffff;
    Secret::new(format!("{ms:012x}{}", random.token(SECRET_BYTES)))
}

/// The key `code` is stored under: its prefix and hash when it has the
/// issued form, else its bare hash (codes from before the prefix, and any
/// string a client makes up, which then matches nothing).
pub fn key(code: &str) -> String {
    let hash = hash_secret(code);
    match code.get(..PREFIX) {
        Some(prefix) if code.len() == LEN && prefix.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{prefix}{hash}")
        }
        _ => hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_later_codes_sort_later() {
        let random = Random::seeded(7);
        let keys: Vec<String> = [1_000, 2_000, 1_764_000_000_000, 1_764_000_000_001]
            .iter()
            .map(|&ms| key(issue(&random, ms).expose()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn a_code_is_stored_under_its_prefix_and_hash() {
        let code = issue(&Random::seeded(1), 1_764_000_000_000);
        let code = code.expose();
        assert_eq!(code.len(), LEN);
        assert!(code.starts_with("019ab"), "{code}");
        assert_eq!(
            key(code),
            format!("{}{}", &code[..PREFIX], hash_secret(code))
        );
    }

    #[test]
    fn other_strings_are_found_under_their_bare_hash() {
        let legacy = Random::seeded(2).token(SECRET_BYTES);
        assert_eq!(key(&legacy), hash_secret(&legacy));
        // The right length, but no hex prefix; and a hex prefix, but short.
        let odd = format!("zzzzzzzzzzzz{}", &legacy);
        assert_eq!(key(&odd), hash_secret(&odd));
        assert_eq!(key("0123456789ab"), hash_secret("0123456789ab"));
        // Multi-byte text never panics on the prefix boundary.
        assert_eq!(key("ééééééééééééé"), hash_secret("ééééééééééééé"));
    }
}
