//! Dynamic client registration (RFC 7591) and its management protocol
//! (RFC 7592), with an administrator's approval.
//!
//! A client registered here is **pending**: every endpoint refuses it
//! until an administrator approves it (`domain/admin/registrations.rs`).
//! It manages its own registration with the registration access token it
//! got once (stored as SHA-256, compared in constant time, good for its
//! own `client_id` only). An update that changes what it may do or how it
//! proves itself (see [`RegisteredMetadata::security_relevant_change`])
//! sends an approved client back to pending; its tokens already issued
//! stay valid until they expire, but it gets no new ones before the next
//! approval.

pub mod metadata;

use self::metadata::{AuthMethod, Checked, MetadataRequest};
use super::{Core, Error, Result, audit, client};
use crate::crypto::{constant_time_eq, hash_secret};
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::client::{Client, ClientStatus};
use crate::model::registration::{RegisteredMetadata, Registration};
use crate::store::{NewAuditEvent, NewClient, NewRegistration, RegistrationUpdate};

/// Registration when it is on (REGISTRATION `open` or `token`).
#[derive(Clone, Debug)]
pub struct RegistrationPolicy {
    /// SHA-256 of REGISTRATION_TOKEN, the initial access token (RFC 7591
    /// §3) every registration must present; `None` when registration is
    /// open.
    pub initial_token_hash: Option<String>,
    /// REGISTRATION_MAX_PENDING.
    pub max_pending: u32,
}

/// A client just registered: its secrets are shown this once.
/// No `Debug`: it carries secrets.
pub struct Registered {
    pub client_id: String,
    /// For `client_secret_basic` and `client_secret_post` clients only.
    pub client_secret: Option<Secret>,
    pub registration_access_token: Secret,
    pub issued_at: i64,
    pub metadata: RegisteredMetadata,
}

/// Who asked to register.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The policy, or 404 when registration is off (the endpoint does not
/// exist then).
fn policy(core: &Core) -> Result<&RegistrationPolicy> {
    core.policy
        .registration
        .as_ref()
        .ok_or_else(|| Error::NotFound("dynamic client registration is off".into()))
}

/// Whether `/oauth/register` is served (and named in the metadata).
pub fn enabled(core: &Core) -> bool {
    core.policy.registration.is_some()
}

/// RFC 7591 §3: with REGISTRATION=token the request must carry the
/// initial access token; a missing or wrong one is `invalid_token`.
fn check_initial_token(policy: &RegistrationPolicy, presented: Option<&Secret>) -> Result<()> {
    let Some(expected) = &policy.initial_token_hash else {
        return Ok(());
    };
    let presented = presented.ok_or_else(|| {
        Error::InvalidToken(
            "registration needs an initial access token (Authorization: Bearer)".into(),
        )
    })?;
    if constant_time_eq(
        expected.as_bytes(),
        hash_secret(presented.expose()).as_bytes(),
    ) {
        Ok(())
    } else {
        Err(Error::InvalidToken(
            "the initial access token is not valid".into(),
        ))
    }
}

/// Checks `req` against the scopes the server knows.
async fn checked(core: &Core, req: &MetadataRequest) -> Result<Checked> {
    let known = client::scopes_supported(core).await?;
    metadata::check(req, &known, crate::bootstrap::CLI_CLIENT_SCOPES)
}

