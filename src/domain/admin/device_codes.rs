//! Device requests: the live table and denying a pending one.

use super::{Actor, Ctx, PAGE_SIZE, record};
use crate::domain::{Error, Result};
use crate::model::Standing;
use crate::model::audit::AuditAction;
use crate::model::device_code::Refusal;
use crate::model::ids::UserId;
use crate::model::time::UnixSecs;
use crate::model::{DeviceCode, Transition};
use crate::store::{CodeCursor, DeviceCodeFilter, DeviceCodeListing};

/// A device code in the admin table.
#[derive(Debug, Clone)]
pub struct DeviceCodeEntry {
    pub listing: DeviceCodeListing,
    pub status: Standing,
}

/// A page of the device-code table.
#[derive(Debug, Clone)]
pub struct DeviceCodesPage {
    pub entries: Vec<DeviceCodeEntry>,
    /// Where the next page starts, when there is one.
    pub next: Option<CodeCursor>,
    /// Live pending codes in all (of the filtered client, if any), from the
    /// store's in-memory count: this instance's own changes at once, other
    /// instances' within a minute.
    pub pending: u64,
}

/// One page of device codes (live pending first, then newest first), the
/// one after `after` or the first.
pub async fn device_codes(
    ctx: &Ctx<'_>,
    filter: &DeviceCodeFilter<'_>,
    after: Option<&CodeCursor>,
) -> Result<DeviceCodesPage> {
    let now = ctx.clock.now_secs();
    let page = ctx
        .store
        .list_device_codes(filter, now, after, PAGE_SIZE)
        .await?;
    let pending = match filter.client_id {
        Some(client) => ctx.store.pending_codes_of(client, UnixSecs(now)).live,
        None => ctx.store.live_pending_codes(UnixSecs(now)),
    };
    Ok(DeviceCodesPage {
        entries: page
            .rows
            .into_iter()
            .map(|listing| DeviceCodeEntry {
                status: listing.code.standing(UnixSecs(now)),
                listing,
            })
            .collect(),
        next: page.next,
        pending,
    })
}

/// Denies a pending request on an administrator's behalf: the waiting
/// device gets `access_denied` at its next poll (RFC 8628 §3.5). The same
/// guarded transition as a person's denial, so it cannot overtake an
/// approval that won the race.
pub async fn cancel_device_code(ctx: &Ctx<'_>, actor: &Actor, id: &str) -> Result<DeviceCode> {
    let admin_id: UserId =
        actor.user_id.clone().map(UserId::from).ok_or_else(|| {
            Error::InvalidRequest("only a signed-in administrator can cancel".into())
        })?;
    let code = ctx
        .store
        .find_device_code_by_id(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such device request".into()))?;
    let now = ctx.clock.secs();
    let not_pending = |refusal: Refusal| match refusal {
        Refusal::Expired => Error::InvalidRequest("this request has already expired".into()),
        Refusal::WrongState { .. } => {
            Error::InvalidRequest("this request has already been decided".into())
        }
    };
    let cancelled = code.cancel(&admin_id, now).map_err(not_pending)?;
    let written = ctx
        .store
        .decide_device_code(Transition::Cancel, &cancelled, ctx.clock.now_ms(), None)
        .await?;
    if !written {
        // Decided or expired between the read and the write.
        let fresh = ctx.store.find_device_code_by_id(id).await?.unwrap_or(code);
        return Err(match fresh.check(Transition::Cancel, now) {
            Err(refusal) => not_pending(refusal),
            Ok(()) => Error::InvalidRequest("this request has already been decided".into()),
        });
    }
    let shown = code.user_code.display();
    tracing::info!(client_id = %code.client_id, user_code = %shown, "device request cancelled by an administrator");
    record(
        ctx,
        actor,
        AuditAction::AdminDeviceCodeCancelled,
        Some(shown),
        Some(code.client_id.to_string()),
        "pending request denied; the device receives access_denied".into(),
    )
    .await;
    Ok(cancelled)
}
