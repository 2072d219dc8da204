//! In-memory rate limits of the JSON API (governor's GCRA), per instance:
//! device authorization requests per client network (an IPv4 address or
//! an IPv6 /64). The guessing limits of code entry live in
//! `domain/code_guard.rs`, the sign-in lock-outs in `domain/throttle.rs`.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub type KeyedLimiter<K> = DefaultKeyedRateLimiter<K>;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

#[derive(Debug)]
pub struct Limits {
    /// `None` when RATE_LIMIT_DEVICE_CODE is 0 (off). Keyed by network.
    pub device_code: Option<KeyedLimiter<IpAddr>>,
    /// Client registrations per network per hour (RATE_LIMIT_REGISTRATION);
    /// `None` when 0 or registration is off.
    pub registration: Option<KeyedLimiter<IpAddr>>,
}

impl Limits {
    pub fn new(device_code_per_minute: u32) -> Self {
        Self {
            device_code: (device_code_per_minute > 0)
                .then(|| RateLimiter::keyed(Quota::per_minute(nz(device_code_per_minute)))),
            registration: None,
        }
    }

    /// Limits registrations to `per_hour` per network (0: no limit).
    pub fn with_registration(self, per_hour: u32) -> Self {
        Self {
            registration: (per_hour > 0).then(|| RateLimiter::keyed(Quota::per_hour(nz(per_hour)))),
            ..self
        }
    }

    /// Forgets keys whose limits have fully replenished (bounds memory).
    pub fn retain_recent(&self) {
        for l in [&self.device_code, &self.registration]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
        }
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
    fn device_code_requests_are_limited_per_key() {
        let limits = Limits::new(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        let device = limits.device_code.as_ref().expect("on");
        assert!(take(device, &ip).is_ok() && take(device, &ip).is_ok());
        let wait = take(device, &ip).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(take(device, &other).is_ok(), "other keys unaffected");
        assert!(Limits::new(0).device_code.is_none(), "0 turns it off");
    }
}
