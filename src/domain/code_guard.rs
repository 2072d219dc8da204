//! The one way from something a person typed to a pending device code
//! (RFC 8628 §5.1: user codes are short, so guessing must be limited).
//!
//! Every page that looks a typed user code up goes through [`find_pending`].
//! Only guesses are charged: an entry that matches no code at all. A code
//! that exists (pending, expired or already used) costs nothing, so a person
//! connecting many devices is never refused. Limits:
//!
//! - per session (5 a minute), per account (20 an hour, bursts of 10) and
//!   per address (60 an hour, bursts of 20; IPv6 by /64), held in memory
//!   on each instance. An entry reserves a unit of each before the lookup
//!   and gives it back unless it turned out to be a guess, so concurrent
//!   guesses cannot overrun a budget;
//! - globally, in the database so that every instance agrees: once the
//!   last five minutes saw [`guess_cap`] guesses, every entry is refused
//!   until enough of them are five minutes old, and the refusal says when
//!   that is. The live codes the cap scales with are counted by the store
//!   in memory (recounted from the database every minute), so a flood of
//!   device requests does not slow code entry down.
//!
//! Every guess is audited ([`AuditAction::CodeEntryFailed`]), which is also what the
//! global cap counts. The decision form never carries a user code: it
//! carries a consent ticket (see `consent.rs`) that only the session shown
//! the code can use.
//!
//! # The odds
//!
//! Codes are 8 letters from 20 consonants: 20^8 ≈ 2.56 × 10^10. With N
//! live pending codes a guess succeeds with probability N / 2.56 × 10^10.
//! One account makes at most 490 guesses a day (the burst of 10, then 20 an
//! hour); everyone together at most 2,880 + 24N (the global cap). So per
//! day:
//!
//! | live codes N | one account | everyone together |
//! |---|---|---|
//! | 10 | 1.9 × 10^-7 | 1.2 × 10^-6 |
//! | 100 | 1.9 × 10^-6 | 2.1 × 10^-5 |
//! | 1,000 | 1.9 × 10^-5 | 1.0 × 10^-3 |
//!
//! Codes live 30 minutes by default, so N is about half the codes issued per
//! hour. Accounts are created by administrators, so "everyone together"
//! means many compromised accounts at once.
//!
//! The global cap is also what such accounts can turn against everyone
//! else: after its burst, an account spends about 1.7 guesses per five
//! minutes per instance, so K ≥ 6 + N/20 accounts guessing without pause
//! keep code entry closed for everybody, five minutes at a time. Their
//! guesses are audited under their names (`/admin/audit`,
//! `user_code.failed`); disabling those accounts reopens code entry within
//! five minutes.

use std::net::IpAddr;

use dashmap::DashMap;

use super::client::Client;
use super::device_flow;
use super::throttle::network_of;
use super::{Core, Error, Result, audit};
use crate::metrics::Limit;
use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::{DeviceCode, UserCode};
use crate::store::NewAuditEvent;

/// The window of the global cap.
pub const CODE_GUESS_WINDOW_SECS: i64 = 5 * 60;
/// Guesses allowed per window whatever the number of live codes.
pub const CODE_GUESS_FLOOR: i64 = 10;

/// Guesses allowed everywhere together per window with `live` pending
/// codes: the floor plus one for every twelve live codes, so a day (288
/// windows) allows at most `2,880 + 24 × live` guesses.
pub fn guess_cap(live: i64) -> i64 {
    CODE_GUESS_FLOOR + (live.max(0) + 11) / 12
}

/// A refill rate and a burst: one unit comes back every `every_ms`, and at
/// most `burst` can be spent at once.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub every_ms: i64,
    pub burst: i64,
}

/// Guesses per session: 5 a minute.
pub const PER_SESSION: Rate = Rate {
    every_ms: 12_000,
    burst: 5,
};
/// Guesses per account: 20 an hour, bursts of 10.
pub const PER_ACCOUNT: Rate = Rate {
    every_ms: 180_000,
    burst: 10,
};
/// Guesses per address: 60 an hour, bursts of 20.
pub const PER_ADDRESS: Rate = Rate {
    every_ms: 60_000,
    burst: 20,
};

