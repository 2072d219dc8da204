//! Second factors: what, besides a password, a person has set up. Every
//! factor feeds [`has_second_factor`], the one answer sign-in asks after
//! a right password (see `user::sign_in`).

use super::{Core, Result};

/// The second factors a person can offer at the code step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondFactors {
    /// A confirmed TOTP factor (authenticator app).
    pub totp: bool,
    /// At least one passkey.
    pub passkey: bool,
}

impl SecondFactors {
    /// Whether any factor is set up.
    pub fn any(self) -> bool {
        self.totp || self.passkey
    }
}

/// What `user_id` has set up besides their password.
pub async fn second_factors(core: &Core, user_id: &str) -> Result<SecondFactors> {
    Ok(SecondFactors {
        totp: super::totp::is_on(core, user_id).await?,
        passkey: core.webauthn.is_some() && core.store.has_passkey(user_id).await?,
    })
}

/// Whether a right password leaves `user_id` a second step to take.
pub async fn has_second_factor(core: &Core, user_id: &str) -> Result<bool> {
    Ok(second_factors(core, user_id).await?.any())
}
