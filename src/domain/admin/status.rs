//! Where a device code or token stands, as the admin pages show and filter it.

use crate::domain::device_flow::{DeviceCode, DeviceState};

/// Where a device code stands as the admin sees it: its stored state, or
/// `Expired` when a pending or approved code outlived `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeStatus {
    Pending,
    /// Approved; the device has not collected its token yet.
    Approved,
    /// Approved and exchanged for a token.
    Redeemed,
    Denied,
    Expired,
}

impl DeviceCodeStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Redeemed,
        Self::Denied,
        Self::Expired,
    ];

    pub fn of(code: &DeviceCode, now: i64) -> Self {
        match code.state {
            DeviceState::Redeemed { .. } => Self::Redeemed,
            DeviceState::Denied { .. } => Self::Denied,
            _ if code.is_expired(now) => Self::Expired,
            DeviceState::Approved { .. } => Self::Approved,
            DeviceState::Pending => Self::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Redeemed => "redeemed",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where an access token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Revoked,
    Expired,
}

impl TokenStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Revoked, Self::Expired];

    pub fn of(revoked_at: Option<i64>, expires_at: i64, now: i64) -> Self {
        match revoked_at {
            Some(_) => Self::Revoked,
            None if now >= expires_at => Self::Expired,
            None => Self::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_derive_expiry_from_the_clock() {
        let mut code = DeviceCode::example();
        assert_eq!(DeviceCodeStatus::of(&code, 99), DeviceCodeStatus::Pending);
        assert_eq!(DeviceCodeStatus::of(&code, 100), DeviceCodeStatus::Expired);
        code.state = DeviceState::Denied {
            user_id: "u".into(),
            decided_at: 1,
        };
        assert_eq!(DeviceCodeStatus::of(&code, 100), DeviceCodeStatus::Denied);
        assert_eq!(TokenStatus::of(None, 10, 9), TokenStatus::Active);
        assert_eq!(TokenStatus::of(None, 10, 10), TokenStatus::Expired);
        assert_eq!(TokenStatus::of(Some(1), 10, 5), TokenStatus::Revoked);
        for s in DeviceCodeStatus::ALL {
            assert_eq!(DeviceCodeStatus::parse(s.as_str()), Some(s));
        }
    }
}
