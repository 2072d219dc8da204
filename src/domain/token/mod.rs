//! Tokens: issuing them at redemption and refresh, inspecting, revoking.
//!
//! Access tokens are JWTs recorded by `jti`; refresh tokens are opaque
//! 256-bit values stored only as SHA-256. Both belong to a grant (one
//! approval); revoking the grant revokes them all.
//!
//! # A retry is not a replay
//!
//! A device code presented again after its redemption has leaked: RFC 8628
//! §5.2's answer, and ours, is to revoke what it produced. But a device
//! whose poll redeemed the code and then never heard the answer — the
//! database stalled past the write deadline, the request timed out, the
//! round committed only when the database resumed — presents the code again
//! at its next poll too. Revoking then would punish the device for our
//! outage: an acknowledged approval would end in `invalid_grant`.
//!
//! So a redemption's tokens are kept from before it is submitted until its
//! caller takes them (`Store::redeem_handing_out`), and a later poll that
//! meets the code redeemed first asks for them (`Store::reclaim_redemption`).
//! It receives them only if they are the tokens of the redemption the
//! database holds, nobody took them, the poll comes from the client the
//! code was issued to, and within `store::HOLD_MS` (two minutes) of the
//! redemption. Otherwise it is a replay.
//!
//! This gives a thief nothing a single redemption would not: the tokens
//! handed to a retry are the ones already issued and are handed out once.
//! A thief who presents the stolen code in the gap takes them instead of
//! the device, and the device's next poll is then a replay that revokes
//! them — as when a thief's poll wins the race outright. A thief who comes
//! after the device took them is a replay at once. A client secret, where
//! the client has one, must match as on every poll; a public client is only
//! the code, as the RFC has it.

use super::client::{self, Client, ClientCredentials};
use super::oidc::{self, IdTokenFor};
use super::{Core, Error, Result, audit, secs, user_agent};
use crate::crypto::hash_secret;
use crate::metrics::{Grant, Revoker};
use crate::model::audit::AuditAction;
use crate::model::authn::{Amr, Authentication};
use crate::model::client::GrantType;
use crate::model::device_code::Refusal;
use crate::model::refresh_token::{RefreshRefusal, RefreshToken};
use crate::model::resource;
use crate::model::scope::Scopes;
use crate::model::time::UnixSecs;
use crate::model::{DeviceCode, Secret};
use crate::store::{NewAuditEvent, NewGrant, RedemptionRows};

mod authorization_code;
mod client_credentials;
mod inspect;
mod mint;
pub use authorization_code::*;
pub use client_credentials::*;
pub use inspect::*;
use mint::{Issue, mint_access, mint_refresh};

pub use crate::model::token::IssuedToken;

