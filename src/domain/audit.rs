//! Recording security-relevant events. Events of the device flow's state
//! changes commit with the change itself ([`stamp`] them and hand them to
//! the store); the others are best effort: a failed audit write is logged
//! loudly but does not undo or fail the action it describes.

use super::Core;
use crate::clock::Clock;
use crate::crypto::random::Random;
use crate::store::{NewAuditEvent, Store};

/// Writes `event` (its id and time are filled in here).
pub async fn record(core: &Core, event: NewAuditEvent) {
    write(&core.store, core.clock.as_ref(), &core.random, event).await;
}

/// `event` with its id and time filled in.
pub fn stamp(core: &Core, event: NewAuditEvent) -> NewAuditEvent {
    stamped(core.clock.as_ref(), &core.random, event)
}

fn stamped(clock: &dyn Clock, random: &Random, event: NewAuditEvent) -> NewAuditEvent {
    NewAuditEvent {
        id: random.ordered_id(clock.now_ms()),
        at: clock.now_secs(),
        ..event
    }
}

/// [`record`] for callers without a [`Core`] (the admin commands).
pub async fn write(store: &Store, clock: &dyn Clock, random: &Random, event: NewAuditEvent) {
    let event = stamped(clock, random, event);
    if let Err(e) = store.insert_audit_event(&event).await {
        tracing::error!(error = %e, action = %event.action, "could not write an audit event");
    }
}
