//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5):
//! exchanging an authorization code for tokens, once.
//!
//! The model decides whether the request may redeem the code
//! ([`AuthorizationCode::redeem`]); the store's guarded transaction decides
//! which of concurrent redemptions wins. A code presented again — after its
//! redemption, or by the loser of a race for it — has leaked: the answer
//! is `invalid_grant`, and the tokens the first redemption produced are
//! revoked with their grant (RFC 6749 §4.1.2).

use super::{Issue, IssuedToken, mint_access, mint_refresh};
use crate::crypto::hash_secret;
use crate::domain::client::{self, ClientCredentials};
use crate::domain::oidc::{self, IdTokenFor};
use crate::domain::{Core, Error, Result, audit, secs};
use crate::metrics::{Grant, Revoker};
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::authorization_code::{AuthorizationCode, CodeRefusal, CodeState};
use crate::model::client::GrantType;
use crate::model::ids::GrantId;
use crate::model::{redirect_uri, resource};
use crate::store::{CodeRedemption, NewAuditEvent, NewGrant};

/// A `grant_type=authorization_code` request.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub client: ClientCredentials,
    pub code: Secret,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<Secret>,
    pub ip: Option<String>,
    /// RFC 8707 `resource` parameters: a subset of the approved resources
    /// for this token (all of them when none).
    pub resources: Vec<String>,
    /// The thumbprint of the key a valid DPoP proof proved (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// Redeems an authorization code for an access token (and a refresh token
/// when the client has them), as the device grant answers.
pub async fn redeem_authorization_code(core: &Core, req: CodeRequest) -> Result<IssuedToken> {
    let client = client::authenticate_for(core, &req.client, GrantType::AuthorizationCode).await?;
    let invalid = |why: &str| Error::InvalidGrant(why.to_owned());
    let code = core
        .store
        .find_authorization_code(&hash_secret(req.code.expose()))
        .await?
        .ok_or_else(|| invalid("unknown authorization code"))?;
    // RFC 9449 §10.1: a code bound to a key needs a proof of that key.
    // Refused before the redemption, so the client that holds the key
    // still can.
    if let Some(bound) = &code.dpop_jkt
        && req.dpop_jkt.as_ref() != Some(bound)
    {
        return Err(invalid(
            "the authorization request named a DPoP key (dpop_jkt): send a DPoP proof of it",
        ));
    }
    let grant_id = GrantId::new(core.random.ordered_id(core.clock.now_ms()));
    let redeemed = match code.redeem(
        core.clock.secs(),
        &client.id,
        req.redirect_uri.as_deref(),
        req.code_verifier.as_ref().map(Secret::expose),
        grant_id.clone(),
    ) {
        Ok(redeemed) => redeemed,
        Err(CodeRefusal::AlreadyRedeemed { grant_id }) => {
            replayed(core, &code, &grant_id, req.ip).await?;
            return Err(invalid(
                CodeRefusal::AlreadyRedeemed { grant_id }.describe(),
            ));
        }
        Err(refusal) => return Err(invalid(refusal.describe())),
    };
    // Before anything is written: a request naming more than the person
    // approved leaves the code unused.
    let audience = code
        .resources_for(&req.resources)
        .map_err(Error::InvalidTarget)?;
    let now = core.clock.now_secs();
    let grant = NewGrant {
        id: grant_id.to_string(),
        user_id: code.user_id.to_string(),
        client_id: code.client_id.to_string(),
        scope: code.scope.clone(),
        device_code_id: None,
        // What /account shows for this approval.
        device_label: Some(format!(
            "Sign-in via {}",
            redirect_uri::destination(&code.redirect_uri)
        )),
        requester_ip: req.ip.clone(),
        now,
        auth_time: Some(code.authn.time.0),
        amr: Some(code.authn.amr.to_stored()),
        resources: resource::to_stored(&code.resources),
    };
    let issue = Issue {
        user_id: &code.user_id,
        client_id: &code.client_id,
        scope: &code.scope,
        grant_id: &grant.id,
        dpop_jkt: req.dpop_jkt.as_deref(),
    };
    let access = mint_access(core, &issue, None, &audience)?;
    let id_token = oidc::id_token(
        core,
        IdTokenFor {
            user_id: &code.user_id,
            client_id: &code.client_id,
            scope: &code.scope,
            authn: &code.authn,
            nonce: code.nonce.as_deref(),
            access_token: &access.jwt,
        },
    )
    .await?;
    let refresh = client.refresh_tokens.then(|| mint_refresh(core, &issue));
    let audit = audit::stamp(
        core,
        NewAuditEvent {
            actor: Some(code.user_id.to_string()),
            client_id: Some(code.client_id.to_string()),
            target: Some(access.row.jti.clone()),
            ip: req.ip.clone(),
            detail: Some(format!(
                "authorization code grant, {}",
                resource::describe(&code.scope, &audience)
            )),
            ..NewAuditEvent::new(AuditAction::TokenIssued)
        },
    );
    let rows = CodeRedemption {
        grant: &grant,
        access: &access.row,
        refresh: refresh.as_ref().map(|(_, row)| row),
        audit: Some(&audit),
    };
    if !core
        .store
        .redeem_authorization_code(&redeemed, rows)
        .await?
    {
        // Another request redeemed it first (or it expired meanwhile):
        // that one's tokens go, as for any second use.
        let latest = core
            .store
            .find_authorization_code(&hash_secret(req.code.expose()))
            .await?;
        if let Some(CodeState::Redeemed { grant_id, .. }) = latest.as_ref().map(|c| &c.state) {
            replayed(core, &code, grant_id, req.ip).await?;
            return Err(invalid(
                CodeRefusal::AlreadyRedeemed {
                    grant_id: grant_id.clone(),
                }
                .describe(),
            ));
        }
        return Err(invalid(CodeRefusal::Expired.describe()));
    }
    tracing::info!(client_id = %code.client_id, jti = %access.row.jti, "access token issued");
    core.metrics.token_issued(Grant::AuthorizationCode);
    Ok(IssuedToken {
        access_token: access.jwt,
        expires_in: secs(core.policy.access_token_ttl),
        scope: code.scope.clone(),
        refresh_token: refresh.map(|(secret, _)| secret),
        id_token,
        dpop_bound: access.row.dpop_jkt.is_some(),
    })
}

/// A redeemed code presented again: it has leaked, so the grant its first
/// redemption produced is revoked, and the event audited.
async fn replayed(
    core: &Core,
    code: &AuthorizationCode,
    grant_id: &GrantId,
    ip: Option<String>,
) -> Result<()> {
    let revoked = core
        .store
        .revoke_grant(grant_id, None, core.clock.now_secs())
        .await?;
    tracing::warn!(client_id = %code.client_id, grant_id = %grant_id, "authorization code reused; grant revoked");
    if revoked {
        core.metrics.tokens_revoked(Revoker::Replay);
        audit::record(
            core,
            NewAuditEvent {
                actor: Some(code.user_id.to_string()),
                client_id: Some(code.client_id.to_string()),
                target: Some(grant_id.to_string()),
                ip,
                detail: Some(
                    "an already-used authorization code was presented; all tokens of its grant \
                     revoked"
                        .into(),
                ),
                ..NewAuditEvent::new(AuditAction::AuthorizationCodeReused)
            },
        )
        .await;
    }
    Ok(())
}
