//! Sign-in lock-outs, in the database so that every instance enforces the
//! same limits.
//!
//! Every attempt is counted before its password is checked (see
//! `store/throttle.rs`: one statement per key counts it or refuses it), so
//! concurrent guesses cannot slip past a lock that is still being written.
//! A success gives its attempt back. Three keys:
//!
//! - **account and address together**: the hard lock. After 3 free
//!   attempts a day, 2, 4, 8 … seconds up to 15 minutes. Guessing from one
//!   place locks out that place only, so an attacker elsewhere cannot lock
//!   out the owner.
//! - **address** (an IPv4 address or an IPv6 /64): 10 free attempts a day
//!   across all accounts (offices share addresses), then the same delays.
//! - **account**: a backstop against guessing one account from many
//!   addresses. After 10 free attempts a day, delays of 2, 4, then 8
//!   seconds at most, never longer; networks the owner signed in from in
//!   the last 30 days are spared it, so a steady trickle of guesses from
//!   elsewhere cannot keep the owner out either.
//!
//! Administrators clear an account's locks (`authgate user unlock`, the
//! Unlock action); setting a password clears them too.

use std::net::IpAddr;

use super::{Core, Error, Result};
use crate::metrics::Limit;
use crate::store::{LockRule, Reservation, Store};

/// Attempts older than this are forgotten.
pub const FORGET_AFTER_SECS: i64 = 24 * 60 * 60;
/// The longest hard lock-out.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// The longest delay of the account-wide backstop.
pub const BACKSTOP_MAX_SECS: i64 = 8;
/// How long a network the owner signed in from is spared the backstop.
pub const KNOWN_ORIGIN_SECS: i64 = 30 * 24 * 60 * 60;

/// One account from one address.
pub const PAIR_RULE: LockRule = LockRule {
    free: 3,
    max_lock_secs: MAX_LOCK_SECS,
};
/// One address, all accounts.
pub const ADDRESS_RULE: LockRule = LockRule {
    free: 10,
    max_lock_secs: MAX_LOCK_SECS,
};
/// One account, all addresses.
pub const ACCOUNT_RULE: LockRule = LockRule {
    free: 10,
    max_lock_secs: BACKSTOP_MAX_SECS,
};

/// The network an address is limited as: IPv4 addresses one by one, IPv6
/// by /64 (one host usually holds a whole /64, so keying on the full
/// address would give an attacker 2^64 fresh budgets). IPv4-mapped IPv6
/// addresses count as the IPv4 address they carry.
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(bits.into())
            }
        },
    }
}

fn account_name(username: &str) -> String {
    username.to_lowercase()
}

fn network_name(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "-".to_owned(), |ip| network_of(ip).to_string())
}

fn account_key(account: &str) -> String {
    format!("account:{account}")
}

/// Every pair key of `account` starts with this.
fn pair_prefix(account: &str) -> String {
    format!("pair:{account}|")
}

fn pair_key(account: &str, network: &str) -> String {
    format!("{}{network}", pair_prefix(account))
}

fn address_key(network: &str) -> String {
    format!("address:{network}")
}

/// An attempt counted against its keys; give it back with
/// [`Attempt::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    network: String,
    reserved: Vec<(String, Reservation)>,
}

/// Counts a sign-in attempt before its password is checked, or refuses
/// it while any of its keys is locked. Unknown usernames are counted
/// exactly like known ones.
pub async fn begin_sign_in(core: &Core, username: &str, ip: Option<IpAddr>) -> Result<Attempt> {
    let now = core.clock.now_secs();
    let account = account_name(username);
    let network = network_name(ip);
    let mut keys = vec![(pair_key(&account, &network), PAIR_RULE)];
    if ip.is_some() {
        keys.push((address_key(&network), ADDRESS_RULE));
    }
    let known = core
        .store
        .is_sign_in_origin(&account, &network, now - KNOWN_ORIGIN_SECS)
        .await?;
    if !known {
        keys.push((account_key(&account), ACCOUNT_RULE));
    }
    let mut attempt = Attempt {
        account,
        network,
        reserved: Vec::with_capacity(keys.len()),
    };
    for (key, rule) in keys {
        let counted = core
            .store
            .reserve_attempt(&key, rule, now, now - FORGET_AFTER_SECS)
            .await;
        match counted {
            Ok(Some(reservation)) => attempt.reserved.push((key, reservation)),
            Ok(None) => {
                let until = core.store.login_locked_until(&key).await;
                release(core, &attempt.reserved).await;
                core.metrics.rate_limited(Limit::SignIn);
                return Err(Error::TooManyAttempts {
                    retry_after_secs: (until?.unwrap_or(now) - now).max(1),
                });
            }
            Err(e) => {
                release(core, &attempt.reserved).await;
                return Err(e.into());
            }
        }
    }
    Ok(attempt)
}

/// Gives back the attempts counted on `keys` (best effort: a failure
/// leaves one attempt counted too many, which only errs on the safe side).
async fn release(core: &Core, keys: &[(String, Reservation)]) {
    for (key, reservation) in keys {
        if let Err(e) = core.store.release_attempt(key, reservation).await {
            tracing::warn!(error = %e, "could not give back a sign-in attempt");
        }
    }
}

impl Attempt {
    /// The password was right: the attempt is given back, the account's
    /// lock from this network forgotten, and the network remembered as
    /// the owner's.
    pub async fn succeeded(self, core: &Core) -> Result<()> {
        let pair = pair_key(&self.account, &self.network);
        let others: Vec<_> = self
            .reserved
            .into_iter()
            .filter(|(key, _)| *key != pair)
            .collect();
        release(core, &others).await;
        core.store.clear_login_failures(&pair).await?;
        core.store
            .remember_sign_in_origin(&self.account, &self.network, core.clock.now_secs())
            .await?;
        Ok(())
    }
}

/// Clears every sign-in lock and count of `username` (all addresses);
/// returns how many locks were in force at `now`.
pub async fn unlock(store: &Store, username: &str, now: i64) -> Result<u64> {
    let account = account_name(username);
    Ok(store
        .clear_login_failures_like(&account_key(&account), &pair_prefix(&account), now)
        .await?)
}

/// Until when some sign-in lock of `username` holds at `now`, if one does.
pub async fn locked_until(store: &Store, username: &str, now: i64) -> Result<Option<i64>> {
    let account = account_name(username);
    Ok(store
        .latest_lock_like(&account_key(&account), &pair_prefix(&account), now)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(c));
        assert_eq!(network_of(a).to_string(), "2001:db8:1:2::");
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(network_of(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(network_of(mapped), v4);
    }

    #[test]
    fn the_backstop_never_locks_for_long() {
        assert_eq!(ACCOUNT_RULE.delay(10), 0);
        assert_eq!(ACCOUNT_RULE.delay(11), 2);
        assert_eq!(ACCOUNT_RULE.delay(1_000), BACKSTOP_MAX_SECS);
        assert_eq!(PAIR_RULE.delay(1_000), MAX_LOCK_SECS);
    }
}