/// Registers a client (RFC 7591 §3.1), pending an administrator's
/// approval; refused when REGISTRATION_MAX_PENDING clients wait already.
pub async fn register(
    core: &Core,
    req: &MetadataRequest,
    initial_token: Option<&Secret>,
    requester: Requester,
) -> Result<Registered> {
    let policy = policy(core)?;
    check_initial_token(policy, initial_token)?;
    let checked = checked(core, req).await?;
    let client_id = core.random.uuid();
    let client_secret =
        (checked.auth == AuthMethod::Secret).then(|| Secret::new(core.random.token(32)));
    let access_token = Secret::new(core.random.token(32));
    let now = core.clock.now_secs();
    let metadata = checked.metadata.clone();
    let registration = NewRegistration {
        client: NewClient {
            id: client_id.clone(),
            name: metadata.client_name.clone(),
            secret_hash: client_secret.as_ref().map(|s| hash_secret(s.expose())),
            keys: checked.keys.clone(),
            allowed_scopes: checked.scopes.to_string(),
            refresh_tokens: checked
                .grants
                .contains(crate::model::client::GrantType::RefreshToken),
            grant_types: checked.grants.clone(),
            now,
        },
        redirect_uris: metadata.redirect_uris.clone(),
        access_token_hash: hash_secret(access_token.expose()),
        requester_ip: requester.ip.clone(),
        user_agent: requester.user_agent.clone(),
        metadata: metadata.clone(),
        max_pending: i64::from(policy.max_pending),
    };
    if !core.store.register_client(&registration).await? {
        tracing::warn!(
            max_pending = policy.max_pending,
            "client registration refused: too many clients wait for approval"
        );
        return Err(Error::RegistrationsFull);
    }
    tracing::info!(client_id = %client_id, "client registered itself; pending approval");
    audit::record(
        core,
        NewAuditEvent {
            client_id: Some(client_id.clone()),
            target: Some(client_id.clone()),
            ip: requester.ip.clone(),
            detail: Some(format!(
                "client registered itself, pending approval: {}; user agent {}",
                describe(&metadata),
                requester.user_agent.as_deref().unwrap_or("(none)")
            )),
            ..NewAuditEvent::new(AuditAction::ClientRegistered)
        },
    )
    .await;
    Ok(Registered {
        client_id,
        client_secret,
        registration_access_token: access_token,
        issued_at: now,
        metadata,
    })
}

/// The registration's details in one line, for the audit log.
pub fn describe(m: &RegisteredMetadata) -> String {
    let mut parts = vec![
        format!("\"{}\"", m.client_name),
        format!("auth {}", m.token_endpoint_auth_method),
        format!("grants {}", m.grant_types.join(" ")),
        format!("scope {}", m.scope),
    ];
    if !m.redirect_uris.is_empty() {
        parts.push(format!("redirect URIs {}", m.redirect_uris.join(" ")));
    }
    if let Some(uri) = &m.client_uri {
        parts.push(format!("client_uri {uri}"));
    }
    if let Some(id) = &m.software_id {
        parts.push(format!(
            "software {id} {}",
            m.software_version.as_deref().unwrap_or("")
        ));
    }
    if !m.contacts.is_empty() {
        parts.push(format!("contacts {}", m.contacts.join(" ")));
    }
    parts.join(", ")
}

/// The client and registration `token` opens (RFC 7592 §3). Unknown
/// clients, clients an administrator made, and a token of another client
/// are all the same `invalid_token`: the answer says nothing about which
/// client ids exist.
pub async fn authorize(
    core: &Core,
    client_id: &str,
    token: Option<&Secret>,
) -> Result<(Client, Registration)> {
    policy(core)?;
    let refused =
        || Error::InvalidToken("the registration access token is not valid for this client".into());
    let token = token.ok_or_else(|| {
        Error::InvalidToken(
            "a registration access token is required (Authorization: Bearer)".into(),
        )
    })?;
    let registration = core
        .store
        .find_registration(client_id)
        .await?
        .ok_or_else(refused)?;
    if !constant_time_eq(
        registration.access_token_hash.as_bytes(),
        hash_secret(token.expose()).as_bytes(),
    ) {
        return Err(refused());
    }
    let client = core
        .store
        .find_client(client_id)
        .await?
        .ok_or_else(refused)?;
    Ok((client, registration))
}

/// What a client may send beside its metadata in an update (RFC 7592 §2.2).
#[derive(Debug, Clone, Default)]
pub struct UpdateIdentity {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
}

