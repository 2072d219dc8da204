//! The person's answer to an authorization request: the consent ticket the
//! page carries, and the approval that issues a code or the denial.
//!
//! The consent page hands the browser a ticket holding the checked request,
//! sealed (`crypto/seal.rs`) under the session's secret CSRF token and the
//! signed-in user, valid for [`TICKET_TTL_SECS`] (the device flow's
//! tickets work alike, see `consent.rs`). The decision endpoint trusts
//! only what the ticket holds, so a forged form cannot change the client,
//! the redirect URI, the scope or the PKCE challenge the person saw.

use serde::{Deserialize, Serialize};

use super::remembered::remember;
use super::{AuthorizationRequest, ErrorRedirect, answer_uri, error_location};
use crate::crypto::hash_secret;
use crate::domain::{Core, Error, Result, audit, client, secs};
use crate::model::Decision;
use crate::model::audit::AuditAction;
use crate::model::authn::{Acr, Authentication, SessionProof};
use crate::model::ids::ClientId;
use crate::model::scope::Scopes;
use crate::model::{redirect_uri, resource};
use crate::store::{NewAuditEvent, NewAuthorizationCode};

/// How long a consent page may be answered.
pub const TICKET_TTL_SECS: i64 = 10 * 60;

/// Sealed tickets of the two flows share a key: this prefix keeps one
/// from ever opening as the other.
const PREFIX: &str = "authorize:";

/// What a ticket holds: the checked request.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Ticket {
    client_id: String,
    redirect_uri: String,
    redirect_uri_given: bool,
    scope: String,
    state: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    /// The least `acr` the request's `acr_values` asked for.
    #[serde(default)]
    acr: Option<String>,
    /// The RFC 8707 resources the person saw and approves.
    #[serde(default)]
    resources: Vec<String>,
    /// RFC 9449 §10 `dpop_jkt`.
    #[serde(default)]
    dpop_jkt: Option<String>,
    expires_at: i64,
}

/// The ticket of `request`, fresh for [`TICKET_TTL_SECS`].
pub(super) fn ticket_of(core: &Core, request: &AuthorizationRequest) -> Ticket {
    Ticket {
        client_id: request.client.id.to_string(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_given: request.redirect_uri_given,
        scope: request.scope.to_string(),
        state: request.state.clone(),
        code_challenge: request.code_challenge.clone(),
        nonce: request.nonce.clone(),
        acr: request.acr.map(|a| a.as_str().to_owned()),
        resources: request.resources.clone(),
        dpop_jkt: request.dpop_jkt.clone(),
        expires_at: core.clock.now_secs() + TICKET_TTL_SECS,
    }
}

/// What a ticket binds to: the session's secret and its user.
fn binding(session_secret: &str, user_id: &str) -> String {
    format!("{session_secret}\u{0}{user_id}")
}

/// A ticket for `user_id` in the session whose secret is `session_secret`
/// to answer `request`.
pub fn issue_ticket(
    core: &Core,
    session_secret: &str,
    user_id: &str,
    request: &AuthorizationRequest,
) -> Result<String> {
    let ticket = ticket_of(core, request);
    let payload = serde_json::to_string(&ticket).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(core.consent.seal(
        &binding(session_secret, user_id),
        &format!("{PREFIX}{payload}"),
    ))
}

fn stale() -> Error {
    Error::InvalidAuthorizationRequest(
        "This approval page has expired or was not issued to you. Go back to the \
         application and sign in again."
            .into(),
    )
}

/// Answers the request named by `ticket` (issued to this session and user,
/// and still fresh) with `decision` by `user_id`, whose session brings
/// `proof`, from `ip`: the address the browser goes to next — the application's
/// redirect URI with `code` or `error=access_denied`, and `state` and
/// `iss`. A stale ticket, or a client disabled or a redirect URI
/// unregistered since the page was shown, is
/// [`Error::InvalidAuthorizationRequest`].
pub async fn decide(
    core: &Core,
    session_secret: &str,
    user_id: &str,
    proof: SessionProof,
    ticket: &str,
    decision: Decision,
    ip: Option<String>,
) -> Result<String> {
    let payload = core
        .consent
        .open(&binding(session_secret, user_id), ticket)
        .ok_or_else(stale)?;
    let ticket: Ticket = payload
        .strip_prefix(PREFIX)
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or_else(stale)?;
    if core.clock.now_secs() >= ticket.expires_at {
        return Err(stale());
    }
    let client = client::find(core, &ticket.client_id)
        .await?
        .filter(client::Client::is_usable)
        .ok_or_else(|| {
            Error::InvalidAuthorizationRequest("The application is no longer available.".into())
        })?;
    let registered = core.store.client_redirect_uris(&client.id).await?;
    if !redirect_uri::is_registered(&registered, &ticket.redirect_uri) {
        return Err(Error::InvalidAuthorizationRequest(
            "The address the application asked to return to is no longer registered.".into(),
        ));
    }
    if decision == Decision::Approve {
        let acr = ticket.acr.as_deref().and_then(Acr::parse);
        crate::domain::step_up::check_approval(core, user_id, &client, proof.factor_at, acr)
            .await?;
    }
    let event = NewAuditEvent {
        actor: Some(user_id.to_owned()),
        client_id: Some(client.id.to_string()),
        target: Some(redirect_uri::destination(&ticket.redirect_uri)),
        ip,
        detail: Some(resource::describe(&ticket.scope, &ticket.resources)),
        ..NewAuditEvent::new(match decision {
            Decision::Approve => AuditAction::AppApproved,
            Decision::Deny => AuditAction::AppDenied,
        })
    };
    if decision == Decision::Deny {
        tracing::info!(client_id = %client.id, "authorization request denied");
        audit::record(core, event).await;
        return Ok(error_location(
            core,
            &ErrorRedirect {
                redirect_uri: ticket.redirect_uri,
                error: "access_denied",
                description: "the user denied the request".into(),
                state: ticket.state,
            },
        ));
    }
    let scope = Scopes::parse(&ticket.scope).map_err(Error::Internal)?;
    let resources = ticket.resources.clone();
    let location = issue_code(core, &client.id, user_id, proof.authentication, ticket).await?;
    audit::record(core, event.clone()).await;
    remember(core, user_id, &client.id, &scope, &resources, event.ip).await?;
    Ok(location)
}

/// Stores a new code for what `ticket` holds; answers the address that
/// hands it to the application with `state` and `iss`.
pub(super) async fn issue_code(
    core: &Core,
    client_id: &ClientId,
    user_id: &str,
    authn: Authentication,
    ticket: Ticket,
) -> Result<String> {
    let code = core.random.token(32);
    let now = core.clock.secs();
    core.store
        .insert_authorization_code(&NewAuthorizationCode {
            id: core.random.ordered_id(core.clock.now_ms()).into(),
            code_hash: hash_secret(&code),
            client_id: client_id.clone(),
            user_id: user_id.into(),
            redirect_uri: ticket.redirect_uri.clone(),
            redirect_uri_given: ticket.redirect_uri_given,
            scope: ticket.scope,
            code_challenge: ticket.code_challenge,
            nonce: ticket.nonce,
            dpop_jkt: ticket.dpop_jkt,
            authn,
            created_at: now,
            expires_at: now + secs(core.policy.authorization_code_ttl),
            resources: ticket.resources,
        })
        .await?;
    tracing::info!(client_id = %client_id, "authorization code issued");
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = &ticket.state {
        pairs.push(("state", state.as_str()));
    }
    pairs.push(("iss", core.policy.issuer.as_str()));
    Ok(answer_uri(&ticket.redirect_uri, &pairs))
}
