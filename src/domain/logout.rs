//! OpenID Connect RP-Initiated Logout 1.0: an application asks AuthGate to
//! sign the person out (`end_session_endpoint`).
//!
//! An `id_token_hint` must be an ID token this server signed (an expired
//! one is fine: logging out is often done long after sign-in); its `aud`
//! names the client, and a `client_id` sent beside it must be the same.
//! A `post_logout_redirect_uri` is followed only when it is exactly one the
//! client registered; otherwise the person sees a signed-out page, never a
//! redirect (§3). `state` rides along on the redirect.
//!
//! Signing out ends the browser session and revokes the person's grants to
//! that client (its refresh and access tokens); the person's other
//! applications, the CLI and devices keep theirs. Without a hint naming
//! the signed-in person the logout must be confirmed on a page first
//! (§2: a logout request can come from any page, so it is not trusted).

use super::client::{self, Client};
use super::{Core, Error, Result, audit};
use crate::model::audit::AuditAction;
use crate::store::NewAuditEvent;

/// Longest accepted values, in bytes.
const MAX_HINT: usize = 8192;
const MAX_VALUE: usize = 2048;

/// The parameters of a logout request (query or form); empty is absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

impl LogoutParams {
    /// The parameters of a query string or form body (`ui_locales` and
    /// unknown ones are ignored; a repeated one keeps its first value).
    pub fn parse(encoded: &[u8]) -> Self {
        let mut p = Self::default();
        for (name, value) in form_urlencoded::parse(encoded) {
            let slot = match name.as_ref() {
                "id_token_hint" => &mut p.id_token_hint,
                "client_id" => &mut p.client_id,
                "post_logout_redirect_uri" => &mut p.post_logout_redirect_uri,
                "state" => &mut p.state,
                _ => continue,
            };
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value.into_owned());
            }
        }
        p
    }
}

/// A checked logout request.
#[derive(Debug, Clone)]
pub struct LogoutRequest {
    /// The application asking, when the hint or `client_id` named one.
    pub client: Option<Client>,
    /// The user a valid `id_token_hint` names (`sub`).
    pub hinted_user: Option<String>,
    /// Where to go afterwards: a registered post-logout URI with `state`.
    pub return_to: Option<String>,
    /// The parameters as received, for the confirmation form.
    pub params: LogoutParams,
}

fn refuse(message: &str) -> Error {
    Error::InvalidLogoutRequest(message.to_owned())
}

fn too_long_or_odd(value: &Option<String>, max: usize) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.len() > max || v.chars().any(char::is_control))
}

/// Checks a logout request. A hint that does not verify, a client that is
/// unknown or disabled, or a `client_id` other than the hint's audience is
/// [`Error::InvalidLogoutRequest`].
pub async fn check(core: &Core, params: LogoutParams) -> Result<LogoutRequest> {
    if too_long_or_odd(&params.id_token_hint, MAX_HINT)
        || too_long_or_odd(&params.client_id, MAX_VALUE)
        || too_long_or_odd(&params.post_logout_redirect_uri, MAX_VALUE)
        || too_long_or_odd(&params.state, MAX_VALUE)
    {
        return Err(refuse("The application's sign-out request is malformed."));
    }
    let hint = match &params.id_token_hint {
        Some(token) => Some(core.signer.verify_id_token_hint(token).ok_or_else(|| {
            refuse(
                "The application's sign-out request carries an ID token this server did not issue.",
            )
        })?),
        None => None,
    };
    let hinted_client = match &hint {
        Some(h) => Some(h.aud.single().ok_or_else(|| {
            refuse("The ID token in the sign-out request names no single application.")
        })?),
        None => None,
    };
    let client_id = match (hinted_client, params.client_id.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return Err(refuse(
                "The sign-out request names two different applications.",
            ));
        }
        (Some(id), _) | (None, Some(id)) => Some(id.to_owned()),
        (None, None) => None,
    };
    let client = match &client_id {
        Some(id) => Some(
            client::find(core, id)
                .await?
                .filter(Client::is_usable)
                .ok_or_else(|| {
                    refuse("The application that sent you here is unknown or disabled.")
                })?,
        ),
        None => None,
    };
    let return_to = match (&client, &params.post_logout_redirect_uri) {
        (Some(client), Some(uri)) => {
            let registered = core
                .store
                .client_post_logout_redirect_uris(&client.id)
                .await?;
            // Exact match only (§3); an unregistered one is not followed.
            registered
                .iter()
                .any(|r| r == uri)
                .then(|| match &params.state {
                    Some(state) => super::authorize::answer_uri(uri, &[("state", state)]),
                    None => uri.clone(),
                })
        }
        _ => None,
    };
    Ok(LogoutRequest {
        client,
        hinted_user: hint.map(|h| h.sub),
        return_to,
        params,
    })
}

impl LogoutRequest {
    /// Whether `user_id` may be signed out without a confirmation: the
    /// verified hint names them.
    pub fn names(&self, user_id: &str) -> bool {
        self.hinted_user.as_deref() == Some(user_id)
    }
}

/// Signs `user_id` out of `request`'s application: revokes their grants to
/// it (refresh and access tokens) and audits it. The caller ends the
/// browser session.
pub async fn sign_out(
    core: &Core,
    user_id: &str,
    request: &LogoutRequest,
    ip: Option<String>,
) -> Result<()> {
    let client_id = request.client.as_ref().map(|c| c.id.to_string());
    let mut ended = 0;
    if let Some(id) = &client_id {
        ended = core
            .store
            .revoke_user_client_grants(user_id, id, core.clock.secs())
            .await?;
        if ended > 0 {
            core.metrics.tokens_revoked(crate::metrics::Revoker::User);
        }
    }
    tracing::info!(client_id = ?client_id, "signed out at an application's request");
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(user_id.to_owned()),
            client_id,
            ip,
            detail: Some(format!(
                "{} (grants ended: {ended})",
                if request.hinted_user.is_some() {
                    "with a valid id_token_hint"
                } else {
                    "confirmed by the user"
                }
            )),
            ..NewAuditEvent::new(AuditAction::SignedOutByApp)
        },
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_once_and_unknown_ones_ignored() {
        let p = LogoutParams::parse(
            b"client_id=a&client_id=b&state=s&ui_locales=fr&post_logout_redirect_uri=&x=1",
        );
        assert_eq!(p.client_id.as_deref(), Some("a"));
        assert_eq!(p.state.as_deref(), Some("s"));
        assert_eq!(p.post_logout_redirect_uri, None);
        assert_eq!(p.id_token_hint, None);
    }
}
