//! OAuth clients: validation, registration, changes, secrets.

use super::{Actor, Ctx, FieldError, field_error, record};
use crate::crypto::hash_secret;
use crate::domain::client::Client;
use crate::domain::{Error, Result};
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::client::{ClientKeys, GrantType, GrantTypes};
use crate::model::resource;
use crate::model::scope::Scopes;
use crate::store::{ClientListing, NewClient};

/// A client's editable settings, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    pub name: String,
    pub scopes: Scopes,
    pub refresh_tokens: bool,
    /// The redirect URIs of the authorization code grant; `None` leaves a
    /// client's as they are.
    pub redirect_uris: Option<Vec<String>>,
    /// Where RP-initiated logout may return; `None` leaves them as they are.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// The grants it may use; `None` leaves them as they are (a new client
    /// then gets [`GrantTypes::default_for`]).
    pub grant_types: Option<GrantTypes>,
    /// RFC 8707: the resources it may ask tokens for; `None` leaves a
    /// client's as they are.
    pub resources: Option<Vec<String>>,
}

/// Public clients (CLIs, TVs) cannot keep a secret; confidential ones
/// authenticate with one (RFC 6749 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Public,
    Confidential,
}

/// Checks a client's name (1 to 100 characters) and allowed scopes (1 to
/// 20 RFC 6749 §3.3 scope tokens of at most 64 characters).
pub fn client_spec(
    name: &str,
    scopes: &str,
    refresh_tokens: bool,
) -> std::result::Result<ClientSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(field_error("name", "Enter a name of 1 to 100 characters."));
    }
    let parsed = Scopes::parse(scopes.trim());
    match &parsed {
        Ok(s) if s.is_empty() => errors.push(field_error(
            "scopes",
            "Enter at least one scope, for example: read write",
        )),
        Ok(s) if s.iter().count() > 20 || s.iter().any(|t| t.len() > 64) => {
            errors.push(field_error(
                "scopes",
                "Use at most 20 scopes of up to 64 characters each.",
            ))
        }
        Ok(_) => {}
        Err(_) => errors.push(field_error(
            "scopes",
            "Scopes are separated by spaces and cannot contain quotes or backslashes.",
        )),
    }
    match parsed {
        Ok(scopes) if errors.is_empty() => Ok(ClientSpec {
            name: name.to_owned(),
            scopes,
            refresh_tokens,
            redirect_uris: None,
            post_logout_redirect_uris: None,
            grant_types: None,
            resources: None,
        }),
        _ => Err(errors),
    }
}

/// Checks redirect URIs to register (see `model::redirect_uri::problem`),
/// at most 20, duplicates dropped.
pub fn redirect_uris<S: AsRef<str>>(
    uris: &[S],
) -> std::result::Result<Vec<String>, Vec<FieldError>> {
    uri_list("redirect_uris", "redirect URI", uris)
}

/// Checks post-logout redirect URIs as [`redirect_uris`] does.
pub fn post_logout_redirect_uris<S: AsRef<str>>(
    uris: &[S],
) -> std::result::Result<Vec<String>, Vec<FieldError>> {
    uri_list(
        "post_logout_redirect_uris",
        "post-logout redirect URI",
        uris,
    )
}

/// Checks the grant types a client may use (`device_code`,
/// `authorization_code`, `refresh_token`, or their RFC 7591 values); none
/// given is `None` (the default).
pub fn grant_types<S: AsRef<str>>(
    values: &[S],
) -> std::result::Result<Option<GrantTypes>, Vec<FieldError>> {
    let mut grants = Vec::new();
    for value in values
        .iter()
        .map(|v| v.as_ref().trim())
        .filter(|v| !v.is_empty())
    {
        match GrantType::parse(value) {
            Some(grant) => grants.push(grant),
            None => {
                let shown: String = value.chars().take(60).collect();
                return Err(vec![field_error(
                    "grant_types",
                    &format!(
                        "Unknown grant type {shown:?}: use device_code, authorization_code, refresh_token or client_credentials."
                    ),
                )]);
            }
        }
    }
    Ok((!grants.is_empty()).then(|| GrantTypes::new(grants)))
}

