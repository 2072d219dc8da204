//! Decisions on device requests: looking a pending request up, approving
//! or denying it in one guarded write, and confirming a decision sent
//! again by its author. Pages reach these only through the code-entry
//! guard or a consent ticket; see `code_guard.rs` and `consent.rs`.

use crate::domain::client::{self, Client};
use crate::domain::{Core, Error, Result};
use crate::model::audit::AuditAction;
use crate::model::authn::{Amr, Authentication};
use crate::model::device_code::Refusal;
use crate::model::ids::UserId;
use crate::model::{Decision, DeviceCode, DeviceState, UserCode, resource};
use crate::store::NewAuditEvent;

/// The live, undecided request with `user_code`, with its client.
/// Guessing is not limited here: pages reach this only through
/// [`crate::domain::code_guard::find_pending`] or with a consent ticket.
pub(crate) async fn lookup_pending(
    core: &Core,
    user_code: &UserCode,
) -> Result<(DeviceCode, Client)> {
    let code = core
        .store
        .device_code_for_entry(user_code, core.clock.now_ms())
        .await?
        .ok_or(Error::UnknownUserCode)?;
    if code.state != DeviceState::Pending {
        return Err(Error::UserCodeAlreadyUsed);
    }
    if code.is_expired(core.clock.secs()) {
        return Err(Error::ExpiredUserCode);
    }
    let client = client::find(core, &code.client_id)
        .await?
        .filter(client::Client::is_usable)
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
    let user_code = UserCode::parse(user_code).ok_or(Error::UnknownUserCode)?;
    let (code, client) = match lookup_pending(core, &user_code).await {
        Err(Error::UserCodeAlreadyUsed) => {
            return decided_before(core, user_id, &user_code, decision)
                .await
                .map(|(code, _)| code);
        }
        found => found?,
    };
    decide_code(
        core,
        user_id,
        code,
        client,
        decision,
        None,
        Authentication {
            time: core.clock.secs(),
            amr: Amr::password(),
        },
    )
    .await
    .map(|(code, _)| code)
}

/// The refusal of a transition out of pending, as a person sees it.
pub(crate) fn refused(refusal: Refusal) -> Error {
    match refusal {
        Refusal::Expired => Error::ExpiredUserCode,
        Refusal::WrongState { .. } => Error::UserCodeAlreadyUsed,
    }
}

/// Decides the pending `code` as `user_id`, a person at `ip` (which the
/// audit log records) who signed in as `authn` says; returns the decided
/// code and its client.
pub(crate) async fn decide_code(
    core: &Core,
    user_id: &str,
    code: DeviceCode,
    client: Client,
    decision: Decision,
    ip: Option<String>,
    authn: Authentication,
) -> Result<(DeviceCode, Client)> {
    let decided = code
        .decided(decision, &UserId::from(user_id), core.clock.secs(), authn)
        .map_err(refused)?;
    let audit = crate::domain::audit::stamp(
        core,
        NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id: Some(code.client_id.to_string()),
            target: Some(code.user_code.display()),
            ip,
            detail: Some(resource::describe(&code.scope, &code.resources)),
            ..NewAuditEvent::new(match decision {
                Decision::Approve => AuditAction::DeviceApproved,
                Decision::Deny => AuditAction::DeviceDenied,
            })
        },
    );
    let written = core
        .store
        .decide_device_code(
            decision.transition(),
            &decided,
            core.clock.now_ms(),
            Some(&audit),
        )
        .await?;
    if !written {
        // Someone decided first, or it expired between the read and the write.
        return Err(if code.is_expired(core.clock.secs()) {
            Error::ExpiredUserCode
        } else {
            Error::UserCodeAlreadyUsed
        });
    }
    tracing::info!(client_id = %code.client_id, ?decision, "device code decided");
    core.metrics.device_code(match decision {
        Decision::Approve => crate::metrics::DeviceCodeEvent::Approved,
        Decision::Deny => crate::metrics::DeviceCodeEvent::Denied,
    });
    Ok((decided, client))
}

/// A decision sent again by the person who made it — their first answer
/// was lost to an outage (a 503 page, though the write committed) — is
/// confirmed, not refused: the code is in the state they asked for, by
/// them. Anything else is `UserCodeAlreadyUsed`.
pub(crate) async fn decided_before(
    core: &Core,
    user_id: &str,
    user_code: &UserCode,
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
        .filter(client::Client::is_usable)
        .ok_or(Error::UnknownUserCode)?;
    Ok((code, client))
}
