//! What administrators may see and do: the overview, device codes, tokens,
//! clients, users and the audit log.
//!
//! Every change is audited with who made it and from where. Operations
//! need only the store, the clock and randomness ([`Ctx`]), so the
//! `authgate user|client` commands run them without a server. Inputs are
//! validated into typed specs first ([`client_spec`], [`user_spec`]), so a
//! form can show each problem beside its field.

mod audit_log;
mod client_keys;
mod clients;
mod device_codes;
mod factors;
mod overview;
mod profile;
mod registrations;
mod second_factor;
mod tokens;
mod users;

use std::net::IpAddr;

pub use audit_log::*;
pub use client_keys::*;
pub use clients::*;
pub use device_codes::*;
pub use factors::*;
pub use overview::*;
pub use profile::*;
pub use registrations::*;
pub use second_factor::*;
pub use tokens::*;
pub use users::*;

use super::user::User;
use super::{Core, audit};
use crate::clock::Clock;
use crate::crypto::random::Random;
use crate::model::audit::AuditAction;
use crate::store::{NewAuditEvent, Store};

/// Rows per page of the token, audit and device-code listings.
pub const PAGE_SIZE: i64 = 50;
/// Recent events on the overview.
pub const RECENT_EVENTS: i64 = 10;
/// Characters of a generated password (base64url of 12 random bytes).
const GENERATED_PASSWORD_BYTES: usize = 12;

/// What administrative operations need: no signer, no HTTP.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub clock: &'a dyn Clock,
    pub random: &'a Random,
}

impl<'a> Ctx<'a> {
    pub fn of(core: &'a Core) -> Self {
        Self {
            store: &core.store,
            clock: core.clock.as_ref(),
            random: &core.random,
        }
    }
}

/// Who makes a change, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The administrator's user id; `None` for the command line.
    pub user_id: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    /// A signed-in administrator at `ip`.
    pub fn admin(user: &User, ip: Option<IpAddr>) -> Self {
        Self {
            user_id: Some(user.id.to_string()),
            ip: ip.map(|ip| ip.to_string()),
        }
    }

    /// An operator running `authgate user|client ...`.
    pub fn command_line() -> Self {
        Self::default()
    }

    fn is(&self, user_id: &str) -> bool {
        self.user_id.as_deref() == Some(user_id)
    }
}

/// Writes an audit event for `actor`.
async fn record(
    ctx: &Ctx<'_>,
    actor: &Actor,
    action: AuditAction,
    target: Option<String>,
    client_id: Option<String>,
    detail: String,
) {
    let detail = if actor.user_id.is_none() {
        format!("{detail} (command line)")
    } else {
        detail
    };
    audit::write(
        ctx.store,
        ctx.clock,
        ctx.random,
        NewAuditEvent {
            actor: actor.user_id.clone(),
            client_id,
            target,
            ip: actor.ip.clone(),
            detail: Some(detail),
            ..NewAuditEvent::new(action)
        },
    )
    .await;
}

/// A problem with one field of a form (the `*_spec` validators return
/// them, so a form can show each beside its field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A message for one form field.
pub fn field_error(field: &'static str, message: &str) -> FieldError {
    FieldError {
        field,
        message: message.to_owned(),
    }
}