/// Exchanges an approved device code for tokens, once.
///
/// The state change, the grant and the tokens commit in one transaction
/// whose `UPDATE` requires the code to still be approved: of any number of
/// concurrent redemptions exactly one succeeds; the others get
/// `invalid_grant`. `resources` are those the token request names (RFC
/// 8707 §2.2): a subset of the approved ones, else `invalid_target` and the
/// code stays approved.
pub async fn redeem_device_code(
    core: &Core,
    client: &Client,
    code: &DeviceCode,
    user_id: &str,
    code_verifier: Option<&str>,
    resources: &[String],
    dpop_jkt: Option<&str>,
) -> Result<IssuedToken> {
    let now = core.clock.now_secs();
    // The model's word on whether it may be redeemed now; the store's
    // guarded write still decides which of concurrent redemptions wins.
    code.redeem(core.clock.secs())
        .map_err(|refusal| match refusal {
            Refusal::Expired => Error::ExpiredToken,
            Refusal::WrongState { .. } => {
                Error::InvalidGrant("the device code is not approved".into())
            }
        })?;
    // RFC 7636 §4.6 on the device grant. A wrong or missing verifier
    // leaves the code approved: whoever lacks the verifier cannot take it,
    // and the device that has it still can.
    if !code.pkce_satisfied(code_verifier) {
        return Err(Error::InvalidGrant(
            "the code_verifier does not match the device request's code_challenge".into(),
        ));
    }
    let audience = code
        .resources_for(resources)
        .map_err(Error::InvalidTarget)?;
    // A code approved before methods were recorded stands for a
    // password at its decision.
    let authn = code.authn.clone().unwrap_or_else(|| Authentication {
        time: code.decided_at().unwrap_or(UnixSecs(now)),
        amr: Amr::password(),
    });
    let grant = NewGrant {
        id: core.random.ordered_id(core.clock.now_ms()),
        user_id: user_id.to_owned(),
        client_id: code.client_id.to_string(),
        scope: code.scope.clone(),
        device_code_id: Some(code.id.to_string()),
        device_label: Some(user_agent::describe(code.user_agent.as_deref())),
        requester_ip: code.requester_ip.clone(),
        now,
        auth_time: Some(authn.time.0),
        amr: Some(authn.amr.to_stored()),
        resources: resource::to_stored(&code.resources),
    };
    let issue = Issue {
        user_id,
        client_id: &code.client_id,
        scope: &code.scope,
        grant_id: &grant.id,
        dpop_jkt,
    };
    let access = mint_access(core, &issue, Some(&code.id), &audience)?;
    let id_token = oidc::id_token(
        core,
        IdTokenFor {
            user_id,
            client_id: &code.client_id,
            scope: &code.scope,
            authn: &authn,
            nonce: None,
            access_token: &access.jwt,
        },
    )
    .await?;
    let refresh = client.refresh_tokens.then(|| mint_refresh(core, &issue));
    let audit = audit::stamp(
        core,
        NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id: Some(code.client_id.to_string()),
            target: Some(access.row.jti.clone()),
            ip: code.requester_ip.clone(),
            detail: Some(format!(
                "device grant, {}",
                resource::describe(&code.scope, &audience)
            )),
            ..NewAuditEvent::new(AuditAction::TokenIssued)
        },
    );
    let rows = RedemptionRows {
        grant: &grant,
        access: &access.row,
        refresh: refresh.as_ref().map(|(_, row)| row),
        audit: Some(&audit),
    };
    let tokens = IssuedToken {
        access_token: access.jwt.clone(),
        expires_in: secs(core.policy.access_token_ttl),
        scope: code.scope.clone(),
        refresh_token: refresh.as_ref().map(|(secret, _)| secret.clone()),
        id_token,
        dpop_bound: access.row.dpop_jkt.is_some(),
    };
    match core
        .store
        .redeem_handing_out(&code.id, now, rows, tokens)
        .await?
    {
        Some(tokens) => {
            tracing::info!(client_id = %code.client_id, jti = %access.row.jti, "access token issued");
            core.metrics.token_issued(Grant::DeviceCode);
            Ok(tokens)
        }
        // Lost: perhaps to this device's own earlier poll, whose answer
        // was lost (see the module doc).
        None => match retried(core, client, code).await? {
            Some(tokens) => Ok(tokens),
            None => Err(Error::InvalidGrant(
                "the device code has already been used".into(),
            )),
        },
    }
}

/// The tokens of `code`'s redemption for a poll that meets it redeemed, if
/// that redemption's answer never reached anyone (see the module doc):
/// `None` means the poll is a replay or a lost race.
pub async fn retried(
    core: &Core,
    client: &Client,
    code: &DeviceCode,
) -> Result<Option<IssuedToken>> {
    let tokens = core
        .store
        .reclaim_redemption(&code.id, &client.id, core.clock.now_ms())
        .await?;
    if tokens.is_some() {
        tracing::info!(
            client_id = %client.id,
            "a redemption whose answer was lost is handed to the device's retry"
        );
        core.metrics.token_issued(Grant::DeviceCode);
    }
    Ok(tokens)
}

