//! OAuth clients and how they authenticate (RFC 6749 §2.3).

use std::sync::Arc;

use super::{Core, Error, Result};
use crate::crypto::{constant_time_eq, hash_secret};
use crate::model::Secret;
use crate::model::client::{ClientStatus, GrantType};

pub use crate::model::client::Client;

/// How a request identified its client.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    /// The presented secret; an empty one counts as none.
    pub secret: Option<Secret>,
    /// Whether the credentials came in an HTTP Basic `Authorization` header.
    pub via_basic: bool,
    /// A signed JWT in place of a secret (RFC 7523 §2.2 `client_assertion`,
    /// its type already checked).
    pub assertion: Option<Secret>,
}

/// A client by id (from the store's memory when it holds a current copy).
pub async fn find(core: &Core, id: &str) -> Result<Option<Client>> {
    Ok(core.store.client(id, core.clock.now_ms()).await?)
}

/// Every scope some enabled client may ask for (RFC 8414
/// `scopes_supported`); see [`crate::store::Store::scopes_supported`].
pub async fn scopes_supported(core: &Core) -> Result<Arc<Vec<String>>> {
    Ok(core.store.scopes_supported(core.clock.now_ms()).await?)
}

/// [`authenticate`], then refuses a client not registered for `grant`
/// (RFC 6749 §5.2 `unauthorized_client`).
pub async fn authenticate_for(
    core: &Core,
    creds: &ClientCredentials,
    grant: GrantType,
) -> Result<Client> {
    let client = authenticate(core, creds).await?;
    if client.may_use(grant) {
        Ok(client)
    } else {
        Err(Error::UnauthorizedClient(format!(
            "this client may not use the {} grant",
            grant.short()
        )))
    }
}

/// Looks the client up and checks its secret.
///
/// Unknown, disabled, pending and rejected clients, a confidential client without or with a
/// wrong secret, and a public client presenting a secret all fail with
/// `invalid_client` (RFC 6749 §5.2).
pub async fn authenticate(core: &Core, creds: &ClientCredentials) -> Result<Client> {
    let invalid = |description: &str| Error::InvalidClient {
        description: description.to_owned(),
        basic_auth: creds.via_basic,
    };
    let client = find(core, &creds.client_id)
        .await?
        .ok_or_else(|| invalid("unknown client"))?;
    if client.disabled {
        return Err(invalid("this client is disabled"));
    }
    match client.status {
        ClientStatus::Approved => {}
        ClientStatus::Pending => {
            return Err(invalid(
                "this client is waiting for an administrator's approval",
            ));
        }
        ClientStatus::Rejected => {
            return Err(invalid("this client's registration was rejected"));
        }
    }
    if let Some(keys) = &client.keys {
        // A client with keys proves itself with them and nothing else.
        if creds.secret.is_some() {
            return Err(invalid(
                "this client authenticates with private_key_jwt, not a secret",
            ));
        }
        let Some(assertion) = &creds.assertion else {
            return Err(invalid("client authentication is required for this client"));
        };
        super::client_assertion::verify(core, &client, keys, assertion.expose(), invalid).await?;
        return Ok(client);
    }
    if creds.assertion.is_some() {
        return Err(invalid(
            "this client has no keys registered for private_key_jwt",
        ));
    }
    let presented = creds
        .secret
        .as_ref()
        .map(Secret::expose)
        .filter(|s| !s.is_empty());
    match (&client.secret_hash, presented) {
        (None, None) => Ok(client),
        (None, Some(_)) => Err(invalid("public clients must not present a client secret")),
        (Some(_), None) => Err(invalid("client authentication is required for this client")),
        (Some(stored), Some(secret)) => {
            if constant_time_eq(stored.as_bytes(), hash_secret(secret).as_bytes()) {
                Ok(client)
            } else {
                Err(invalid("client authentication failed"))
            }
        }
    }
}