/// One rate for many keys (the generic cell rate algorithm: each key
/// keeps the time at which its budget would be full again). Reserving and
/// giving back are each one atomic step on the key's entry.
#[derive(Debug)]
struct Budget {
    rate: Rate,
    full_at: DashMap<String, i64>,
}

impl Budget {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            full_at: DashMap::new(),
        }
    }

    /// Spends one unit of `key` at `now_ms`, or says how many seconds
    /// until one is available.
    fn reserve(&self, key: &str, now_ms: i64) -> std::result::Result<(), i64> {
        let mut entry = self.full_at.entry(key.to_owned()).or_insert(now_ms);
        let next = (*entry).max(now_ms) + self.rate.every_ms;
        let limit = now_ms + self.rate.every_ms * self.rate.burst;
        if next > limit {
            let wait_ms = next - limit;
            return Err((wait_ms + 999) / 1000);
        }
        *entry = next;
        Ok(())
    }

    /// Gives back one unit of `key` spent by [`Budget::reserve`].
    fn give_back(&self, key: &str) {
        if let Some(mut entry) = self.full_at.get_mut(key) {
            *entry -= self.rate.every_ms;
        }
    }

    fn prune(&self, now_ms: i64) {
        self.full_at.retain(|_, full_at| *full_at > now_ms);
    }
}

/// The per-instance guess budgets.
#[derive(Debug)]
pub struct GuessLimits {
    session: Budget,
    account: Budget,
    address: Budget,
}

impl Default for GuessLimits {
    fn default() -> Self {
        Self {
            session: Budget::new(PER_SESSION),
            account: Budget::new(PER_ACCOUNT),
            address: Budget::new(PER_ADDRESS),
        }
    }
}

impl GuessLimits {
    /// Forgets keys whose budgets are full again (bounds memory).
    pub fn prune(&self, now_ms: i64) {
        self.session.prune(now_ms);
        self.account.prune(now_ms);
        self.address.prune(now_ms);
    }
}

/// Who is entering a code: the session (any value unique to it and
/// unknown to others), the signed-in account and the address.
#[derive(Debug, Clone, Copy)]
pub struct Guesser<'a> {
    pub session: &'a str,
    pub user_id: &'a str,
    pub ip: Option<IpAddr>,
}

/// Units reserved for one entry, given back unless it was a guess.
struct Reserved<'a> {
    keys: Vec<(&'a Budget, String)>,
}

impl Reserved<'_> {
    fn give_back(self) {
        for (budget, key) in &self.keys {
            budget.give_back(key);
        }
    }
}

fn reserve<'a>(core: &'a Core, who: &Guesser<'_>, now_ms: i64) -> Result<Reserved<'a>> {
    let limits = core.guesses.as_ref();
    let mut wanted = vec![
        (&limits.session, who.session.to_owned()),
        (&limits.account, who.user_id.to_owned()),
    ];
    if let Some(ip) = who.ip {
        wanted.push((&limits.address, network_of(ip).to_string()));
    }
    let mut reserved = Reserved {
        keys: Vec::with_capacity(wanted.len()),
    };
    for (budget, key) in wanted {
        if let Err(wait) = budget.reserve(&key, now_ms) {
            reserved.give_back();
            core.metrics.rate_limited(Limit::CodeEntry);
            return Err(Error::TooManyAttempts {
                retry_after_secs: wait.max(1),
            });
        }
        reserved.keys.push((budget, key));
    }
    Ok(reserved)
}