/// A `grant_type=refresh_token` request (RFC 6749 §6).
#[derive(Debug, Clone)]
pub struct RefreshRequest {
    pub client: ClientCredentials,
    pub refresh_token: Secret,
    pub scope: Option<String>,
    pub ip: Option<String>,
    /// RFC 8707 `resource` parameters: a subset of the grant's resources
    /// for this access token (all of them when none).
    pub resources: Vec<String>,
    /// The thumbprint of the key a valid DPoP proof proved (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// Rotates a refresh token: a new access token (scope and resources
/// narrowed if asked, never widened: `invalid_scope`, `invalid_target`) and
/// a new refresh token with the grant's full scope and resources.
/// Presenting an already-used refresh token revokes the whole grant
/// (OAuth 2.0 Security BCP §4.14: reuse means it leaked).
pub async fn refresh(core: &Core, req: RefreshRequest) -> Result<IssuedToken> {
    let client = client::authenticate_for(core, &req.client, GrantType::RefreshToken).await?;
    let invalid = |why: &str| Error::InvalidGrant(why.to_owned());
    let record = core
        .store
        .find_refresh_token(&hash_secret(req.refresh_token.expose()))
        .await?
        .ok_or_else(|| invalid("unknown refresh token"))?;
    let now = core.clock.now_secs();
    // Before the rotation: a token stolen without its key is refused, and
    // stays usable by the client that holds the key.
    record
        .proof_fits(req.dpop_jkt.as_deref(), !client.is_confidential())
        .map_err(|refusal| invalid(refusal.describe()))?;
    let rotated = match record.rotate(&client.id, UnixSecs(now)) {
        Ok(rotated) => rotated,
        Err(RefreshRefusal::Reused) => {
            reused(core, &record, &client.id, req.ip.clone(), now).await?;
            return Err(invalid(RefreshRefusal::Reused.describe()));
        }
        Err(refusal) => return Err(invalid(refusal.describe())),
    };
    let granted = Scopes::parse(&record.scope).map_err(Error::Internal)?;
    let requested =
        Scopes::parse(req.scope.as_deref().unwrap_or("")).map_err(Error::InvalidScope)?;
    let scope = if requested.is_empty() {
        granted.clone()
    } else if requested.is_subset_of(&granted) {
        requested
    } else {
        let wider: Vec<&str> = requested.missing_from(&granted).collect();
        return Err(Error::InvalidScope(format!(
            "a refresh cannot widen the scope: {} was not granted",
            wider.join(" ")
        )));
    };
    let audience = record
        .resources_for(&req.resources)
        .map_err(Error::InvalidTarget)?;
    let access = mint_access(
        core,
        &Issue {
            user_id: &record.user_id,
            client_id: &client.id,
            scope: &scope.to_string(),
            grant_id: &record.grant_id,
            dpop_jkt: req.dpop_jkt.as_deref(),
        },
        None,
        &audience,
    )?;
    // OpenID Connect Core §12.2: a new ID token, no nonce, the same
    // auth_time.
    let id_token = oidc::id_token(
        core,
        IdTokenFor {
            user_id: &record.user_id,
            client_id: &client.id,
            scope: &scope.to_string(),
            authn: &record.authn,
            nonce: None,
            access_token: &access.jwt,
        },
    )
    .await?;
    let (secret, next) = mint_refresh(
        core,
        &Issue {
            user_id: &record.user_id,
            client_id: &client.id,
            scope: &record.scope,
            grant_id: &record.grant_id,
            dpop_jkt: req.dpop_jkt.as_deref(),
        },
    );
    if !core
        .store
        .rotate_refresh_token(&rotated, &access.row, &next)
        .await?
    {
        // A concurrent refresh won the race with the same token: that is a
        // reuse too, and the grant goes.
        core.store.revoke_grant(&record.grant_id, None, now).await?;
        core.metrics.tokens_revoked(Revoker::Replay);
        return Err(invalid("the refresh token has already been used"));
    }
    core.metrics.token_issued(Grant::RefreshToken);
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(record.user_id.to_string()),
            client_id: Some(client.id.to_string()),
            target: Some(access.row.jti.clone()),
            ip: req.ip,
            detail: Some(resource::describe(&scope.to_string(), &audience)),
            ..NewAuditEvent::new(AuditAction::TokenRefreshed)
        },
    )
    .await;
    Ok(IssuedToken {
        access_token: access.jwt,
        expires_in: secs(core.policy.access_token_ttl),
        scope: scope.to_string(),
        refresh_token: Some(secret),
        id_token,
        dpop_bound: access.row.dpop_jkt.is_some(),
    })
}

/// An already-rotated refresh token presented again: it has leaked, so
/// its whole grant is revoked (OAuth 2.0 Security BCP §4.14) and audited.
async fn reused(
    core: &Core,
    record: &RefreshToken,
    client_id: &str,
    ip: Option<String>,
    now: i64,
) -> Result<()> {
    core.store.revoke_grant(&record.grant_id, None, now).await?;
    tracing::warn!(client_id = %client_id, grant_id = %record.grant_id, "refresh token reused; grant revoked");
    core.metrics.tokens_revoked(Revoker::Replay);
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(record.user_id.to_string()),
            client_id: Some(client_id.to_owned()),
            target: Some(record.grant_id.to_string()),
            ip,
            detail: Some(
                "an already-used refresh token was presented; all tokens of the grant revoked"
                    .into(),
            ),
            ..NewAuditEvent::new(AuditAction::RefreshTokenReused)
        },
    )
    .await;
    Ok(())
}

/// Which kind of token a caller says it holds (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHint {
    AccessToken,
    RefreshToken,
    None,
}

impl TokenHint {
    /// Unknown hints are ignored, as both RFCs allow.
    pub fn parse(hint: Option<&str>) -> Self {
        match hint {
            Some("access_token") => TokenHint::AccessToken,
            Some("refresh_token") => TokenHint::RefreshToken,
            _ => TokenHint::None,
        }
    }
}

