//! The device flow's questions to the store, each answered in one call
//! that keeps the store's memory coherent on the way.
//!
//! Polls of a pending code are answered from memory: the first poll loads
//! the code, later ones only pace it (RFC 8628 §3.5, the model's
//! [`Pacing::pace`]) and the pacing is written behind ([`Store::save_polls`]).
//! A decision makes the store forget the code — here at once, on other
//! instances through the writer's `NOTIFY` — so the next poll reads the
//! database and meets the approval or denial; the instance that decided
//! keeps the decided code for the device's next poll, which then redeems
//! without a read. Pending codes are also held by user code for the
//! verification pages. None of this memory is trusted for a write: every
//! state change is a guarded statement (see `device_codes.rs`).

use super::changes::LivePoll;
use super::{NewAuditEvent, NewDeviceCode, Result, Store};
use crate::model::device_code::{Paced, PollOutcome};
use crate::model::ids::UserId;
use crate::model::time::UnixMs;
use crate::model::{DeviceCode, DeviceState, Transition, UserCode};

/// What a poll meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Polled {
    /// Pending and live: answered, and the pacing recorded.
    Paced(Paced),
    /// The code was issued to another client.
    Foreign,
    /// No such code.
    Unknown,
    Denied,
    Expired,
    /// Approved and live: the caller redeems it. `remembered` when this
    /// instance's memory of its own decision answered; a redemption that
    /// then loses asks again with [`Memory::Skip`].
    Redeem {
        code: Box<DeviceCode>,
        user_id: UserId,
        remembered: bool,
    },
    /// Already exchanged for tokens.
    Replayed(Box<DeviceCode>),
}

/// Whether a poll may be answered from memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memory {
    Use,
    /// Read the database (after an answer from memory turned out stale).
    Skip,
}

impl Store {
    /// Inserts a new pending code ([`Error::Conflict`] if its user code is
    /// taken) and holds it for its verification pages.
    pub async fn issue_device_code(&self, row: &NewDeviceCode, now_ms: i64) -> Result<()> {
        self.insert_device_code(row).await?;
        self.changes
            .pending_counts
            .issued(row.client_id.as_str(), row.expires_at);
        self.changes.remember_pending(issued(row), now_ms);
        Ok(())
    }

    /// The code a person typed, in whatever state: from memory when this
    /// instance holds it as pending, else from the database (a pending
    /// code read there is then held).
    pub async fn device_code_for_entry(
        &self,
        user_code: &UserCode,
        now_ms: i64,
    ) -> Result<Option<DeviceCode>> {
        if let Some(code) = self.changes.pending_code(user_code, now_ms) {
            return Ok(Some(code));
        }
        let found = self.find_device_code_by_user_code(user_code).await?;
        if let Some(code) = found.as_ref().filter(|c| c.state == DeviceState::Pending) {
            self.changes.remember_pending(code.clone(), now_ms);
        }
        Ok(found)
    }

    /// Writes `decided`, which the model moved out of pending by
    /// `transition`, with `audit` in the same transaction. `false` (and
    /// nothing written) when the stored code was no longer pending and live.
    /// Either way the code is no longer offered for entry; once written,
    /// every instance forgets its poll state and this one keeps `decided`
    /// for the device's next poll.
    pub async fn decide_device_code(
        &self,
        transition: Transition,
        decided: &DeviceCode,
        now_ms: i64,
        audit: Option<&NewAuditEvent>,
    ) -> Result<bool> {
        let written = self.write_decision(transition, decided, audit).await;
        self.changes.forget_pending(&decided.user_code);
        let Some(hash) = written? else {
            return Ok(false);
        };
        self.code_decided(&hash);
        self.changes.pending_counts.decided(decided);
        self.changes
            .remember_decided(&hash, decided.clone(), now_ms);
        Ok(true)
    }

    /// Answers a poll by `client_id` of the code whose device code hashes to
    /// `hash`, at `now_ms`.
    pub async fn poll_device_code(
        &self,
        hash: &str,
        client_id: &str,
        now_ms: i64,
        memory: Memory,
    ) -> Result<Polled> {
        if memory == Memory::Use {
            if let Some(answer) = self.changes.pace_live(hash, client_id, now_ms) {
                return Ok(answer);
            }
            if let Some(code) = self.changes.take_decided(hash, now_ms)
                && code.client_id == client_id
                && let PollOutcome::Redeem { user_id } = code.judge_poll(UnixMs(now_ms))
            {
                return Ok(Polled::Redeem {
                    code: Box::new(code),
                    user_id,
                    remembered: true,
                });
            }
        }
        // Read before the database, so a decision racing this read is noticed.
        let epoch = self.changes.codes_epoch();
        let Some(code) = self.find_device_code_by_hash(hash).await? else {
            return Ok(Polled::Unknown);
        };
        if code.client_id != client_id {
            return Ok(Polled::Foreign);
        }
        if code.state == DeviceState::Pending && !code.is_expired(UnixMs(now_ms).as_secs()) {
            if self
                .changes
                .remember_poll(hash, epoch, LivePoll::of(&code, now_ms))
                && let Some(answer) = self.changes.pace_live(hash, client_id, now_ms)
            {
                return Ok(answer);
            }
        } else {
            self.changes.drop_poll(hash);
        }
        Ok(match code.judge_poll(UnixMs(now_ms)) {
            PollOutcome::Paced(paced) => {
                self.record_poll(&code.id, &paced.update()).await?;
                Polled::Paced(paced)
            }
            PollOutcome::Denied => Polled::Denied,
            PollOutcome::Expired => Polled::Expired,
            PollOutcome::Redeem { user_id } => Polled::Redeem {
                code: Box::new(code),
                user_id,
                remembered: false,
            },
            PollOutcome::Replayed => Polled::Replayed(Box::new(code)),
        })
    }
}

/// The code `row` inserts: pending, never polled.
fn issued(row: &NewDeviceCode) -> DeviceCode {
    DeviceCode {
        id: row.id.clone(),
        client_id: row.client_id.clone(),
        user_code: row.user_code.clone(),
        scope: row.scope.clone(),
        interval_secs: row.interval_secs,
        last_poll_at_ms: None,
        poll_repeat_used: false,
        requester_ip: row.requester_ip.clone(),
        user_agent: row.user_agent.clone(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        state: DeviceState::Pending,
        code_challenge: row.code_challenge.clone(),
        authn: None,
        resources: row.resources.clone(),
    }
}
