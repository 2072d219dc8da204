//! Device requests: the live table and denying a pending one.

use super::{Actor, Ctx, DEVICE_CODE_ROWS, DeviceCodeStatus, record};
use crate::domain::device_flow::{Decision, DeviceCode, DeviceState, format_user_code};
use crate::domain::{Error, Result};
use crate::model::audit::AuditAction;
use crate::store::{DeviceCodeFilter, DeviceCodeListing};

/// A device code in the admin table.
#[derive(Debug, Clone)]
pub struct DeviceCodeEntry {
    pub listing: DeviceCodeListing,
    pub status: DeviceCodeStatus,
}

pub async fn device_codes(
    ctx: &Ctx<'_>,
    filter: &DeviceCodeFilter<'_>,
) -> Result<Vec<DeviceCodeEntry>> {
    let now = ctx.clock.now_secs();
    let rows = ctx
        .store
        .list_device_codes(filter, now, DEVICE_CODE_ROWS)
        .await?;
    Ok(rows
        .into_iter()
        .map(|listing| DeviceCodeEntry {
            status: DeviceCodeStatus::of(&listing.code, now),
            listing,
        })
        .collect())
}

/// Denies a pending request on an administrator's behalf: the waiting
/// device gets `access_denied` at its next poll (RFC 8628 §3.5). The same
/// guarded transition as a person's denial, so it cannot overtake an
/// approval that won the race.
pub async fn cancel_device_code(ctx: &Ctx<'_>, actor: &Actor, id: &str) -> Result<DeviceCode> {
    let admin_id = actor
        .user_id
        .clone()
        .ok_or_else(|| Error::InvalidRequest("only a signed-in administrator can cancel".into()))?;
    let code = ctx
        .store
        .find_device_code_by_id(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such device request".into()))?;
    let now = ctx.clock.now_secs();
    let not_pending = |code: &DeviceCode| {
        if code.state != DeviceState::Pending {
            Error::InvalidRequest("this request has already been decided".into())
        } else {
            Error::InvalidRequest("this request has already expired".into())
        }
    };
    if code.state != DeviceState::Pending || code.is_expired(now) {
        return Err(not_pending(&code));
    }
    let denied = ctx
        .store
        .decide_device_code(&code.id, Decision::Deny, &admin_id, now, None)
        .await?;
    // Denied now, or found no longer pending: the verification page no
    // longer offers it either way.
    ctx.store.changes().forget_pending(&code.user_code);
    if denied.is_none() {
        // Decided or expired between the read and the write.
        let fresh = ctx.store.find_device_code_by_id(id).await?.unwrap_or(code);
        return Err(not_pending(&fresh));
    }
    let shown = format_user_code(&code.user_code);
    tracing::info!(client_id = %code.client_id, user_code = %shown, "device request cancelled by an administrator");
    record(
        ctx,
        actor,
        AuditAction::AdminDeviceCodeCancelled,
        Some(shown),
        Some(code.client_id.clone()),
        "pending request denied; the device receives access_denied".into(),
    )
    .await;
    Ok(DeviceCode {
        state: DeviceState::Denied {
            user_id: admin_id,
            decided_at: now,
        },
        ..code
    })
}
