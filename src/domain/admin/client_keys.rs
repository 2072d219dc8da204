//! The keys of clients that authenticate with a signed JWT (RFC 7523
//! `private_key_jwt`, see `domain/client_assertion.rs`): checked when
//! registered, replaced when the client rotates them.

use super::{Actor, Ctx, find_client, record};
use crate::domain::{Error, Result};
use crate::model::audit::AuditAction;
use crate::model::client::ClientKeys;

/// Checks the keys a client registers for `private_key_jwt`: a JWK Set
/// (its JSON) or a `jwks_uri` (https, or http on a loopback address), not
/// both. [`Error::InvalidRequest`] says what is wrong.
pub fn client_keys(jwks: Option<&str>, jwks_uri: Option<&str>) -> Result<Option<ClientKeys>> {
    let invalid = |why: String| Err(Error::InvalidRequest(why));
    match (jwks, jwks_uri) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => invalid("give a JWK Set or a jwks_uri, not both".into()),
        (Some(json), None) => match crate::domain::client_assertion::parse_jwks(json) {
            Ok(_) => Ok(Some(ClientKeys::Jwks(json.trim().to_owned()))),
            Err(e) => invalid(format!("JWK Set: {e}")),
        },
        (None, Some(uri)) => {
            let parsed = url::Url::parse(uri).ok();
            let allowed = parsed.as_ref().is_some_and(crate::domain::fetchable_url);
            if !allowed || parsed.is_some_and(|u| u.fragment().is_some()) {
                return invalid(
                    "the jwks_uri must be an https URL (http only on this machine)".into(),
                );
            }
            Ok(Some(ClientKeys::JwksUri(uri.to_owned())))
        }
    }
}

/// Replaces the keys of a `private_key_jwt` client (a rotation), audited.
/// Only a client that has keys already: turning a secret-holding or public
/// client into a key client is a new registration.
pub async fn set_client_keys(
    ctx: &Ctx<'_>,
    actor: &Actor,
    client_id: &str,
    keys: ClientKeys,
) -> Result<()> {
    let client = find_client(ctx, client_id).await?;
    if client.keys.is_none() {
        return Err(Error::InvalidRequest(
            "this client does not authenticate with keys; register a new client with --jwks-file or --jwks-uri".into(),
        ));
    }
    ctx.store.set_client_keys(client_id, Some(&keys)).await?;
    let detail = match &keys {
        ClientKeys::Jwks(_) => "private_key_jwt keys replaced (registered JWK Set)".to_owned(),
        ClientKeys::JwksUri(uri) => format!("private_key_jwt keys now at {uri}"),
    };
    record(
        ctx,
        actor,
        AuditAction::AdminClientUpdated,
        Some(client_id.to_owned()),
        Some(client_id.to_owned()),
        detail,
    )
    .await;
    Ok(())
}
