//! Remembered consent: a request whose scopes a person already granted the
//! application is answered with a code at once, without the consent page
//! (OpenID Connect Core 1.0 §3.1.2.4 leaves asking again to the server).
//!
//! Approving stores the union of what was granted before and what is
//! approved now, so an application that asks for less one day and more
//! the next asks again only for what is new; `prompt=consent` always shows
//! the page; `prompt=none` without a covering consent is `consent_required`
//! (§3.1.2.6). Revoking the consent on /account forgets all of it.

use super::AuthorizationRequest;
use super::decision::{issue_code, ticket_of};
use crate::domain::{Core, Result, audit};
use crate::metrics::Revoker;
use crate::model::audit::AuditAction;
use crate::model::authn::Authentication;
use crate::model::ids::ClientId;
use crate::model::scope::Scopes;
use crate::model::{redirect_uri, resource};
use crate::store::NewAuditEvent;

/// The address that hands `request` a code at once when `user_id` (signed
/// in as `authn` says) already consented to all it asks and it does not ask
/// for the consent page; `None` when the page must be shown. With
/// `prompt=none` that is `consent_required` at the redirect URI instead.
pub async fn answer_remembered(
    core: &Core,
    user_id: &str,
    authn: Authentication,
    request: &AuthorizationRequest,
    ip: Option<String>,
) -> Result<Option<String>> {
    let consent = core.store.find_consent(user_id, &request.client.id).await?;
    let covered = !request.prompt.consent
        && consent.is_some_and(|c| c.covers(&request.scope, &request.resources));
    if !covered {
        return if request.prompt.none {
            Err(request.refusal(
                "consent_required",
                "the user has not consented to this request",
            ))
        } else {
            Ok(None)
        };
    }
    core.store
        .touch_consent(user_id, &request.client.id, core.clock.secs())
        .await?;
    let ticket = ticket_of(core, request);
    let location = issue_code(core, &request.client.id, user_id, authn, ticket).await?;
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id: Some(request.client.id.to_string()),
            target: Some(redirect_uri::destination(&request.redirect_uri)),
            ip,
            detail: Some(format!(
                "{} (remembered consent)",
                resource::describe(&request.scope.to_string(), &request.resources)
            )),
            ..NewAuditEvent::new(AuditAction::AppApproved)
        },
    )
    .await;
    Ok(Some(location))
}

/// Remembers that `user_id` approved `scope` and `resources` for
/// `client_id`: the union with an earlier consent. Audited when it adds
/// something.
pub(super) async fn remember(
    core: &Core,
    user_id: &str,
    client_id: &ClientId,
    scope: &Scopes,
    resources: &[String],
    ip: Option<String>,
) -> Result<()> {
    let before = core.store.find_consent(user_id, client_id).await?;
    let granted = match &before {
        Some(consent) if consent.covers(scope, resources) => None,
        Some(consent) => Some((
            consent.scope.union(scope),
            resource::union(&consent.resources, resources),
        )),
        None => Some((scope.clone(), resources.to_vec())),
    };
    let now = core.clock.secs();
    let Some((granted, granted_resources)) = granted else {
        core.store.touch_consent(user_id, client_id, now).await?;
        return Ok(());
    };
    core.store
        .save_consent(user_id, client_id, &granted, &granted_resources, now)
        .await?;
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id: Some(client_id.to_string()),
            ip,
            detail: Some(resource::describe(&granted.to_string(), &granted_resources)),
            ..NewAuditEvent::new(AuditAction::ConsentGiven)
        },
    )
    .await;
    Ok(())
}

/// Ends `user_id`'s consent for `client_id` and revokes their tokens for
/// it; `false` when there was none.
pub async fn revoke_consent(core: &Core, user_id: &str, client_id: &str) -> Result<bool> {
    let revoked = core
        .store
        .revoke_consent(user_id, client_id, core.clock.secs())
        .await?;
    if revoked {
        core.metrics.tokens_revoked(Revoker::User);
        tracing::info!(client_id, "consent revoked by the user");
        audit::record(
            core,
            NewAuditEvent {
                actor: Some(user_id.to_owned()),
                client_id: Some(client_id.to_owned()),
                detail: Some("revoked by the user with its tokens".into()),
                ..NewAuditEvent::new(AuditAction::ConsentRevoked)
            },
        )
        .await;
    }
    Ok(revoked)
}
