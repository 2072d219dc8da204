//! Managing upstream providers (`authgate provider ...`): validated,
//! audited like an administrator's changes. Only the store, clock and
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
    let https_or_loopback = issuer.as_ref().is_some_and(|u| {
        u.scheme() == "https"
            || (u.scheme() == "http"
                && matches!(u.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")))
    });
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
    let mut domains = Vec::new();
    for d in &spec.allowed_domains {
        let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.is_empty() || !d.contains('.') || d.chars().any(|c| c.is_whitespace() || c == '@') {
            return invalid("allowed domains look like example.com");
        }
        domains.push(d);
    }
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
        allowed_domains: domains,
        trust_email: spec.trust_email,
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
