//! Managing upstream providers (`authgate provider ...` and the
//! dashboard): validated, audited like an administrator's changes. Adding
//! and editing share one validation ([`provider`]). Only the store, clock and
//! randomness are needed, so the commands run without a server.

use crate::domain::admin::{Actor, Ctx};
use crate::domain::{Error, Result, audit};
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::upstream::{ClaimMapping, DEFAULT_SCOPES, Provider, ProviderKind, valid_name};
use crate::store::NewAuditEvent;

/// What an operator gives for a new provider.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    pub kind: ProviderKind,
    pub name: String,
    pub label: Option<String>,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Space-separated; `openid` is added when missing (OpenID Connect).
    pub scopes: Option<String>,
    pub claims: ClaimMapping,
    pub create_accounts: bool,
    pub allowed_domains: Vec<String>,
    pub trust_email: bool,
    /// Sign-in domains: a `login_hint` there goes straight to the provider.
    pub hint_domains: Vec<String>,
}

/// Checked e-mail domains (lowercased, a leading `@` dropped).
fn domains(list: &[String], what: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for d in list {
        let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.is_empty() || !d.contains('.') || d.chars().any(|c| c.is_whitespace() || c == '@') {
            return Err(Error::InvalidRequest(format!(
                "{what} look like example.com"
            )));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Checks `spec` into a provider. [`Error::InvalidRequest`] says what is wrong.
fn provider(ctx: &Ctx<'_>, spec: ProviderSpec) -> Result<Provider> {
    let invalid = |why: &str| Err(Error::InvalidRequest(why.to_owned()));
    if !valid_name(&spec.name) {
        return invalid(
            "provider names are 1 to 32 lowercase letters, digits or '-', starting with a letter",
        );
    }
    let issuer = url::Url::parse(&spec.issuer).ok();
    let https_or_loopback = issuer.as_ref().is_some_and(crate::domain::fetchable_url);
    if !https_or_loopback || spec.issuer.contains('?') || spec.issuer.contains('#') {
        return invalid(
            "the issuer must be an https URL (http only on this machine) without query",
        );
    }
    if let Some(why) = issuer
        .as_ref()
        .and_then(|u| entra_refusal(u, spec.trust_email))
    {
        return invalid(why);
    }
    if spec.client_id.trim().is_empty() || spec.client_secret.is_empty() {
        return invalid("a client id and client secret are needed");
    }
    let default_scopes = match spec.kind {
        ProviderKind::Oidc => DEFAULT_SCOPES,
        ProviderKind::Github => super::presets::GITHUB_SCOPES,
    };
    let mut scopes: Vec<String> = spec
        .scopes
        .as_deref()
        .unwrap_or(default_scopes)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if spec.kind == ProviderKind::Oidc && !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let allowed_domains = domains(&spec.allowed_domains, "allowed domains")?;
    let hint_domains = domains(&spec.hint_domains, "sign-in domains")?;
    for claim in [&spec.claims.username, &spec.claims.email, &spec.claims.name] {
        if claim.is_empty() || claim.len() > 64 {
            return invalid("claim names are 1 to 64 characters");
        }
    }
    let label = spec
        .label
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| spec.name.clone());
    if label.chars().count() > 64 || label.chars().any(char::is_control) {
        return invalid("labels are at most 64 characters, without control characters");
    }
    Ok(Provider {
        id: ctx.random.uuid(),
        kind: spec.kind,
        name: spec.name,
        label,
        issuer: spec.issuer,
        client_id: spec.client_id.trim().to_owned(),
        client_secret: spec.client_secret,
        scopes,
        claims: spec.claims,
        create_accounts: spec.create_accounts,
        allowed_domains,
        trust_email: spec.trust_email,
        hint_domains,
        enabled: true,
        created_at: UnixSecs(ctx.clock.now_secs()),
    })
}

/// Why a Microsoft Entra ID issuer cannot be used as given, if it cannot.
///
/// Entra's `email` claim is whatever the directory's administrators (of
/// any tenant, for multi-tenant apps) typed, unverified: believing it
/// would let someone who controls some tenant sign in as anyone here by
/// their address. And the shared tenants (`common`, `organizations`,
/// `consumers`) publish an issuer template no ID token matches.
fn entra_refusal(issuer: &url::Url, trust_email: bool) -> Option<&'static str> {
    let host = issuer.host_str()?;
    let entra = host == "sts.windows.net"
        || (host.starts_with("login.") && host.contains("microsoftonline."));
    if !entra {
        return None;
    }
    let tenant = issuer.path_segments()?.next().unwrap_or_default();
    if super::presets::ENTRA_SHARED_TENANTS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
    {
        return Some(
            "Microsoft's shared tenants (common, organizations, consumers) have an issuer no ID \
             token matches: give your tenant's ID",
        );
    }
    trust_email.then_some(
        "Microsoft Entra ID's email claim is not verified by the directory (a tenant's \
         administrators can set any address), so trusting it for linking is refused",
    )
}

async fn record(ctx: &Ctx<'_>, actor: &Actor, action: AuditAction, name: &str, detail: &str) {
    let detail = if actor.user_id.is_none() {
        format!("{detail} (command line)")
    } else {
        detail.to_owned()
    };
    audit::write(
        ctx.store,
        ctx.clock,
        ctx.random,
        NewAuditEvent {
            actor: actor.user_id.clone(),
            ip: actor.ip.clone(),
            target: Some(name.to_owned()),
            detail: Some(detail),
            ..NewAuditEvent::new(action)
        },
    )
    .await;
}

/// Saves a new provider. [`Error::InvalidRequest`] for bad input or a
/// name in use.
pub async fn add(ctx: &Ctx<'_>, actor: &Actor, spec: ProviderSpec) -> Result<Provider> {
    let provider = provider(ctx, spec)?;
    match ctx.store.insert_upstream_provider(&provider).await {
        Ok(()) => {}
        Err(crate::store::Error::Conflict(_)) => {
            return Err(Error::InvalidRequest(format!(
                "a provider called {} exists already",
                provider.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    record(
        ctx,
        actor,
        AuditAction::AdminProviderCreated,
        &provider.name,
        &format!("issuer {}", provider.issuer),
    )
    .await;
    Ok(provider)
}

/// Every provider.
pub async fn list(ctx: &Ctx<'_>) -> Result<Vec<Provider>> {
    Ok(ctx.store.upstream_providers().await?)
}

/// Turns a provider on or off. [`Error::NotFound`] if there is none.
pub async fn set_enabled(ctx: &Ctx<'_>, actor: &Actor, name: &str, enabled: bool) -> Result<()> {
    if !ctx
        .store
        .set_upstream_provider_enabled(name, enabled)
        .await?
    {
        return Err(Error::NotFound(format!("no provider called {name}")));
    }
    let (action, detail) = if enabled {
        (AuditAction::AdminProviderEnabled, "enabled")
    } else {
        (AuditAction::AdminProviderDisabled, "disabled")
    };
    record(ctx, actor, action, name, detail).await;
    Ok(())
}

/// Removes a provider and every link to it. [`Error::NotFound`] if there is none.
pub async fn remove(ctx: &Ctx<'_>, actor: &Actor, name: &str) -> Result<()> {
    if !ctx.store.delete_upstream_provider(name).await? {
        return Err(Error::NotFound(format!("no provider called {name}")));
    }
    record(
        ctx,
        actor,
        AuditAction::AdminProviderRemoved,
        name,
        "removed with its linked accounts",
    )
    .await;
    Ok(())
}

/// What an edit changes: `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ProviderChanges {
    pub label: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Never shown back; `None` keeps the stored secret.
    pub client_secret: Option<Secret>,
    pub scopes: Option<String>,
    pub username_claim: Option<String>,
    pub email_claim: Option<String>,
    pub name_claim: Option<String>,
    pub create_accounts: Option<bool>,
    pub allowed_domains: Option<Vec<String>>,
    pub trust_email: Option<bool>,
    pub hint_domains: Option<Vec<String>>,
}

/// The names of the fields that differ between `old` and `new`, for the
/// audit log (the secret's name only, never its value).
fn changed_fields(old: &Provider, new: &Provider) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |differs: bool, name| {
        if differs {
            changed.push(name);
        }
    };
    note(old.label != new.label, "label");
    note(old.issuer != new.issuer, "issuer");
    note(old.client_id != new.client_id, "client id");
    note(
        !crate::crypto::constant_time_eq(
            old.client_secret.expose().as_bytes(),
            new.client_secret.expose().as_bytes(),
        ),
        "client secret",
    );
    note(old.scopes != new.scopes, "scopes");
    note(old.claims != new.claims, "claims");
    note(
        old.create_accounts != new.create_accounts,
        "create accounts",
    );
    note(
        old.allowed_domains != new.allowed_domains,
        "allowed domains",
    );
    note(old.trust_email != new.trust_email, "trust e-mail");
    note(old.hint_domains != new.hint_domains, "sign-in domains");
    changed
}

/// Edits the provider called `name`: only what `changes` gives changes,
/// checked as when adding. Errors: [`Error::NotFound`];
/// [`Error::InvalidRequest`] for bad input; [`Error::Refused`] for a new
/// issuer while accounts are linked (their `sub`s belong to the old
/// issuer, and could name other people at the new one).
pub async fn update(
    ctx: &Ctx<'_>,
    actor: &Actor,
    name: &str,
    changes: ProviderChanges,
) -> Result<Provider> {
    let old = ctx
        .store
        .upstream_provider(name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no provider called {name}")))?;
    let spec = ProviderSpec {
        name: old.name.clone(),
        kind: old.kind,
        label: Some(changes.label.unwrap_or_else(|| old.label.clone())),
        issuer: changes
            .issuer
            .map(|i| i.trim().to_owned())
            .unwrap_or_else(|| old.issuer.clone()),
        client_id: changes.client_id.unwrap_or_else(|| old.client_id.clone()),
        client_secret: changes
            .client_secret
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| old.client_secret.clone()),
        scopes: Some(changes.scopes.unwrap_or_else(|| old.scopes.join(" ")))
            .filter(|s| !s.trim().is_empty()),
        claims: ClaimMapping {
            username: changes
                .username_claim
                .unwrap_or_else(|| old.claims.username.clone()),
            email: changes
                .email_claim
                .unwrap_or_else(|| old.claims.email.clone()),
            name: changes
                .name_claim
                .unwrap_or_else(|| old.claims.name.clone()),
        },
        create_accounts: changes.create_accounts.unwrap_or(old.create_accounts),
        allowed_domains: changes
            .allowed_domains
            .unwrap_or_else(|| old.allowed_domains.clone()),
        trust_email: changes.trust_email.unwrap_or(old.trust_email),
        hint_domains: changes
            .hint_domains
            .unwrap_or_else(|| old.hint_domains.clone()),
    };
    let new = Provider {
        id: old.id.clone(),
        enabled: old.enabled,
        created_at: old.created_at,
        ..provider(ctx, spec)?
    };
    let changed = changed_fields(&old, &new);
    if changed.is_empty() {
        return Ok(old);
    }
    if new.issuer != old.issuer {
        let linked = ctx.store.count_upstream_identities(&old.id).await?;
        if linked > 0 {
            return Err(Error::Refused(format!(
                "{linked} account(s) are linked through {name}, by identifiers that only \
                 its current issuer vouches for. To use another issuer, remove the \
                 provider (which unlinks them) and add it again"
            )));
        }
    }
    if !ctx.store.update_upstream_provider(&new).await? {
        return Err(Error::NotFound(format!("no provider called {name}")));
    }
    record(
        ctx,
        actor,
        AuditAction::AdminProviderUpdated,
        name,
        &format!("changed {}", changed.join(", ")),
    )
    .await;
    Ok(new)
}

/// The provider called `name` and how many accounts are linked through
/// it. [`Error::NotFound`] if there is none.
pub async fn find(ctx: &Ctx<'_>, name: &str) -> Result<(Provider, i64)> {
    let provider = ctx
        .store
        .upstream_provider(name)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no provider called {name}")))?;
    let linked = ctx.store.count_upstream_identities(&provider.id).await?;
    Ok((provider, linked))
}
