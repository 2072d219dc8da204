//! Decisions on device requests: looking a pending request up, approving
//! or denying it in one guarded write, and confirming a decision sent
//! again by its author. Pages reach these only through the code-entry
//! guard or a consent ticket; see `code_guard.rs` and `consent.rs`.

use super::{DeviceCode, DeviceState, format_user_code, normalize_user_code};
use crate::domain::client::{self, Client};
use crate::domain::{Core, Error, Result};
use crate::model::audit::AuditAction;

/// A person's decision on a device request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

/// The live, undecided request with the normalised `user_code`, with its
/// client. Guessing is not limited here: pages reach this only through
/// [`crate::domain::code_guard::find_pending`] or with a consent ticket.
pub(crate) async fn lookup_pending(core: &Core, user_code: &str) -> Result<(DeviceCode, Client)> {
    let changes = core.store.changes();
    let now_ms = core.clock.now_ms();
    let code = match changes.pending_code(user_code, now_ms) {
        Some(code) => code,
        None => {
            let code = core
                .store
                .find_device_code_by_user_code(user_code)
                .await?
                .ok_or(Error::UnknownUserCode)?;
            if code.state == DeviceState::Pending {
                changes.remember_pending(code.clone(), now_ms);
            }
            code
        }
    };
    if code.state != DeviceState::Pending {
        return Err(Error::UserCodeAlreadyUsed);
    }
    if code.is_expired(core.clock.now_secs()) {
        return Err(Error::ExpiredUserCode);
    }
    let client = client::find(core, &code.client_id)
        .await?
        .ok_or(Error::UnknownUserCode)?;
    Ok((code, client))
}

/// Records `user_id`'s approval or denial of the request with `user_code`,
/// for callers that are trusted with the code itself (the test harness,
/// tools); pages decide through a consent ticket (`consent.rs`). A denial
/// reaches the device at its next poll as `access_denied`.
pub async fn decide(
    core: &Core,
    user_id: &str,
    user_code: &str,
    decision: Decision,
) -> Result<DeviceCode> {
    let user_code = normalize_user_code(user_code).ok_or(Error::UnknownUserCode)?;
    let (code, client) = match lookup_pending(core, &user_code).await {
        Err(Error::UserCodeAlreadyUsed) => {
            return decided_before(core, user_id, &user_code, decision)
                .await
                .map(|(code, _)| code);
        }
        found => found?,
    };
    decide_code(core, user_id, code, client, decision, None)
        .await
        .map(|(code, _)| code)
}

/// Decides the pending `code` as `user_id`, a person at `ip` (which the
/// audit log records); returns the decided code and its client.
pub(crate) async fn decide_code(
    core: &Core,
    user_id: &str,
    code: DeviceCode,
    client: Client,
    decision: Decision,
    ip: Option<String>,
) -> Result<(DeviceCode, Client)> {
    let now = core.clock.now_secs();
    let audit = crate::domain::audit::stamp(
        core,
        crate::store::NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id: Some(code.client_id.clone()),
            target: Some(format_user_code(&code.user_code)),
            ip,
            detail: Some(format!("scope {}", code.scope)),
            ..crate::store::NewAuditEvent::new(match decision {
                Decision::Approve => AuditAction::DeviceApproved,
                Decision::Deny => AuditAction::DeviceDenied,
            })
        },
    );
    let changed = core
        .store
        .decide_device_code(&code.id, decision, user_id, now, Some(&audit))
        .await;
    // Decided now, or found not pending: either way no longer to be shown.
    core.store.changes().forget_pending(&code.user_code);
    let changed = changed?;
    let Some(hash) = changed else {
        // Someone decided first, or it expired between the read and the write.
        return Err(if code.is_expired(core.clock.now_secs()) {
            Error::ExpiredUserCode
        } else {
            Error::UserCodeAlreadyUsed
        });
    };
    tracing::info!(client_id = %code.client_id, ?decision, "device code decided");
    core.metrics.device_code(match decision {
        Decision::Approve => crate::metrics::DeviceCodeEvent::Approved,
        Decision::Deny => crate::metrics::DeviceCodeEvent::Denied,
    });
    let state = match decision {
        Decision::Approve => DeviceState::Approved {
            user_id: user_id.to_owned(),
            decided_at: now,
        },
        Decision::Deny => DeviceState::Denied {
            user_id: user_id.to_owned(),
            decided_at: now,
        },
    };
    let decided = DeviceCode { state, ..code };
    core.store
        .changes()
        .remember_decided(&hash, decided.clone(), core.clock.now_ms());
    Ok((decided, client))
}

/// A decision sent again by the person who made it — their first answer
/// was lost to an outage (a 503 page, though the write committed) — is
/// confirmed, not refused: the code is in the state they asked for, by
/// them. Anything else is `UserCodeAlreadyUsed`. `user_code` is normalised.
pub(crate) async fn decided_before(
    core: &Core,
    user_id: &str,
    user_code: &str,
    decision: Decision,
) -> Result<(DeviceCode, Client)> {
    let code = core
        .store
        .find_device_code_by_user_code(user_code)
        .await?
        .ok_or(Error::UnknownUserCode)?;
    let same = match (&code.state, decision) {
        (
            DeviceState::Approved { user_id: by, .. } | DeviceState::Redeemed { user_id: by, .. },
            Decision::Approve,
        )
        | (DeviceState::Denied { user_id: by, .. }, Decision::Deny) => by == user_id,
        _ => false,
    };
    if !same {
        return Err(Error::UserCodeAlreadyUsed);
    }
    let client = client::find(core, &code.client_id)
        .await?
        .ok_or(Error::UnknownUserCode)?;
    Ok((code, client))
}
