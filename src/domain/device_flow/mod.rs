//! The device authorization grant (RFC 8628): issuing codes and answering
//! polls. The code's states and transitions are the model's
//! ([`crate::model::device_code`]); the store answers polls from its memory
//! and keeps that memory coherent ([`crate::store::Store::poll_device_code`]).
//! What is decided here is what a poll gets and what a redemption issues.

use super::client::{self, Client, ClientCredentials};
use super::token::{self, IssuedToken};
use super::{Core, Error, Result, audit, secs};
use crate::crypto::device_code;
use crate::metrics::Limit;
use crate::model::audit::AuditAction;
use crate::model::client::GrantType;
use crate::model::device_code::Paced;
use crate::model::resource;
use crate::model::scope::Scopes;
use crate::model::time::UnixSecs;
use crate::model::{DeviceCode, Secret};
use crate::store::{self, Memory, NewAuditEvent, NewDeviceCode, Polled};

mod decide;
pub use decide::*;

/// Finished and expired codes are kept this long, so late polls still get
/// `expired_token` or `invalid_grant` (and the admin view shows history).
pub const RETENTION_SECS: i64 = 24 * 60 * 60;
/// The longest User-Agent kept with a request.
const MAX_USER_AGENT: usize = 512;

/// A device's request for authorization (RFC 8628 §3.1).
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub client: ClientCredentials,
    pub scope: Option<String>,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    /// RFC 7636 on the device grant (optional): S256 only.
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// RFC 8707 `resource` parameters: each one of the client's registered
    /// resources, else `invalid_target`.
    pub resources: Vec<String>,
}

