//! The client credentials grant (RFC 6749 §4.4): a confidential client
//! asks for a token for itself, to call an API with no person involved.
//!
//! Only clients that can authenticate (a secret, or keys for
//! `private_key_jwt`) and were given the grant may use it. The token's
//! `sub` is the client (RFC 9068 §2.2), it has no refresh token (§4.4.3:
//! the client can simply ask again), and scopes that describe a person
//! (`openid`, `profile`, `email`, `offline_access`) are refused: there is
//! no person to describe or to stay signed in.

use super::{Core, Error, Result, secs};
use crate::crypto::jwt::{AccessClaims, Audience, Confirmation};
use crate::domain::client::{self, ClientCredentials};
use crate::metrics::Grant;
use crate::model::client::GrantType;
use crate::model::resource;
use crate::model::scope::Scopes;
use crate::model::token::IssuedToken;
use crate::store::NewMachineToken;

/// Scopes that only mean something for a person.
const PERSONAL: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// What a client credentials request carries.
#[derive(Debug)]
pub struct ClientCredentialsRequest {
    pub client: ClientCredentials,
    /// Space-separated; absent means every scope the client may have
    /// that is not [`PERSONAL`].
    pub scope: Option<String>,
    /// RFC 8707 `resource` parameters, each one of the client's registered
    /// resources; they become the token's `aud` (the issuer when none).
    pub resources: Vec<String>,
    /// The thumbprint of the key a valid DPoP proof proved (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// Issues an access token to the authenticated client itself.
pub async fn issue_to_client(
    core: &Core,
    request: ClientCredentialsRequest,
) -> Result<IssuedToken> {
    let client =
        client::authenticate_for(core, &request.client, GrantType::ClientCredentials).await?;
    if !client.is_confidential() {
        return Err(Error::UnauthorizedClient(
            "only confidential clients may use the client credentials grant".into(),
        ));
    }
    let asked = request
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let scopes = match asked {
        Some(asked) => {
            let scopes = Scopes::parse(asked).map_err(Error::InvalidScope)?;
            if let Some(personal) = scopes.iter().find(|s| PERSONAL.contains(s)) {
                return Err(Error::InvalidScope(format!(
                    "{personal} describes a person; a client's own token cannot have it"
                )));
            }
            if !scopes.is_subset_of(&client.allowed_scopes) {
                return Err(Error::InvalidScope(
                    "the scope asks for more than this client may have".into(),
                ));
            }
            scopes
        }
        None => {
            let own: Vec<&str> = client
                .allowed_scopes
                .iter()
                .filter(|s| !PERSONAL.contains(s))
                .collect();
            Scopes::parse(&own.join(" ")).map_err(Error::Internal)?
        }
    };
    let resources = resource::check_requested(&request.resources, &client.resources)
        .map_err(Error::InvalidTarget)?;
    let scope = scopes.iter().collect::<Vec<_>>().join(" ");
    let now = core.clock.now_secs();
    let claims = AccessClaims {
        iss: core.policy.issuer.clone(),
        sub: client.id.to_string(),
        aud: Audience::of_access_token(&core.policy.issuer, &resources),
        client_id: client.id.to_string(),
        scope: scope.clone(),
        iat: now,
        exp: now + secs(core.policy.access_token_ttl),
        jti: core.random.ordered_id(core.clock.now_ms()),
        cnf: Confirmation::of(request.dpop_jkt.as_deref()),
    };
    let access_token = core.signer.sign(&claims)?;
    core.store
        .insert_machine_token(&NewMachineToken {
            jti: &claims.jti,
            client_id: &claims.client_id,
            scope: &scope,
            audience: &resource::to_stored(&resources),
            issued_at: now,
            expires_at: claims.exp,
            dpop_jkt: request.dpop_jkt.as_deref(),
        })
        .await?;
    core.metrics.token_issued(Grant::ClientCredentials);
    Ok(IssuedToken {
        access_token,
        expires_in: claims.exp - now,
        scope,
        refresh_token: None,
        id_token: None,
        dpop_bound: claims.cnf.is_some(),
    })
}
