//! Cryptographic building blocks: password hashing, JWT signing, randomness
//! and hashing of bearer secrets. Nothing here knows about HTTP or SQL.

pub mod device_code;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod random;
pub mod seal;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// SHA-256 of a high-entropy bearer secret (device code, refresh token),
/// hex-encoded. Enough for values with 128+ bits of randomness: there is no
/// dictionary to attack, so a slow hash would only cost latency.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two secrets without leaking the position of the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
    }
}
