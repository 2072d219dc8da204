//! Administrators' decisions on clients that registered themselves (RFC
//! 7591): approve (optionally with the resources its tokens may be for)
//! or reject. Both take effect at once on every instance (the store bumps
//! the clients' generation) and are audited with the registration.

use super::{Actor, Ctx, find_client, record, resources};
use crate::domain::registration::describe;
use crate::domain::{Error, Result};
use crate::model::audit::AuditAction;
use crate::model::client::ClientStatus;
use crate::model::registration::Registration;

/// How a client registered itself; `None` for clients an administrator
/// made.
pub async fn client_registration(ctx: &Ctx<'_>, id: &str) -> Result<Option<Registration>> {
    Ok(ctx.store.find_registration(id).await?)
}

/// How many clients wait for a decision.
pub async fn pending_clients(ctx: &Ctx<'_>) -> Result<i64> {
    Ok(ctx.store.count_pending_clients().await?)
}

/// Approves (`approve`) or rejects a pending client. `resources` (approval
/// only) are checked as `authgate client add --resource` checks them. A
/// client that is not pending is [`Error::Refused`]: someone decided first.
pub async fn decide_client<S: AsRef<str>>(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    approve: bool,
    resource_uris: &[S],
) -> Result<()> {
    let client = find_client(ctx, id).await?;
    let resources = if approve {
        resources(resource_uris).map_err(|errors| {
            Error::InvalidRequest(
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?
    } else {
        client.resources.clone()
    };
    let (to, action, verb) = if approve {
        (
            ClientStatus::Approved,
            AuditAction::AdminClientApproved,
            "approved",
        )
    } else {
        (
            ClientStatus::Rejected,
            AuditAction::AdminClientRejected,
            "rejected",
        )
    };
    if !ctx
        .store
        .decide_client(&client.id, to, &resources, ctx.clock.now_secs())
        .await?
    {
        return Err(Error::Refused(format!(
            "this client is not waiting for approval (it is {})",
            client.status.as_str()
        )));
    }
    let registration = ctx.store.find_registration(&client.id).await?;
    let mut detail = format!("client \"{}\" {verb}", client.name);
    if approve && !resources.is_empty() {
        detail.push_str(&format!(", resources {}", resources.join(" ")));
    }
    if let Some(r) = &registration {
        detail.push_str(&format!(
            "; registered from {} ({}): {}",
            r.requester_ip.as_deref().unwrap_or("an unknown address"),
            r.user_agent.as_deref().unwrap_or("no user agent"),
            describe(&r.metadata)
        ));
    }
    tracing::info!(client_id = %client.id, decision = verb, "client registration decided");
    record(
        ctx,
        actor,
        action,
        Some(client.id.to_string()),
        Some(client.id.to_string()),
        detail,
    )
    .await;
    Ok(())
}
