//! Consent tickets: what the decision form carries instead of a user code.
//!
//! When the consent view shows a pending request, it hands the browser a
//! ticket naming that request, sealed (see `crypto/seal.rs`) under the
//! session's secret CSRF token and signed-in user and valid for
//! [`TICKET_TTL_SECS`] at most. The decision endpoint accepts only such a
//! ticket, so posting guessed codes to it is impossible by construction:
//! every way to a code a person did not see goes through the guessing
//! limits of `code_guard.rs`.

use super::client::Client;
use super::device_flow;
use super::{Core, Error, Result};
use crate::model::authn::SessionProof;
use crate::model::{Decision, DeviceCode, UserCode};

/// The longest a ticket is good for (never longer than its code).
pub const TICKET_TTL_SECS: i64 = 10 * 60;

/// What a ticket binds to: the session's secret and its user, so it opens
/// for no other session and for no one else signed in to this one.
fn binding(session_secret: &str, user_id: &str) -> String {
    format!("{session_secret}\u{0}{user_id}")
}

/// A ticket for `user_id` in the session whose secret is `session_secret`
/// to decide `code`.
pub fn issue(core: &Core, session_secret: &str, user_id: &str, code: &DeviceCode) -> String {
    let expires_at = (core.clock.now_secs() + TICKET_TTL_SECS).min(code.expires_at.0);
    let payload = format!("{}|{}|{expires_at}", code.id, code.user_code.as_str());
    core.consent
        .seal(&binding(session_secret, user_id), &payload)
}

/// Decides the request named by `ticket` for a person whose session
/// brings `proof`; the ticket must have been issued to
/// this session and user and not have run out ([`Error::StaleConsent`]
/// otherwise). The request itself may meanwhile have expired or been
/// decided: [`Error::ExpiredUserCode`], [`Error::UserCodeAlreadyUsed`].
/// An approval a policy guards needs a second factor proven at
/// the proof's `factor_at` ([`Error::SecondFactorNeeded`], see `step_up.rs`).
pub async fn decide(
    core: &Core,
    session_secret: &str,
    user_id: &str,
    ticket: &str,
    decision: Decision,
    ip: Option<String>,
    proof: SessionProof,
) -> Result<(DeviceCode, Client)> {
    let payload = core
        .consent
        .open(&binding(session_secret, user_id), ticket)
        .ok_or(Error::StaleConsent)?;
    let mut parts = payload.split('|');
    let (Some(id), Some(user_code), Some(expires_at), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::StaleConsent);
    };
    let expires_at: i64 = expires_at.parse().map_err(|_| Error::StaleConsent)?;
    let user_code = UserCode::parse(user_code).ok_or(Error::StaleConsent)?;
    let (code, client) = match device_flow::lookup_pending(core, &user_code).await {
        // Sent again after an answer lost to an outage: confirmed when this
        // person already decided it so, refused otherwise.
        Err(Error::UserCodeAlreadyUsed) => {
            let (code, client) =
                device_flow::decided_before(core, user_id, &user_code, decision).await?;
            if code.id != id {
                return Err(Error::UserCodeAlreadyUsed);
            }
            return Ok((code, client));
        }
        found => found?,
    };
    if code.id != id {
        // The user code now names another request.
        return Err(Error::UserCodeAlreadyUsed);
    }
    if core.clock.now_secs() >= expires_at {
        return Err(Error::StaleConsent);
    }
    if decision == Decision::Approve {
        super::step_up::check_approval(core, user_id, &client, proof.factor_at, None)
            .await
            .map_err(|e| match e {
                Error::SecondFactorNeeded { enrol, .. } => Error::SecondFactorNeeded {
                    enrol,
                    user_code: Some(user_code.display()),
                },
                other => other,
            })?;
    }
    device_flow::decide_code(
        core,
        user_id,
        code,
        client,
        decision,
        ip,
        proof.authentication,
    )
    .await
}
