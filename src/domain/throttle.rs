//! Brute-force defences whose state lives in the database, so that every
//! instance enforces the same limits.
//!
//! - Sign-in: per account and per address, growing delays after repeated
//!   failures (doubling from 2 s up to 15 min), audited.
//! - User-code entry (RFC 8628 §5.1): besides the per-session, per-account
//!   and per-address limiters in the HTTP layer, a global cap on failed
//!   entries per hour relative to the number of live codes bounds the odds
//!   of guessing any code; README.md works out the figures.

use std::net::IpAddr;

use super::{Core, Error, Result, audit};
use crate::metrics::Limit;
use crate::store::NewAuditEvent;

/// Failures older than this are forgotten.
pub const FORGET_AFTER_SECS: i64 = 24 * 60 * 60;
/// The longest lock-out after failed sign-ins.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// Failed sign-ins an account may have before delays begin.
pub const FREE_ACCOUNT_FAILURES: i64 = 3;
/// Failed sign-ins an address may have before delays begin (offices and
/// schools share addresses, so it is more lenient than per account).
pub const FREE_ADDRESS_FAILURES: i64 = 10;
/// The window of the global cap on failed user-code entries.
pub const CODE_GUESS_WINDOW_SECS: i64 = 60 * 60;
/// Failed entries allowed per window regardless of live codes.
pub const CODE_GUESS_FLOOR: i64 = 100;

/// Seconds of lock-out after the `failures`-th failure, when the first
/// `free` ones cost nothing: 2, 4, 8 ... seconds, at most [`MAX_LOCK_SECS`].
pub fn lock_delay(failures: i64, free: i64) -> i64 {
    if failures <= free {
        return 0;
    }
    let exponent = u32::try_from((failures - free).min(20)).unwrap_or(20);
    2_i64.saturating_pow(exponent).min(MAX_LOCK_SECS)
}

fn account_key(username: &str) -> String {
    format!("account:{}", username.to_lowercase())
}

fn address_key(ip: IpAddr) -> String {
    format!("address:{ip}")
}

/// Refuses a sign-in attempt while its account or address is locked out.
/// Unknown usernames are throttled exactly like known ones.
pub async fn check_sign_in(core: &Core, username: &str, ip: Option<IpAddr>) -> Result<()> {
    let now = core.clock.now_secs();
    let mut keys = vec![account_key(username)];
    keys.extend(ip.map(address_key));
    let mut wait = 0;
    for key in keys {
        if let Some(until) = core.store.login_locked_until(&key).await? {
            wait = wait.max(until - now);
        }
    }
    if wait > 0 {
        core.metrics.rate_limited(Limit::SignIn);
        Err(Error::TooManyAttempts {
            retry_after_secs: wait,
        })
    } else {
        Ok(())
    }
}

/// Counts a failed sign-in against the account and the address.
pub async fn sign_in_failed(core: &Core, username: &str, ip: Option<IpAddr>) -> Result<()> {
    let now = core.clock.now_secs();
    let mut keys = vec![(account_key(username), FREE_ACCOUNT_FAILURES)];
    keys.extend(ip.map(|ip| (address_key(ip), FREE_ADDRESS_FAILURES)));
    for (key, free) in keys {
        let failures = core
            .store
            .record_login_failure(&key, now, now - FORGET_AFTER_SECS)
            .await?;
        let delay = lock_delay(failures, free);
        if delay > 0 {
            core.store.lock_login(&key, now + delay).await?;
        }
    }
    Ok(())
}

/// A successful sign-in clears the account's failures (not the address's:
/// one valid account must not reset an attacker's address budget).
pub async fn sign_in_succeeded(core: &Core, username: &str) -> Result<()> {
    Ok(core
        .store
        .clear_login_failures(&account_key(username))
        .await?)
}

/// The global cap on failed user-code entries: refuses further entries
/// once the last hour saw `CODE_GUESS_FLOOR + live codes` failures.
pub async fn check_code_entry_budget(core: &Core) -> Result<()> {
    let now = core.clock.now_secs();
    let failures = core
        .store
        .count_audit_events_since(CODE_ENTRY_FAILED, now - CODE_GUESS_WINDOW_SECS)
        .await?;
    let live = core.store.count_live_pending_codes(now).await?;
    if failures >= CODE_GUESS_FLOOR + live {
        tracing::warn!(failures, live, "global cap on failed code entries reached");
        core.metrics.rate_limited(Limit::CodeEntry);
        return Err(Error::TooManyAttempts {
            retry_after_secs: 300,
        });
    }
    Ok(())
}

/// The audit action of a failed user-code entry.
pub const CODE_ENTRY_FAILED: &str = "user_code.failed";

/// Audits a failed user-code entry (and so feeds the global cap).
pub async fn code_entry_failed(core: &Core, user_id: &str, ip: Option<IpAddr>, typed: &str) {
    audit::record(
        core,
        NewAuditEvent {
            action: CODE_ENTRY_FAILED,
            actor: Some(user_id.to_owned()),
            ip: ip.map(|ip| ip.to_string()),
            detail: Some(format!(
                "entered {:?}",
                typed.chars().take(16).collect::<String>()
            )),
            ..NewAuditEvent::default()
        },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_cap() {
        assert_eq!(lock_delay(3, 3), 0);
        assert_eq!(lock_delay(4, 3), 2);
        assert_eq!(lock_delay(5, 3), 4);
        assert_eq!(lock_delay(12, 3), 512);
        assert_eq!(lock_delay(13, 3), MAX_LOCK_SECS);
        assert_eq!(lock_delay(1_000, 3), MAX_LOCK_SECS);
    }
}
