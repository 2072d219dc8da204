//! Redemptions whose caller never heard the outcome, and the device's
//! retry that receives them.
//!
//! A redemption commits in the writer's round, and its tokens exist in
//! plain text only in the memory of the request that made them (the
//! database keeps hashes and ids). When that request cannot hear the
//! outcome — the write deadline passed while the database stalled, the
//! request timed out, the round was cut off and committed later when the
//! database resumed — the code is redeemed but nobody holds its tokens, and
//! the device's next poll would meet a redeemed code: a replay, answered by
//! revoking the grant. So the store keeps each redemption's tokens from
//! before it is submitted until its caller takes them, and a later
//! presentation of the same code may take them instead, once:
//!
//! - only the tokens of the redemption the database holds (its grant id),
//!   never those of another attempt;
//! - only for the client the code was issued to, and within [`HOLD_MS`] of
//!   the redemption (the device's next polls, with backing off, after a
//!   deadline of at most half of REQUEST_TIMEOUT);
//! - only tokens nobody took yet: the original caller takes them when it
//!   hears it won, a retry when it comes first, and whoever comes second
//!   finds nothing — for a retry, a replay.
//!
//! Why this is safe against a stolen device code: the tokens handed to a
//! retry are the ones already issued, never new ones, and they are handed
//! out once, so whoever presents the code gets at best what one redemption
//! gives. A thief who presents the code after the device's lost answer
//! takes those tokens instead of the device; the device's own next poll is
//! then a replay and revokes them — exactly as when a thief's poll beats
//! the device's. A thief who comes after the device took them triggers the
//! replay revocation as ever. The window only bounds how long tokens
//! nobody received stay in memory (as the signing keys do anyway).
//!
//! The tokens are held by the instance that made the redemption. Behind a
//! load balancer a retry that reaches another instance finds nothing
//! there and is judged a replay.

use dashmap::DashMap;

use super::{NewAccessToken, NewAuditEvent, NewGrant, NewRefreshToken, Result, Store};
use crate::model::token::IssuedToken;

/// How long a redemption's tokens are kept for a retry, in milliseconds.
pub const HOLD_MS: i64 = 120_000;
/// The most codes with tokens held; beyond it a redemption holds nothing
/// (and a lost answer is a replay, as without this).
const MAX_HELD: usize = 10_000;

/// The rows one redemption writes.
#[derive(Debug, Clone, Copy)]
pub struct RedemptionRows<'a> {
    pub grant: &'a NewGrant,
    pub access: &'a NewAccessToken,
    pub refresh: Option<&'a NewRefreshToken>,
    pub audit: Option<&'a NewAuditEvent>,
}

#[derive(Debug)]
struct Held {
    grant_id: String,
    client_id: String,
    at_ms: i64,
    tokens: IssuedToken,
}

/// Tokens of redemptions not yet handed out, by device code id.
#[derive(Debug, Default)]
pub struct Handoffs {
    held: DashMap<String, Vec<Held>>,
}

impl Handoffs {
    fn hold(&self, code_id: &str, held: Held) {
        if self.held.len() < MAX_HELD || self.held.contains_key(code_id) {
            self.held.entry(code_id.to_owned()).or_default().push(held);
        }
    }

    /// Takes the tokens of the redemption of `code_id` that made grant
    /// `grant_id`, if `accept` says so and nobody took them.
    fn take(
        &self,
        code_id: &str,
        grant_id: &str,
        accept: impl Fn(&Held) -> bool,
    ) -> Option<IssuedToken> {
        let mut entry = self.held.get_mut(code_id)?;
        let at = entry
            .iter()
            .position(|h| h.grant_id == grant_id && accept(h))?;
        let held = entry.swap_remove(at);
        let empty = entry.is_empty();
        drop(entry);
        if empty {
            self.held.remove_if(code_id, |_, v| v.is_empty());
        }
        Some(held.tokens)
    }

    fn holds(&self, code_id: &str) -> bool {
        self.held.contains_key(code_id)
    }

    /// Forgets tokens held longer than [`HOLD_MS`] (periodic upkeep).
    pub(super) fn prune(&self, now_ms: i64) {
        self.held.retain(|_, v| {
            v.retain(|h| now_ms - h.at_ms <= HOLD_MS);
            !v.is_empty()
        });
    }
}

impl Store {
    /// Redeems the approved code `id` (see [`Store::redeem_device_code`])
    /// for `rows`, handing out `tokens` if it wins: `Some(tokens)` then.
    /// `None` when it lost, or when a retry took the tokens first. Until the
    /// outcome is heard here — on an error, or if this future is dropped —
    /// the tokens stay held for [`Store::reclaim_redemption`].
    pub async fn redeem_handing_out(
        &self,
        id: &str,
        now: i64,
        rows: RedemptionRows<'_>,
        tokens: IssuedToken,
    ) -> Result<Option<IssuedToken>> {
        let handoffs = &self.changes.handoffs;
        let grant_id = rows.grant.id.as_str();
        handoffs.hold(
            id,
            Held {
                grant_id: grant_id.to_owned(),
                client_id: rows.grant.client_id.clone(),
                at_ms: now.saturating_mul(1000),
                tokens,
            },
        );
        let won = self
            .redeem_device_code(id, now, rows.grant, rows.access, rows.refresh, rows.audit)
            .await?;
        let tokens = handoffs.take(id, grant_id, |_| true);
        Ok(tokens.filter(|_| won))
    }

    /// The tokens of the redemption of code `code_id` that the database
    /// holds, if its caller never took them, it was made for `client_id`,
    /// and less than [`HOLD_MS`] ago: handed out once.
    pub async fn reclaim_redemption(
        &self,
        code_id: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Result<Option<IssuedToken>> {
        let handoffs = &self.changes.handoffs;
        if !handoffs.holds(code_id) {
            return Ok(None);
        }
        let Some(grant_id) = self.grant_of_device_code(code_id).await? else {
            return Ok(None);
        };
        Ok(handoffs.take(code_id, &grant_id, |h| {
            h.client_id == client_id && now_ms - h.at_ms <= HOLD_MS
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(grant: &str, at_ms: i64) -> Held {
        Held {
            grant_id: grant.into(),
            client_id: "c".into(),
            at_ms,
            tokens: IssuedToken {
                access_token: format!("token of {grant}"),
                expires_in: 60,
                scope: "read".into(),
                refresh_token: None,
                id_token: None,
                dpop_bound: false,
            },
        }
    }

    #[test]
    fn tokens_are_taken_once_and_only_for_their_grant() {
        let h = Handoffs::default();
        h.hold("d", held("g1", 0));
        h.hold("d", held("g2", 0));
        assert!(h.take("d", "g3", |_| true).is_none(), "another grant");
        assert!(h.take("d", "g1", |_| false).is_none(), "refused");
        assert_eq!(
            h.take("d", "g1", |_| true).unwrap().access_token,
            "token of g1"
        );
        assert!(h.take("d", "g1", |_| true).is_none(), "taken once");
        assert!(h.holds("d"));
        h.prune(HOLD_MS + 1);
        assert!(!h.holds("d"), "forgotten after the window");
    }
}
