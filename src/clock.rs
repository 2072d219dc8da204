//! The one place that reads the wall clock.
//!
//! Everything time-dependent (expiry, `slow_down`, token lifetimes) asks an
//! injected [`Clock`], so tests move time forward instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of "now" in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch, the unit stored in the database.
    fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Now, as a typed second (what expiry is kept in).
    fn secs(&self) -> crate::model::time::UnixSecs {
        crate::model::time::UnixSecs(self.now_secs())
    }

    /// Now, as a typed millisecond (what polling is paced in).
    fn millis(&self) -> crate::model::time::UnixMs {
        crate::model::time::UnixMs(self.now_ms())
    }
}

/// A shared handle to whichever clock the application runs on.
pub type SharedClock = Arc<dyn Clock>;

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned wall-clock read
    fn now_ms(&self) -> i64 {
        // A clock set before 1970 is a broken host; treat it as the epoch
        // rather than failing every request.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to: for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicI64,
}

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        Self {
            now_ms: AtomicI64::new(start_ms),
        }
    }

    /// Starts at the current wall-clock time, so issued JWTs look plausible.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now_ms())
    }

    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set_ms(&self, ms: i64) {
        self.now_ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new(10_500);
        assert_eq!(clock.now_secs(), 10);
        clock.advance(Duration::from_millis(600));
        assert_eq!(clock.now_ms(), 11_100);
        assert_eq!(clock.now_secs(), 11);
    }
}