/// Revokes a token presented by its client (RFC 7009). Unknown tokens,
/// and tokens of other clients, are not an error: the answer is the same
/// 200 either way, so it reveals nothing.
pub async fn revoke(
    core: &Core,
    creds: &ClientCredentials,
    token: &str,
    hint: TokenHint,
    ip: Option<String>,
) -> Result<()> {
    let client = client::authenticate(core, creds).await?;
    let now = core.clock.now_secs();
    let try_refresh = || async {
        core.store
            .revoke_refresh_token(&hash_secret(token), &client.id, now)
            .await
            .map_err(Error::from)
    };
    let try_access = || async {
        // As inspection does: a key rotated in by another instance is
        // loaded, or its tokens could not be revoked here.
        match verify_jwt(core, token).await {
            Ok(claims) => core
                .store
                .revoke_access_token(&claims.jti, &client.id, now)
                .await
                .map_err(Error::from),
            Err(_) => Ok(false),
        }
    };
    let revoked = match hint {
        TokenHint::RefreshToken => try_refresh().await? || try_access().await?,
        _ => try_access().await? || try_refresh().await?,
    };
    if revoked {
        core.metrics.tokens_revoked(Revoker::Client);
        audit::record(
            core,
            NewAuditEvent {
                client_id: Some(client.id.to_string()),
                ip,
                detail: Some("revoked by its client (RFC 7009)".into()),
                ..NewAuditEvent::new(AuditAction::TokenRevoked)
            },
        )
        .await;
    }
    Ok(())
}

/// The answer of the introspection endpoint (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    Inactive,
    Active {
        token_type: &'static str,
        scope: String,
        client_id: String,
        /// `None` for a machine token.
        username: Option<String>,
        sub: String,
        exp: i64,
        iat: i64,
        jti: Option<String>,
        /// How the approval behind the token was authenticated.
        /// (Boxed, as `resources`.)
        authn: Option<Box<Authentication>>,
        /// The RFC 8707 resources it was issued for: its `aud`, or the
        /// issuer when empty. (Boxed: the variant stays small enough to
        /// return by value.)
        resources: Box<[String]>,
        /// RFC 9449 §6.2: the DPoP key an access token is bound to.
        dpop_jkt: Option<String>,
    },
}

/// Describes any token; everything not currently valid is `Inactive`.
pub async fn introspect(core: &Core, token: &str, hint: TokenHint) -> Result<Introspection> {
    let as_access = || async {
        match inspect(core, token).await {
            Ok(info) => Ok(Some(Introspection::Active {
                sub: info.subject().to_owned(),
                token_type: if info.dpop_jkt.is_some() {
                    "DPoP"
                } else {
                    "Bearer"
                },
                dpop_jkt: info.dpop_jkt,
                scope: info.scope,
                client_id: info.client_id,
                username: info.username,
                exp: info.expires_at,
                iat: info.issued_at,
                jti: Some(info.jti),
                authn: info.authn.map(Box::new),
                resources: info.audience.into_boxed_slice(),
            })),
            Err(Error::InvalidToken(_)) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let as_refresh = || async {
        let Some(r) = core.store.find_refresh_token(&hash_secret(token)).await? else {
            return Ok(None);
        };
        let live = r.usable(core.clock.secs()).is_ok();
        Ok::<_, Error>(live.then_some(Introspection::Active {
            token_type: "refresh_token",
            scope: r.scope,
            client_id: r.client_id.into_string(),
            username: Some(r.username),
            sub: r.user_id.into_string(),
            exp: r.expires_at.0,
            iat: r.issued_at.0,
            jti: None,
            authn: Some(Box::new(r.authn)),
            resources: Box::default(),
            // RFC 9449 §6.2 speaks of access tokens; a confidential
            // client's refresh token is not bound to its key anyway.
            dpop_jkt: None,
        }))
    };
    let found = match hint {
        TokenHint::RefreshToken => match as_refresh().await? {
            Some(i) => Some(i),
            None => as_access().await?,
        },
        _ => match as_access().await? {
            Some(i) => Some(i),
            None => as_refresh().await?,
        },
    };
    Ok(found.unwrap_or(Introspection::Inactive))
}

/// Revokes one of `user_id`'s own grants (from /account).
pub async fn revoke_own_grant(core: &Core, user_id: &str, grant_id: &str) -> Result<bool> {
    let revoked = core
        .store
        .revoke_grant(grant_id, Some(user_id), core.clock.now_secs())
        .await?;
    if revoked {
        core.metrics.tokens_revoked(Revoker::User);
        audit::record(
            core,
            NewAuditEvent {
                actor: Some(user_id.to_owned()),
                target: Some(grant_id.to_owned()),
                detail: Some("revoked by the user".into()),
                ..NewAuditEvent::new(AuditAction::GrantRevoked)
            },
        )
        .await;
    }
    Ok(revoked)
}
