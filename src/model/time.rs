//! Points in time as Unix seconds or Unix milliseconds, never confused:
//! expiry is kept in seconds (what tokens and the RFCs speak), polling in
//! milliseconds (RFC 8628 §3.5 pacing needs better than a second). Each
//! converts to the other only by name.

use std::ops::{Add, Sub};

/// Seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct UnixSecs(pub i64);

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct UnixMs(pub i64);

impl UnixSecs {
    /// The start of this second, in milliseconds (saturating).
    pub fn as_ms(self) -> UnixMs {
        UnixMs(self.0.saturating_mul(1000))
    }
}

impl UnixMs {
    /// The second this millisecond falls in.
    pub fn as_secs(self) -> UnixSecs {
        UnixSecs(self.0.div_euclid(1000))
    }
}

/// A later time: `secs` seconds on.
impl Add<i64> for UnixSecs {
    type Output = UnixSecs;

    fn add(self, secs: i64) -> UnixSecs {
        UnixSecs(self.0.saturating_add(secs))
    }
}

/// Seconds between two times.
impl Sub for UnixSecs {
    type Output = i64;

    fn sub(self, earlier: UnixSecs) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A later time: `ms` milliseconds on.
impl Add<i64> for UnixMs {
    type Output = UnixMs;

    fn add(self, ms: i64) -> UnixMs {
        UnixMs(self.0.saturating_add(ms))
    }
}

/// Milliseconds between two times.
impl Sub for UnixMs {
    type Output = i64;

    fn sub(self, earlier: UnixMs) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_milliseconds_convert_by_name() {
        assert_eq!(UnixSecs(12).as_ms(), UnixMs(12_000));
        assert_eq!(UnixMs(12_999).as_secs(), UnixSecs(12));
        assert_eq!(UnixMs(-1).as_secs(), UnixSecs(-1), "floor, not truncation");
        assert_eq!(UnixSecs(10) + 5, UnixSecs(15));
        assert_eq!(UnixMs(10_500) - UnixMs(10_000), 500);
        assert_eq!(UnixSecs(i64::MAX).as_ms(), UnixMs(i64::MAX));
    }
}