/// Checks the RFC 8707 resources a client may ask tokens for (see
/// `model::resource::problem`), at most 20, duplicates dropped.
pub fn resources<S: AsRef<str>>(uris: &[S]) -> std::result::Result<Vec<String>, Vec<FieldError>> {
    let mut out: Vec<String> = Vec::new();
    for uri in uris
        .iter()
        .map(|u| u.as_ref().trim())
        .filter(|u| !u.is_empty())
    {
        if let Some(problem) = resource::problem(uri) {
            let shown: String = uri.chars().take(80).collect();
            return Err(vec![field_error(
                "resources",
                &format!("The resource {shown:?} {problem}."),
            )]);
        }
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    if out.len() > resource::MAX_COUNT {
        return Err(vec![field_error(
            "resources",
            &format!("Register at most {} resources.", resource::MAX_COUNT),
        )]);
    }
    Ok(out)
}

fn uri_list<S: AsRef<str>>(
    field: &'static str,
    what: &str,
    uris: &[S],
) -> std::result::Result<Vec<String>, Vec<FieldError>> {
    let mut out: Vec<String> = Vec::new();
    for uri in uris
        .iter()
        .map(|u| u.as_ref().trim())
        .filter(|u| !u.is_empty())
    {
        if let Some(problem) = crate::model::redirect_uri::problem(uri) {
            let shown: String = uri.chars().take(80).collect();
            return Err(vec![field_error(
                field,
                &format!("The {what} {shown:?} {problem}."),
            )]);
        }
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    if out.len() > 20 {
        return Err(vec![field_error(
            field,
            &format!("Register at most 20 {what}s."),
        )]);
    }
    Ok(out)
}

/// `device_code refresh_token`: grants as people name them.
pub fn short_names(grants: &GrantTypes) -> String {
    let names: Vec<&str> = grants.iter().map(GrantType::short).collect();
    names.join(" ")
}

/// The post-logout redirect URIs a client registered.
pub async fn client_post_logout_redirect_uris(ctx: &Ctx<'_>, id: &str) -> Result<Vec<String>> {
    Ok(ctx.store.client_post_logout_redirect_uris(id).await?)
}

pub async fn find_client(ctx: &Ctx<'_>, id: &str) -> Result<Client> {
    ctx.store
        .find_client(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such client".into()))
}

/// The redirect URIs a client registered.
pub async fn client_redirect_uris(ctx: &Ctx<'_>, id: &str) -> Result<Vec<String>> {
    Ok(ctx.store.client_redirect_uris(id).await?)
}

pub async fn clients(ctx: &Ctx<'_>, search: Option<&str>) -> Result<Vec<ClientListing>> {
    Ok(ctx
        .store
        .list_clients(search, ctx.clock.now_secs(), 500)
        .await?)
}

/// Every client as (id, name), for filters.
pub async fn client_choices(ctx: &Ctx<'_>) -> Result<Vec<(String, String)>> {
    Ok(ctx.store.list_client_names().await?)
}

/// A registered client and, for a confidential one, its secret: shown once,
/// only its SHA-256 is kept.
#[derive(Debug, Clone)]
pub struct CreatedClient {
    pub client_id: String,
    pub secret: Option<Secret>,
}

/// Registers a client. With `keys` it is confidential and authenticates
/// with `private_key_jwt` (RFC 7523), so it gets no secret.
pub async fn create_client(
    ctx: &Ctx<'_>,
    actor: &Actor,
    spec: &ClientSpec,
    kind: ClientKind,
    keys: Option<ClientKeys>,
) -> Result<CreatedClient> {
    let public = kind == ClientKind::Public && keys.is_none();
    if public
        && spec
            .grant_types
            .as_ref()
            .is_some_and(|g| g.contains(GrantType::ClientCredentials))
    {
        return Err(Error::InvalidRequest(
            "the client credentials grant is for confidential clients (--confidential, --jwks-file or --jwks-uri)".into(),
        ));
    }
    let client_id = ctx.random.uuid();
    let secret = (kind == ClientKind::Confidential && keys.is_none())
        .then(|| Secret::new(ctx.random.token(32)));
    let kind_words = match (&keys, &secret) {
        (Some(ClientKeys::Jwks(_)), _) => "confidential (private_key_jwt, registered keys)",
        (Some(ClientKeys::JwksUri(_)), _) => "confidential (private_key_jwt, keys at a URL)",
        (None, Some(_)) => "confidential",
        (None, None) => "public",
    };
    let redirect_uris = spec.redirect_uris.clone().unwrap_or_default();
    let post_logout = spec.post_logout_redirect_uris.clone().unwrap_or_default();
    let grant_types = spec
        .grant_types
        .clone()
        .unwrap_or_else(|| GrantTypes::default_for(spec.refresh_tokens, !redirect_uris.is_empty()));
    ctx.store
        .insert_client(&NewClient {
            keys,
            id: client_id.clone(),
            name: spec.name.clone(),
            secret_hash: secret.as_ref().map(|s| hash_secret(s.expose())),
            allowed_scopes: spec.scopes.to_string(),
            refresh_tokens: spec.refresh_tokens,
            grant_types: grant_types.clone(),
            now: ctx.clock.now_secs(),
        })
        .await?;
    if !redirect_uris.is_empty() {
        ctx.store
            .set_client_redirect_uris(&client_id, &redirect_uris)
            .await?;
    }
    if !post_logout.is_empty() {
        ctx.store
            .set_client_post_logout_redirect_uris(&client_id, &post_logout)
            .await?;
    }
    let resources = spec.resources.clone().unwrap_or_default();
    if !resources.is_empty() {
        ctx.store
            .set_client_resources(&client_id, &resources)
            .await?;
    }
    tracing::info!(client_id = %client_id, "client registered");
    record(
        ctx,
        actor,
        AuditAction::AdminClientCreated,
        Some(client_id.clone()),
        Some(client_id.clone()),
        format!(
            "{} client \"{}\", scopes {}, grants {}{}{}{}",
            kind_words,
            spec.name,
            spec.scopes,
            short_names(&grant_types),
            if redirect_uris.is_empty() {
                String::new()
            } else {
                format!(", redirect URIs {}", redirect_uris.join(" "))
            },
            if post_logout.is_empty() {
                String::new()
            } else {
                format!(", post-logout redirect URIs {}", post_logout.join(" "))
            },
            if resources.is_empty() {
                String::new()
            } else {
                format!(", resources {}", resources.join(" "))
            }
        ),
    )
    .await;
    Ok(CreatedClient { client_id, secret })
}

pub async fn update_client(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    spec: &ClientSpec,
) -> Result<()> {
    let before = find_client(ctx, id).await?;
    ctx.store
        .update_client(
            id,
            &spec.name,
            &spec.scopes.to_string(),
            spec.refresh_tokens,
            ctx.clock.now_secs(),
        )
        .await?;
    let mut changes = Vec::new();
    if before.name != spec.name {
        changes.push(format!("name \"{}\" → \"{}\"", before.name, spec.name));
    }
    if before.allowed_scopes != spec.scopes {
        changes.push(format!(
            "scopes {} → {}",
            before.allowed_scopes, spec.scopes
        ));
    }
    if let Some(uris) = &spec.redirect_uris {
        let current = ctx.store.client_redirect_uris(id).await?;
        let mut sorted = uris.clone();
        sorted.sort();
        if current != sorted {
            ctx.store.set_client_redirect_uris(id, uris).await?;
            changes.push(format!("redirect URIs {}", uris.join(" ")));
        }
    }
    if let Some(uris) = &spec.post_logout_redirect_uris {
        let current = ctx.store.client_post_logout_redirect_uris(id).await?;
        let mut sorted = uris.clone();
        sorted.sort();
        if current != sorted {
            ctx.store
                .set_client_post_logout_redirect_uris(id, uris)
                .await?;
            changes.push(format!("post-logout redirect URIs {}", uris.join(" ")));
        }
    }
    if let Some(resources) = spec.resources.as_ref().filter(|r| **r != before.resources) {
        ctx.store.set_client_resources(id, resources).await?;
        changes.push(format!("resources {}", resources.join(" ")));
    }
    if let Some(grants) = spec
        .grant_types
        .as_ref()
        .filter(|g| **g != before.grant_types)
    {
        ctx.store.set_client_grant_types(id, grants).await?;
        changes.push(format!("grants {}", short_names(grants)));
    }
    if before.refresh_tokens != spec.refresh_tokens {
        changes.push(format!(
            "refresh tokens {}",
            if spec.refresh_tokens { "on" } else { "off" }
        ));
    }
    if changes.is_empty() {
        changes.push("no change".into());
    }
    record(
        ctx,
        actor,
        AuditAction::AdminClientUpdated,
        Some(id.to_owned()),
        Some(id.to_owned()),
        changes.join("; "),
    )
    .await;
    Ok(())
}

/// Disables (every request of the client then fails with `invalid_client`
/// and its tokens stop working) or enables a client. `false` when it was
/// already so.
pub async fn set_client_disabled(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    disabled: bool,
) -> Result<bool> {
    let client = find_client(ctx, id).await?;
    let changed = ctx
        .store
        .set_client_disabled(&client.id, disabled, ctx.clock.now_secs())
        .await?;
    if changed {
        let (action, what) = if disabled {
            (AuditAction::AdminClientDisabled, "disabled")
        } else {
            (AuditAction::AdminClientEnabled, "enabled")
        };
        record(
            ctx,
            actor,
            action,
            Some(client.id.to_string()),
            Some(client.id.to_string()),
            format!("client \"{}\" {what}", client.name),
        )
        .await;
    }
    Ok(changed)
}

/// Gives a confidential client a new secret (returned once); the old one
/// stops working at once.
pub async fn rotate_client_secret(ctx: &Ctx<'_>, actor: &Actor, id: &str) -> Result<Secret> {
    let client = find_client(ctx, id).await?;
    if client.secret_hash.is_none() {
        return Err(Error::InvalidRequest(
            "only clients with a secret have one to rotate (private_key_jwt clients replace their keys)".into(),
        ));
    }
    let secret = Secret::new(ctx.random.token(32));
    if !ctx
        .store
        .set_client_secret_hash(
            &client.id,
            &hash_secret(secret.expose()),
            ctx.clock.now_secs(),
        )
        .await?
    {
        return Err(Error::NotFound("no such confidential client".into()));
    }
    record(
        ctx,
        actor,
        AuditAction::AdminClientSecretRotated,
        Some(client.id.to_string()),
        Some(client.id.to_string()),
        format!(
            "new secret for \"{}\"; the old one no longer works",
            client.name
        ),
    )
    .await;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_specs_are_checked_field_by_field() {
        let ok = client_spec(" Build bot ", "read  write read", true).expect("valid");
        assert_eq!(ok.name, "Build bot");
        assert_eq!(ok.scopes.to_string(), "read write");
        let errors = client_spec("", "", false).expect_err("both missing");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "scopes"]);
        let errors = client_spec("x", "re\"ad", false).expect_err("bad scope");
        assert_eq!(errors[0].field, "scopes");
    }
}
