//! A person's TOTP factor (RFC 6238): the shared key, whether it is turned
//! on, and the last time step it accepted.
//!
//! The key cannot be hashed like a password: checking a code means
//! computing it from the key. It is kept as a [`Secret`] (a redacting
//! `Debug`, wiped on drop), never logged, and shown only while enrolment is
//! unconfirmed; after that no page or API returns it. At rest it lies in
//! the database in base32, protected as the database is (the same
//! access that reads it could also replace password hashes): backups
//! holding `totp_factors` must be kept as carefully as the signing keys.
//!
//! RFC 6238 §5.2: a code is accepted once. `last_step` is the latest step
//! accepted; the store accepts a step only with a guarded
//! `UPDATE ... WHERE last_step < $step`, so a code typed twice (or raced
//! on two instances) is accepted at most once.

use super::Secret;
use super::time::UnixSecs;

/// Seconds per time step (RFC 6238 §5.2 recommends 30).
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Steps either side of now that still match (RFC 6238 §5.2: one, for
/// clocks a little apart and the time it takes to type).
pub const SKEW: u16 = 1;

/// One person's TOTP factor as stored.
#[derive(Debug, Clone)]
pub struct TotpFactor {
    pub user_id: String,
    /// The key in base32 (RFC 4648, no padding), as authenticator apps take it.
    pub secret: Secret,
    pub created_at: UnixSecs,
    /// When a correct code first turned it on; `None` while enrolling.
    pub confirmed_at: Option<UnixSecs>,
    pub last_used_at: Option<UnixSecs>,
    /// The last time step accepted (0: none yet).
    pub last_step: i64,
}

impl TotpFactor {
    /// Whether sign-in asks for a code.
    pub fn is_on(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

/// Which factor a step is accepted for: the store's guard requires it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUse {
    /// The first code, which turns an unconfirmed factor on.
    Confirm,
    /// A code at sign-in or to remove a factor: the factor must be on.
    Verify,
}
