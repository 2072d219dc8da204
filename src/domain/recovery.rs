//! Recovery codes: ten single-use codes made when two-step sign-in is
//! turned on (and again on request), each good for one sign-in in place of
//! a TOTP code. See model/recovery.rs for the codes themselves.
//!
//! The codes are returned once, to be shown once; only their hashes are
//! kept. At sign-in a typed code is checked against every unused hash of
//! the person, then spent with the store's guarded update, so two requests
//! racing with one code sign in once. Wrong codes count against the same
//! lock-outs as wrong passwords and TOTP codes (see `throttle.rs`): the
//! code step is one budget, whichever kind of code is typed.

use std::net::IpAddr;

use super::{Core, Error, Result, totp};
use crate::crypto::password;
use crate::metrics::Factor;
use crate::model::audit::AuditAction;
use crate::model::recovery::{self, RecoveryCount, SET_SIZE};
use crate::model::time::UnixSecs;
use crate::store::NewAuditEvent;

fn event(action: AuditAction, user_id: &str, ip: Option<IpAddr>, detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: Some(user_id.to_owned()),
        ip: ip.map(|ip| ip.to_string()),
        detail: Some(detail.to_owned()),
        ..NewAuditEvent::new(action)
    }
}

/// How many of `user_id`'s codes are left, of how many.
pub async fn count(core: &Core, user_id: &str) -> Result<RecoveryCount> {
    Ok(core.store.recovery_count(user_id).await?)
}

/// Makes a new set of codes for `user_id`, replacing any old set, and
/// returns them in display form (`xxxxx-xxxxx`) to be shown once.
/// [`Error::Refused`] when two-step sign-in is not on.
pub async fn generate(core: &Core, user_id: &str, ip: Option<IpAddr>) -> Result<Vec<String>> {
    if !totp::is_on(core, user_id).await? {
        return Err(Error::Refused("two-step sign-in is not on".into()));
    }
    let codes: Vec<String> = (0..SET_SIZE)
        .map(|_| recovery::draw(|buf| core.random.fill(buf)))
        .collect();
    let hashes = password::hash_codes(codes.clone()).await?;
    let rows: Vec<(String, String)> = hashes
        .into_iter()
        .map(|hash| (core.random.uuid(), hash))
        .collect();
    let now = UnixSecs(core.clock.now_secs());
    if !core
        .store
        .replace_recovery_codes(user_id, &rows, now)
        .await?
    {
        // Turned off between the check and the write.
        return Err(Error::Refused("two-step sign-in is not on".into()));
    }
    super::audit::record(
        core,
        event(
            AuditAction::RecoveryCodesGenerated,
            user_id,
            ip,
            &format!("{SET_SIZE} codes; any earlier set no longer works"),
        ),
    )
    .await;
    Ok(codes.iter().map(|c| recovery::display(c)).collect())
}

/// Turns two-step sign-in on with its first code (see [`totp::confirm`])
/// and makes the first set of recovery codes, returned to be shown once.
pub async fn confirm_totp(
    core: &Core,
    user_id: &str,
    username: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<Vec<String>> {
    totp::confirm(core, user_id, username, code, ip).await?;
    generate(core, user_id, ip).await
}

/// Spends the code `typed` if it is one of `user_id`'s unused codes.
/// False for anything else, including a code another request spent first.
async fn spend(core: &Core, user_id: &str, typed: &str) -> Result<bool> {
    let Some(code) = recovery::normalise(typed) else {
        return Ok(false);
    };
    let unused = core.store.unused_recovery_codes(user_id).await?;
    if unused.is_empty() {
        return Ok(false);
    }
    let hashes = unused.iter().map(|c| c.code_hash.clone()).collect();
    let Some(at) = password::find_code(code, hashes).await? else {
        return Ok(false);
    };
    let Some(row) = unused.get(at) else {
        return Ok(false);
    };
    let now = UnixSecs(core.clock.now_secs());
    Ok(core.store.use_recovery_code(user_id, &row.id, now).await?)
}

/// The second step of sign-in with a recovery code instead of a TOTP code,
/// for `username` (whose password was right), counted against the sign-in
/// lock-outs. Returns how many codes are left.
/// [`Error::TooManyAttempts`] while locked, [`Error::BadCredentials`] for
/// a wrong or used code, [`Error::Refused`] when two-step sign-in was
/// turned off meanwhile.
pub async fn verify(
    core: &Core,
    user_id: &str,
    username: &str,
    typed: &str,
    ip: Option<IpAddr>,
) -> Result<RecoveryCount> {
    let attempt = super::throttle::begin_sign_in(core, username, ip).await?;
    if !totp::is_on(core, user_id).await? {
        return Err(Error::Refused("two-step sign-in was turned off".into()));
    }
    if !spend(core, user_id, typed).await? {
        core.metrics.sign_in_failed();
        core.metrics.factor_used(Factor::RecoveryCode, false);
        super::audit::record(
            core,
            event(
                AuditAction::RecoveryCodeFailed,
                user_id,
                ip,
                "wrong or used recovery code",
            ),
        )
        .await;
        return Err(Error::BadCredentials);
    }
    attempt.succeeded(core).await?;
    core.metrics.factor_used(Factor::RecoveryCode, true);
    let left = count(core, user_id).await?;
    super::audit::record(
        core,
        event(
            AuditAction::RecoveryCodeUsed,
            user_id,
            ip,
            &format!("{} of {} left", left.left, left.total),
        ),
    )
    .await;
    if left.exhausted() {
        tracing::warn!(user_id = %user_id, "last recovery code used");
        super::audit::record(
            core,
            event(
                AuditAction::RecoveryCodesExhausted,
                user_id,
                ip,
                "no recovery codes left",
            ),
        )
        .await;
    }
    Ok(left)
}