/// Refuses every entry while the last window saw [`guess_cap`] guesses,
/// with the seconds until enough of them leave the window.
async fn check_global_cap(core: &Core) -> Result<()> {
    let now = core.clock.now_secs();
    // A guess counts for CODE_GUESS_WINDOW_SECS seconds, then no more.
    let since = now - CODE_GUESS_WINDOW_SECS + 1;
    let guesses = core
        .store
        .count_audit_events_since(AuditAction::CodeEntryFailed, since)
        .await?;
    if guesses < CODE_GUESS_FLOOR {
        return Ok(());
    }
    // Counted in memory by the store, so an attacker who floods cheap device
    // requests does not make every person's code entry slower.
    let live = i64::try_from(core.store.live_pending_codes(UnixSecs(now))).unwrap_or(i64::MAX);
    let cap = guess_cap(live);
    if guesses < cap {
        return Ok(());
    }
    // Open again once the (guesses - cap + 1) oldest have left the window.
    let opens_at = core
        .store
        .nth_audit_event_since(AuditAction::CodeEntryFailed, since, guesses - cap)
        .await?
        .map_or(now + 1, |at| at + CODE_GUESS_WINDOW_SECS);
    tracing::warn!(
        guesses,
        live,
        cap,
        "global cap on user-code guesses reached"
    );
    core.metrics.rate_limited(Limit::CodeEntry);
    Err(Error::TooManyAttempts {
        retry_after_secs: (opens_at - now).max(1),
    })
}

/// The live, undecided request behind what `who` typed, with its client.
///
/// Refuses with [`Error::TooManyAttempts`] while any budget is spent;
/// otherwise looks the code up and charges `who` only when it matches no
/// code ([`Error::UnknownUserCode`], audited). Text that cannot be a user
/// code at all is refused without charge: it cannot match anything.
pub async fn find_pending(
    core: &Core,
    who: &Guesser<'_>,
    typed: &str,
) -> Result<(DeviceCode, Client)> {
    let user_code = UserCode::parse(typed).ok_or(Error::UnknownUserCode)?;
    let reserved = reserve(core, who, core.clock.now_ms())?;
    if let Err(e) = check_global_cap(core).await {
        reserved.give_back();
        return Err(e);
    }
    let found = device_flow::lookup_pending(core, &user_code).await;
    match &found {
        Err(Error::UnknownUserCode) => guessed(core, who, &user_code).await,
        _ => reserved.give_back(),
    }
    found
}

/// Audits a guess (and so feeds the global cap).
async fn guessed(core: &Core, who: &Guesser<'_>, user_code: &UserCode) {
    tracing::info!(user_id = %who.user_id, "user code guess refused");
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(who.user_id.to_owned()),
            ip: who.ip.map(|ip| ip.to_string()),
            detail: Some(format!("entered {user_code}")),
            ..NewAuditEvent::new(AuditAction::CodeEntryFailed)
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_allows_its_burst_then_refills_at_its_rate() {
        let b = Budget::new(PER_SESSION);
        for _ in 0..5 {
            assert!(b.reserve("s", 0).is_ok());
        }
        assert_eq!(b.reserve("s", 0), Err(12));
        assert_eq!(b.reserve("s", 11_000), Err(1));
        assert!(b.reserve("s", 12_000).is_ok(), "one unit back after 12 s");
        assert!(b.reserve("s", 12_000).is_err());
        assert!(b.reserve("other", 0).is_ok(), "keys are independent");
    }

    #[test]
    fn given_back_units_can_be_spent_again() {
        let b = Budget::new(PER_SESSION);
        for _ in 0..100 {
            assert!(b.reserve("s", 0).is_ok());
            b.give_back("s");
        }
        for _ in 0..5 {
            assert!(b.reserve("s", 0).is_ok());
        }
        assert!(b.reserve("s", 0).is_err());
        b.prune(59_999);
        assert!(b.reserve("s", 0).is_err(), "not full yet: kept");
        b.prune(60_000);
        assert!(b.full_at.is_empty(), "full again: forgotten");
    }

    #[test]
    fn the_global_cap_grows_with_live_codes() {
        assert_eq!(guess_cap(0), 10);
        assert_eq!(guess_cap(1), 11);
        assert_eq!(guess_cap(12), 11);
        assert_eq!(guess_cap(13), 12);
        assert_eq!(guess_cap(1_000), 94);
    }
}
