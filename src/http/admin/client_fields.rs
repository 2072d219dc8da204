//! The fields of the client form (`/admin/clients/new` and a client's
//! page), read into a [`ClientSpec`] with a message per field that is wrong.

use components::admin::clients::{ClientErrors, ClientKeysInput, GrantChoice};
use serde::Deserialize;

use super::render::field_message;
use crate::domain::admin::{self, ClientKind, ClientSpec, FieldError};
use crate::domain::client::Client;
use crate::model::client::{ClientKeys, GrantType, GrantTypes};

#[derive(Debug, Default, Deserialize)]
pub struct ClientFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scopes: String,
    /// Space-separated redirect URIs.
    #[serde(default)]
    pub redirect_uris: String,
    /// Space-separated post-logout redirect URIs.
    #[serde(default)]
    pub post_logout_redirect_uris: String,
    /// Space-separated RFC 8707 resources. `None` from a form without the
    /// field leaves a client's as they are.
    pub resources: Option<String>,
    /// Present when the form showed the grant checkboxes (so that none
    /// ticked is a choice, not an older form).
    pub grants_shown: Option<String>,
    pub grant_device_code: Option<String>,
    pub grant_authorization_code: Option<String>,
    pub grant_refresh_token: Option<String>,
    pub grant_client_credentials: Option<String>,
    /// `public`, `confidential` or `keys` (creation only).
    #[serde(default)]
    pub kind: String,
    /// A signed-JWT client's JWK Set (JSON), or the URL of its keys.
    #[serde(default)]
    pub jwks: String,
    #[serde(default)]
    pub jwks_uri: String,
    /// A checkbox: present when ticked.
    pub refresh_tokens: Option<String>,
}

impl ClientFields {
    /// The form's values for `client` as it is.
    pub fn of(client: &Client, redirect_uris: &[String], post_logout: &[String]) -> Self {
        let on = |grant| client.may_use(grant).then(|| "on".to_owned());
        Self {
            name: client.name.clone(),
            scopes: client.allowed_scopes.to_string(),
            redirect_uris: redirect_uris.join(" "),
            post_logout_redirect_uris: post_logout.join(" "),
            resources: Some(client.resources.join(" ")),
            grants_shown: Some("1".to_owned()),
            grant_device_code: on(GrantType::DeviceCode),
            grant_authorization_code: on(GrantType::AuthorizationCode),
            grant_refresh_token: on(GrantType::RefreshToken),
            grant_client_credentials: on(GrantType::ClientCredentials),
            refresh_tokens: client.refresh_tokens.then(|| "on".to_owned()),
            ..Self::default()
        }
    }

    /// The values the creation form starts with: a public client for the
    /// device and app grants, with refresh tokens.
    pub fn new_client() -> Self {
        Self {
            scopes: crate::bootstrap::CLI_CLIENT_SCOPES.to_owned(),
            resources: Some(String::new()),
            grants_shown: Some("1".to_owned()),
            grant_device_code: Some("on".to_owned()),
            grant_authorization_code: Some("on".to_owned()),
            grant_refresh_token: Some("on".to_owned()),
            kind: "public".to_owned(),
            refresh_tokens: Some("on".to_owned()),
            ..Self::default()
        }
    }