/// Replaces a client's metadata (RFC 7592 §2.2). `client_id` must be the
/// client's; a `client_secret` must be its current one (a client cannot
/// choose its secret); the authentication method may change only between
/// `client_secret_basic` and `client_secret_post`. Returns the new
/// metadata and status.
pub async fn update(
    core: &Core,
    client_id: &str,
    token: Option<&Secret>,
    identity: UpdateIdentity,
    req: &MetadataRequest,
) -> Result<(Registration, ClientStatus)> {
    let (client, registration) = authorize(core, client_id, token).await?;
    if identity.client_id.as_deref() != Some(client_id) {
        return Err(Error::InvalidClientMetadata(
            "client_id must be given and be this client's".into(),
        ));
    }
    if let Some(secret) = &identity.client_secret {
        let same = client.secret_hash.as_ref().is_some_and(|stored| {
            constant_time_eq(stored.as_bytes(), hash_secret(secret.expose()).as_bytes())
        });
        if !same {
            return Err(Error::InvalidClientMetadata(
                "client_secret cannot be chosen by the client; leave it out or send the current one".into(),
            ));
        }
    }
    let checked = checked(core, req).await?;
    let before = auth_of(&client);
    if checked.auth != before {
        return Err(Error::InvalidClientMetadata(format!(
            "token_endpoint_auth_method cannot change from {} to {}: register a new client",
            registration.metadata.token_endpoint_auth_method,
            checked.metadata.token_endpoint_auth_method
        )));
    }
    let back_to_pending = registration
        .metadata
        .security_relevant_change(&checked.metadata);
    let now = core.clock.now_secs();
    let updated = core
        .store
        .update_registered_client(&RegistrationUpdate {
            client_id,
            name: &checked.metadata.client_name,
            allowed_scopes: &checked.scopes.to_string(),
            refresh_tokens: checked
                .grants
                .contains(crate::model::client::GrantType::RefreshToken),
            grant_types: &checked.grants,
            keys: checked.keys.as_ref(),
            redirect_uris: &checked.metadata.redirect_uris,
            metadata: &checked.metadata,
            back_to_pending,
            now,
        })
        .await?;
    if !updated {
        return Err(Error::InvalidToken(
            "the registration access token is not valid for this client".into(),
        ));
    }
    let status = if back_to_pending && client.status == ClientStatus::Approved {
        ClientStatus::Pending
    } else {
        client.status
    };
    audit::record(
        core,
        NewAuditEvent {
            client_id: Some(client_id.to_owned()),
            target: Some(client_id.to_owned()),
            detail: Some(format!(
                "client updated its registration{}: {}",
                if status != client.status {
                    " and waits for approval again"
                } else {
                    ""
                },
                describe(&checked.metadata)
            )),
            ..NewAuditEvent::new(AuditAction::ClientRegistrationUpdated)
        },
    )
    .await;
    Ok((
        Registration {
            metadata: checked.metadata,
            updated_at: now,
            ..registration
        },
        status,
    ))
}

/// How `client` authenticates now.
fn auth_of(client: &Client) -> AuthMethod {
    if client.keys.is_some() {
        AuthMethod::PrivateKeyJwt
    } else if client.secret_hash.is_some() {
        AuthMethod::Secret
    } else {
        AuthMethod::None
    }
}

/// Deletes a client that registered itself (RFC 7592 §2.3), revoking its
/// tokens first, as the administrators' bulk revocation does.
pub async fn delete(core: &Core, client_id: &str, token: Option<&Secret>) -> Result<()> {
    let (client, registration) = authorize(core, client_id, token).await?;
    let live = core
        .store
        .delete_client(&client.id, core.clock.now_secs())
        .await?
        .unwrap_or(0);
    audit::record(
        core,
        NewAuditEvent {
            client_id: Some(client_id.to_owned()),
            target: Some(client_id.to_owned()),
            detail: Some(format!(
                "client deleted its registration ({live} live tokens revoked): {}",
                describe(&registration.metadata)
            )),
            ..NewAuditEvent::new(AuditAction::ClientRegistrationDeleted)
        },
    )
    .await;
    Ok(())
}
