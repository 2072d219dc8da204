//! Sealed references: a short text handed to a browser that the server can
//! later trust without storing it, because only the server can make one.
//!
//! `seal(binding, payload)` is the payload in base64url, a dot, and an
//! HMAC-SHA-256 over the binding and the payload. The binding (for
//! example a session's CSRF token and its user) is not sent: the same
//! sealed text opened under another binding fails, so a reference handed
//! to one session is useless to every other.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use sha2::{Digest, Sha256};

/// Seals and opens references under one key.
pub struct Sealer {
    key: hmac::Key,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer for `purpose` under `secret`: each purpose gets a key of
    /// its own, so a reference sealed for one use never opens for another.
    pub fn new(secret: &[u8], purpose: &str) -> Self {
        let mut derive = Sha256::new();
        derive.update(b"authgate seal\0");
        derive.update(purpose.as_bytes());
        derive.update(b"\0");
        derive.update(secret);
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &derive.finalize()),
        }
    }

    fn message(binding: &str, payload: &str) -> Vec<u8> {
        let mut m = Vec::with_capacity(binding.len() + payload.len() + 1);
        m.extend_from_slice(binding.as_bytes());
        m.push(0);
        m.extend_from_slice(payload.as_bytes());
        m
    }

    pub fn seal(&self, binding: &str, payload: &str) -> String {
        let tag = hmac::sign(&self.key, &Self::message(binding, payload));
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// The payload of `sealed` if this sealer made it under `binding`.
    /// The tag is checked in constant time.
    pub fn open(&self, binding: &str, sealed: &str) -> Option<String> {
        let (payload, tag) = sealed.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        hmac::verify(&self.key, &Self::message(binding, &payload), &tag).ok()?;
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_what_it_sealed_under_the_same_binding() {
        let sealer = Sealer::new(b"secret", "test");
        let sealed = sealer.seal("session-a", "payload 1");
        assert_eq!(
            sealer.open("session-a", &sealed).as_deref(),
            Some("payload 1")
        );
        assert_eq!(sealer.open("session-b", &sealed), None, "other binding");
        assert_eq!(
            Sealer::new(b"secret", "other").open("session-a", &sealed),
            None
        );
        assert_eq!(
            Sealer::new(b"other", "test").open("session-a", &sealed),
            None
        );
        let (_, tag) = sealed.split_once('.').unwrap();
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("payload 2"));
        assert_eq!(sealer.open("session-a", &forged), None, "payload changed");
        for junk in ["", ".", "a.b", "no-dot", "!!.??"] {
            assert_eq!(sealer.open("session-a", junk), None);
        }
    }
}