/// The answer to a device (RFC 8628 §3.2).
#[derive(Debug, Clone)]
pub struct Started {
    pub device_code: Secret,
    /// Display form, `XXXX-XXXX`.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Issues a device code and user code to an authenticated client.
pub async fn start(core: &Core, req: StartRequest) -> Result<Started> {
    let client = client::authenticate_for(core, &req.client, GrantType::DeviceCode).await?;
    let scope = resolve_scope(&client, req.scope.as_deref())?;
    super::oidc::check_available(core, &scope)?;
    let resources = resource::check_requested(&req.resources, &client.resources)
        .map_err(Error::InvalidTarget)?;
    let code_challenge = pkce(
        req.code_challenge.as_deref(),
        req.code_challenge_method.as_deref(),
    )?;
    within_ceiling(core, &client, req.requester_ip.clone()).await?;
    let device_code = device_code::issue(&core.random, core.clock.now_ms());
    let now = core.clock.now_secs();
    let expires_in = secs(core.policy.device_code_ttl);
    let interval = secs(core.policy.poll_interval);
    let user_agent = req.user_agent.map(|ua| truncate(ua, MAX_USER_AGENT));
    // A clash among 20^8 codes is rare but possible; try a few fresh ones.
    for _ in 0..8 {
        let user_code = core.random.user_code();
        let row = NewDeviceCode {
            id: core.random.ordered_id(core.clock.now_ms()).into(),
            device_code_hash: device_code::key(device_code.expose()),
            user_code: user_code.clone(),
            client_id: client.id.clone(),
            scope: scope.to_string(),
            interval_secs: interval,
            requester_ip: req.requester_ip.clone(),
            user_agent: user_agent.clone(),
            created_at: UnixSecs(now),
            expires_at: UnixSecs(now) + expires_in,
            code_challenge: code_challenge.clone(),
            resources: resources.clone(),
        };
        match core
            .store
            .issue_device_code(&row, core.clock.now_ms())
            .await
        {
            Ok(()) => {
                tracing::info!(client_id = %client.id, "device code issued");
                core.metrics
                    .device_code(crate::metrics::DeviceCodeEvent::Issued);
                let verification_uri = core.policy.verification_uri();
                let display = user_code.display();
                return Ok(Started {
                    device_code,
                    verification_uri_complete: format!("{verification_uri}?user_code={display}"),
                    verification_uri,
                    user_code: display,
                    expires_in,
                    interval,
                });
            }
            Err(store::Error::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "could not allocate a unique user code".into(),
    ))
}

/// Refuses a device request while `client` has MAX_PENDING_CODES_PER_CLIENT
/// live pending codes, so that no client — or whoever uses a public
/// client's id, from any number of addresses — grows the table without
/// bound. The device is told to come back when the first of them expires
/// (at most a minute: decisions free slots too).
async fn within_ceiling(core: &Core, client: &Client, ip: Option<String>) -> Result<()> {
    let Some(max) = core.policy.max_pending_codes_per_client else {
        return Ok(());
    };
    let now = core.clock.secs();
    let pending = core.store.pending_codes_of(&client.id, now);
    if pending.live < max {
        return Ok(());
    }
    core.metrics.rate_limited(Limit::ClientPendingCodes);
    let retry_after_secs = pending.first_expiry.map_or(60, |at| at - now).clamp(1, 60);
    let due = {
        let mut last = core
            .cap_notices
            .entry(client.id.to_string())
            .or_insert(i64::MIN);
        let due = now.0.saturating_sub(*last) >= 60;
        if due {
            *last = now.0;
        }
        due
    };
    if due {
        tracing::warn!(client_id = %client.id, live = pending.live, max, "client at its ceiling of pending device codes");
        audit::record(
            core,
            NewAuditEvent {
                client_id: Some(client.id.to_string()),
                ip,
                detail: Some(format!(
                    "{} pending device requests (MAX_PENDING_CODES_PER_CLIENT {max}); new ones refused",
                    pending.live
                )),
                ..NewAuditEvent::new(AuditAction::DeviceClientCapReached)
            },
        )
        .await;
    }
    Err(Error::TooManyPendingCodes { retry_after_secs })
}

/// The requested scope, or all the client may have when none is requested.
pub(crate) fn resolve_scope(client: &Client, requested: Option<&str>) -> Result<Scopes> {
    let requested = Scopes::parse(requested.unwrap_or("")).map_err(Error::InvalidScope)?;
    if requested.is_empty() {
        return Ok(client.allowed_scopes.clone());
    }
    let missing: Vec<&str> = requested.missing_from(&client.allowed_scopes).collect();
    if missing.is_empty() {
        Ok(requested)
    } else {
        Err(Error::InvalidScope(format!(
            "scope not allowed for this client: {}",
            missing.join(" ")
        )))
    }
}

/// The device request's PKCE challenge (RFC 7636 §4.3), optional here as
/// RFC 8628 does not require it; as at the authorization endpoint only
/// S256 is accepted (a missing method means `plain`).
fn pkce(challenge: Option<&str>, method: Option<&str>) -> Result<Option<String>> {
    let invalid = |why: &str| Err(Error::InvalidRequest(why.to_owned()));
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => invalid("code_challenge_method was sent without code_challenge"),
        (Some(_), method) if method != Some("S256") => {
            invalid("code_challenge_method must be S256; plain is not supported")
        }
        (Some(c), _) if !crate::model::authorization_code::valid_challenge(c) => {
            invalid("code_challenge must be 43 base64url characters (an S256 challenge)")
        }
        (Some(c), _) => Ok(Some(c.to_owned())),
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A device's token request with the device-code grant (RFC 8628 §3.4).
#[derive(Debug, Clone)]
pub struct PollRequest {
    pub client: ClientCredentials,
    pub device_code: Secret,
    /// RFC 7636 §4.5: required when the device request sent a challenge.
    pub code_verifier: Option<Secret>,
    /// RFC 8707 §2.2: a subset of the approved resources for this token.
    pub resources: Vec<String>,
    /// The thumbprint of the key a valid DPoP proof proved (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// Answers one poll: an error that speaks RFC 8628 §3.5, or the token.
/// The store answers pending codes from memory (see
/// [`crate::store::Store::poll_device_code`]); a redemption that loses after
/// an answer from memory asks the database again, which tells a replay
/// (tokens revoked) from a race.
pub async fn poll(core: &Core, req: PollRequest) -> Result<IssuedToken> {
    let client = client::authenticate_for(core, &req.client, GrantType::DeviceCode).await?;
    let hash = device_code::key(req.device_code.expose());
    let verifier = req.code_verifier.as_ref().map(Secret::expose);
    let dpop = req.dpop_jkt.as_deref();
    let now_ms = core.clock.now_ms();
    let mut polled = core
        .store
        .poll_device_code(&hash, &client.id, now_ms, Memory::Use)
        .await?;
    if let Polled::Redeem {
        code,
        user_id,
        remembered: true,
    } = &polled
    {
        match token::redeem_device_code(
            core,
            &client,
            code,
            user_id,
            verifier,
            &req.resources,
            dpop,
        )
        .await
        {
            Err(Error::InvalidGrant(_)) => {
                polled = core
                    .store
                    .poll_device_code(&hash, &client.id, now_ms, Memory::Skip)
                    .await?;
            }
            answer => return answer,
        }
    }
    match polled {
        Polled::Paced(Paced::Pending(_)) => Err(Error::AuthorizationPending),
        Polled::Paced(Paced::SlowDown(update)) => Err(Error::SlowDown {
            interval: update.interval_secs,
        }),
        Polled::Foreign => Err(foreign_code()),
        Polled::Unknown => Err(Error::InvalidGrant("unknown device code".into())),
        Polled::Denied => Err(Error::AccessDenied),
        Polled::Expired => {
            core.metrics
                .device_code(crate::metrics::DeviceCodeEvent::Expired);
            Err(Error::ExpiredToken)
        }
        Polled::Redeem { code, user_id, .. } => {
            token::redeem_device_code(
                core,
                &client,
                &code,
                &user_id,
                verifier,
                &req.resources,
                dpop,
            )
            .await
        }
        Polled::Replayed(code) => replayed(core, &client, &code).await,
    }
}

/// A redeemed code presented again: unless its redemption's answer was
/// lost (see domain/token), it has leaked, and its tokens are revoked.
async fn replayed(core: &Core, client: &Client, code: &DeviceCode) -> Result<IssuedToken> {
    if let Some(tokens) = token::retried(core, client, code).await? {
        return Ok(tokens);
    }
    let now = core.clock.now_secs();
    let mut revoked = core
        .store
        .revoke_tokens_of_device_code(&code.id, now)
        .await?;
    if let Some(grant) = core.store.grant_of_device_code(&code.id).await? {
        revoked += u64::from(core.store.revoke_grant(&grant, None, now).await?);
    }
    tracing::warn!(
        client_id = %client.id,
        revoked,
        "redeemed device code presented again; its tokens are revoked"
    );
    if revoked > 0 {
        core.metrics.tokens_revoked(crate::metrics::Revoker::Replay);
    }
    Err(Error::InvalidGrant(
        "the device code has already been used".into(),
    ))
}

fn foreign_code() -> Error {
    Error::InvalidGrant("the device code was issued to another client".into())
}

/// Writes the pacing of live polls to the database: for the admin views,
/// for other instances, and so a restart keeps grown intervals. Returns how
/// many codes were written. Run every second and at shutdown.
pub async fn write_behind_polls(core: &Core) -> Result<usize> {
    Ok(core.store.save_polls(core.clock.now_secs()).await?)
}
