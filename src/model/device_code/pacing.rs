//! How fast a device may poll (RFC 8628 §3.5), as one pure function of the
//! code's polling record and the time. The store applies it to polls it
//! answers from memory and to those it answers from the database alike.

use crate::model::time::UnixMs;

/// RFC 8628 §3.5: after `slow_down` the interval grows by 5 seconds, for
/// this and every later request.
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// Polls up to this much earlier than the interval are accepted: network
/// jitter and timer rounding must not push a polite client into `slow_down`.
pub const POLL_TOLERANCE_MS: i64 = 1_000;
/// One immediate repeat per polling tick is answered like the poll before it.
/// Go's `x/oauth2` retries a failed token request at once with the other
/// client-authentication style, so every tick arrives twice; without this
/// allowance such clients would slow down for ever.
pub const REPEAT_WINDOW_MS: i64 = 2_000;

/// How a pending code has been polled: the RFC 8628 §3.5 bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    pub interval_secs: i64,
    pub last_poll_at_ms: Option<UnixMs>,
    pub repeat_used: bool,
}

/// What a poll's bookkeeping writes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollUpdate {
    pub last_poll_at_ms: UnixMs,
    pub interval_secs: i64,
    pub repeat_used: bool,
}

/// The answer to one poll of a live pending code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paced {
    /// `authorization_pending`.
    Pending(PollUpdate),
    /// `slow_down`, with the grown interval in the update.
    SlowDown(PollUpdate),
}

impl Paced {
    pub fn update(self) -> PollUpdate {
        match self {
            Paced::Pending(u) | Paced::SlowDown(u) => u,
        }
    }
}

impl Pacing {
    /// Applies RFC 8628 §3.5 to a poll at `now_ms`.
    pub fn pace(self, now_ms: UnixMs) -> Paced {
        let accepted = PollUpdate {
            last_poll_at_ms: now_ms,
            interval_secs: self.interval_secs,
            repeat_used: false,
        };
        let Some(last) = self.last_poll_at_ms else {
            // The first poll is never throttled.
            return Paced::Pending(accepted);
        };
        let elapsed = now_ms - last;
        if elapsed >= self.interval_secs * 1000 - POLL_TOLERANCE_MS {
            Paced::Pending(accepted)
        } else if elapsed < REPEAT_WINDOW_MS && !self.repeat_used {
            Paced::Pending(PollUpdate {
                last_poll_at_ms: last,
                interval_secs: self.interval_secs,
                repeat_used: true,
            })
        } else {
            Paced::SlowDown(PollUpdate {
                last_poll_at_ms: now_ms,
                interval_secs: self.interval_secs + SLOW_DOWN_STEP_SECS,
                repeat_used: false,
            })
        }
    }

    /// This record after `update`.
    pub fn after(self, update: PollUpdate) -> Self {
        Self {
            interval_secs: update.interval_secs,
            last_poll_at_ms: Some(update.last_poll_at_ms),
            repeat_used: update.repeat_used,
        }
    }
}
