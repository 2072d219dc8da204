//! Recording security-relevant events. Best effort: a failed audit write is
//! logged loudly but does not undo or fail the action it describes.

use super::Core;
use crate::store::NewAuditEvent;

/// Writes `event` (its id and time are filled in here).
pub async fn record(core: &Core, event: NewAuditEvent) {
    let event = NewAuditEvent {
        id: core.random.uuid(),
        at: core.clock.now_secs(),
        ..event
    };
    if let Err(e) = core.store.insert_audit_event(&event).await {
        tracing::error!(error = %e, action = event.action, "could not write an audit event");
    }
}