    pub fn spec(&self) -> Result<ClientSpec, Vec<FieldError>> {
        let uris: Vec<&str> = self.redirect_uris.split_whitespace().collect();
        let logout: Vec<&str> = self.post_logout_redirect_uris.split_whitespace().collect();
        let grants = match self.grants() {
            Some(g) if g.is_empty() => Err(vec![admin::field_error(
                "grant_types",
                "Choose at least one grant type.",
            )]),
            Some(g) if g.contains(GrantType::ClientCredentials) && self.kind == "public" => {
                Err(vec![admin::field_error(
                    "grant_types",
                    "Client credentials is for confidential clients: a public one cannot keep a secret.",
                )])
            }
            other => Ok(other),
        };
        let resources = match &self.resources {
            Some(list) => admin::resources(&list.split_whitespace().collect::<Vec<_>>()).map(Some),
            None => Ok(None),
        };
        let mut errors = Vec::new();
        let spec = take(
            &mut errors,
            admin::client_spec(&self.name, &self.scopes, self.refresh_tokens.is_some()),
        );
        let uris = take(&mut errors, admin::redirect_uris(&uris));
        let logout = take(&mut errors, admin::post_logout_redirect_uris(&logout));
        let grants = take(&mut errors, grants);
        let resources = take(&mut errors, resources);
        match (spec, uris, logout, grants, resources) {
            (Some(spec), Some(uris), Some(logout), Some(grants), Some(resources)) => {
                Ok(ClientSpec {
                    redirect_uris: Some(uris),
                    post_logout_redirect_uris: Some(logout),
                    grant_types: grants,
                    resources,
                    ..spec
                })
            }
            _ => Err(errors),
        }
    }

    /// The type chosen on the creation form and, for a signed-JWT client,
    /// its keys.
    pub fn kind_and_keys(&self) -> Result<(ClientKind, Option<ClientKeys>), Vec<FieldError>> {
        let (jwks, jwks_uri) = (given(&self.jwks), given(&self.jwks_uri));
        let wrong = |message: &str| Err(vec![admin::field_error("keys", message)]);
        match self.kind.as_str() {
            "keys" => match admin::client_keys(jwks, jwks_uri) {
                Ok(Some(keys)) => Ok((ClientKind::Confidential, Some(keys))),
                Ok(None) => wrong("Paste its JWK Set or give the URL of its keys."),
                Err(e) => wrong(&e.to_string()),
            },
            _ if jwks.is_some() || jwks_uri.is_some() => {
                wrong("Keys are for a signed-JWT client: choose that type, or clear the keys.")
            }
            "confidential" => Ok((ClientKind::Confidential, None)),
            _ => Ok((ClientKind::Public, None)),
        }
    }

    /// The ticked grants, or `None` from a form without the boxes.
    fn grants(&self) -> Option<GrantTypes> {
        self.grants_shown.as_ref()?;
        let ticked = [
            (&self.grant_device_code, GrantType::DeviceCode),
            (&self.grant_authorization_code, GrantType::AuthorizationCode),
            (&self.grant_refresh_token, GrantType::RefreshToken),
            (&self.grant_client_credentials, GrantType::ClientCredentials),
        ];
        Some(GrantTypes::new(
            ticked
                .into_iter()
                .filter(|(on, _)| on.is_some())
                .map(|(_, g)| g),
        ))
    }

    pub fn choice(&self) -> GrantChoice {
        let grants = self.grants().unwrap_or_default();
        GrantChoice {
            device_code: grants.contains(GrantType::DeviceCode),
            authorization_code: grants.contains(GrantType::AuthorizationCode),
            refresh_token: grants.contains(GrantType::RefreshToken),
            client_credentials: grants.contains(GrantType::ClientCredentials),
        }
    }

    pub fn keys(&self) -> ClientKeysInput<'_> {
        ClientKeysInput {
            jwks: &self.jwks,
            jwks_uri: &self.jwks_uri,
        }
    }
}

/// The value, or `None` when only blanks were given.
pub fn given(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

/// `r`'s value, or `None` with its messages added to `errors`.
fn take<T>(errors: &mut Vec<FieldError>, r: Result<T, Vec<FieldError>>) -> Option<T> {
    r.map_err(|e| errors.extend(e)).ok()
}

/// The form's message for each field `errors` names.
pub fn client_errors(errors: &[FieldError]) -> ClientErrors<'_> {
    ClientErrors {
        name: field_message(errors, "name"),
        scopes: field_message(errors, "scopes"),
        redirect_uris: field_message(errors, "redirect_uris"),
        post_logout_redirect_uris: field_message(errors, "post_logout_redirect_uris"),
        grant_types: field_message(errors, "grant_types"),
        resources: field_message(errors, "resources"),
        keys: field_message(errors, "keys"),
    }
}
