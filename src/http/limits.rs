//! In-memory rate limits (governor's GCRA), per instance: requests per
//! address on the device authorization endpoint, and code entries per
//! session, account and address. The limits that must hold across
//! instances (sign-in lock-outs, the global cap on code guesses) live in
//! the database; see domain/throttle.rs.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub type KeyedLimiter<K> = DefaultKeyedRateLimiter<K>;

/// Code entries a session may make per minute.
pub const CODE_ENTRIES_PER_SESSION_PER_MINUTE: u32 = 5;
/// Code entries an account may make per hour (burst 10).
pub const CODE_ENTRIES_PER_ACCOUNT_PER_HOUR: u32 = 20;
/// Code entries an address may make per hour (burst 20).
pub const CODE_ENTRIES_PER_ADDRESS_PER_HOUR: u32 = 60;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

#[derive(Debug)]
pub struct Limits {
    /// `None` when RATE_LIMIT_DEVICE_CODE is 0 (off).
    pub device_code: Option<KeyedLimiter<IpAddr>>,
    pub code_entry_session: KeyedLimiter<String>,
    pub code_entry_account: KeyedLimiter<String>,
    pub code_entry_address: KeyedLimiter<IpAddr>,
}

impl Limits {
    pub fn new(device_code_per_minute: u32) -> Self {
        Self {
            device_code: (device_code_per_minute > 0)
                .then(|| RateLimiter::keyed(Quota::per_minute(nz(device_code_per_minute)))),
            code_entry_session: RateLimiter::keyed(Quota::per_minute(nz(
                CODE_ENTRIES_PER_SESSION_PER_MINUTE,
            ))),
            code_entry_account: RateLimiter::keyed(
                Quota::per_hour(nz(CODE_ENTRIES_PER_ACCOUNT_PER_HOUR)).allow_burst(nz(10)),
            ),
            code_entry_address: RateLimiter::keyed(
                Quota::per_hour(nz(CODE_ENTRIES_PER_ADDRESS_PER_HOUR)).allow_burst(nz(20)),
            ),
        }
    }

    /// Forgets keys whose limits have fully replenished (bounds memory).
    pub fn retain_recent(&self) {
        if let Some(l) = &self.device_code {
            l.retain_recent();
        }
        self.code_entry_session.retain_recent();
        self.code_entry_account.retain_recent();
        self.code_entry_address.retain_recent();
    }
}

/// Takes one cell for `key`; `Err(seconds to wait)` when over the limit.
pub fn take<K: Hash + Eq + Clone>(limiter: &KeyedLimiter<K>, key: &K) -> Result<(), i64> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        i64::try_from(wait.as_secs()).unwrap_or(i64::MAX).max(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_entries_are_limited_per_key() {
        let limits = Limits::new(2);
        for _ in 0..CODE_ENTRIES_PER_SESSION_PER_MINUTE {
            assert!(take(&limits.code_entry_session, &"a".to_owned()).is_ok());
        }
        let wait = take(&limits.code_entry_session, &"a".to_owned()).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(
            take(&limits.code_entry_session, &"b".to_owned()).is_ok(),
            "other keys unaffected"
        );
        let ip: IpAddr = [10, 0, 0, 1].into();
        let device = limits.device_code.as_ref().expect("on");
        assert!(take(device, &ip).is_ok() && take(device, &ip).is_ok());
        assert!(take(device, &ip).is_err());
        assert!(Limits::new(0).device_code.is_none(), "0 turns it off");
    }
}
