//! A person's passkeys (WebAuthn credentials) as stored, and the rules
//! for their names and the ceremonies that use them.
//!
//! A passkey holds no secret on the server: the credential is a public
//! key, its signature counter and flags (webauthn-rs's [`Passkey`],
//! stored as JSON). What must not repeat is an assertion: each one
//! answers a fresh challenge, and the challenge is accepted once (see
//! `passkey_challenges` in migration 0012); an authenticator that keeps a
//! signature counter must also show it moving forward.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use webauthn_rs::prelude::Passkey;

use super::time::UnixSecs;

/// The longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// How long a ceremony (from its options to the authenticator's answer)
/// may take, in seconds. Browsers give the person about five minutes.
pub const CEREMONY_SECS: i64 = 5 * 60;

/// One stored passkey.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    pub id: String,
    pub user_id: String,
    /// Chosen by its owner ("Laptop", "Phone"); see [`clean_name`].
    pub name: String,
    /// The credential id in base64url, as [`credential_key`] spells it.
    pub credential_id: String,
    pub credential: Passkey,
    /// The signature counter last seen (0: the authenticator keeps none).
    pub sign_count: u32,
    pub created_at: UnixSecs,
    pub last_used_at: Option<UnixSecs>,
}

/// The text a credential id is stored and looked up as.
pub fn credential_key(raw_id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw_id)
}

/// A name as typed, trimmed, if it is 1 to [`MAX_NAME_CHARS`] characters
/// without control characters.
pub fn clean_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    ok.then(|| name.to_owned())
}

/// Which ceremony a challenge was issued for: the session keeps one of
/// each, so starting one never spoils another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// Adding a passkey on `/account`.
    Register,
    /// Signing in with a passkey alone (discoverable credential).
    SignIn,
    /// A passkey as the second step after a password.
    SecondStep,
    /// A signed-in person proving a passkey again before an approval.
    StepUp,
}

impl Ceremony {
    /// The session key its state is kept under.
    pub const fn session_key(self) -> &'static str {
        match self {
            Self::Register => "passkey_register",
            Self::SignIn => "passkey_sign_in",
            Self::SecondStep => "passkey_second_step",
            Self::StepUp => "passkey_step_up",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Laptop "), Some("Laptop".to_owned()));
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name("a\u{0}b"), None);
        assert_eq!(clean_name("tab\there"), None);
        assert!(clean_name(&"é".repeat(MAX_NAME_CHARS)).is_some());
        assert_eq!(clean_name(&"x".repeat(MAX_NAME_CHARS + 1)), None);
    }

    #[test]
    fn credential_ids_are_base64url_without_padding() {
        assert_eq!(credential_key(&[0xfb, 0xff]), "-_8");
    }
}
