//! Sign-in through upstream OpenID Connect providers, and GitHub.
//!
//! [`begin`] sends the person to the provider with the authorization code
//! flow, PKCE S256, a `state` and a `nonce`, all fresh, kept server-side
//! (see store/upstream.rs) until [`finish`] takes them back exactly once.
//! The callback's ID token is verified by the `openidconnect` crate
//! (relying.rs), which also fills missing claims from userinfo; GitHub,
//! which has no ID token, is asked through its API (github.rs). Then
//! [`resolve`] decides whose account it opens, by the
//! rules that keep one account from being taken over through another:
//!
//! 1. An upstream account linked before (provider + `sub`) signs in to
//!    its local account (unless that is disabled).
//! 2. Otherwise, when the provider is trusted for e-mail, says the address
//!    is verified, and exactly one local account has the same address,
//!    verified here too, the two are linked and the person signed in.
//! 3. Otherwise, if a local account has the upstream username or e-mail,
//!    nothing is linked until the person signs in to that account with its
//!    password (and second step) here: then they are asked to confirm the
//!    link (see http/ui/upstream_link.rs).
//! 4. Otherwise an account is created, when the provider allows it and
//!    the (verified) e-mail is in its allowed domains, with no password.
//! 5. Otherwise the sign-in is refused.
//!
//! Every sign-in, link, creation and refusal is audited.

pub mod github;
pub mod links;
pub mod presets;
pub mod providers;
pub mod relying;

use std::net::IpAddr;

use sha2::Digest as _;

use super::user::User;
use super::{Core, Error};
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::upstream::{PENDING_SECS, PendingSignIn, Provider, ProviderKind};
use crate::store::NewAuditEvent;
pub use relying::{Claims, Relying};

/// RFC 8176 `amr` of a session signed in through a provider: `fed`.
///
/// RFC 8176's registry has no value for federated sign-in, and §2 allows
/// values outside it that the parties agree on; AuthGate's relying parties
/// learn it from the README. The upstream's own `amr` is not copied: it
/// says how the provider checked the person, which AuthGate cannot check
/// in turn, and copying it would let any configured provider claim `mfa`
/// here.
pub const AMR: &[&str] = &["fed"];

/// Why an upstream sign-in did not go through, each shown as its own page.
#[derive(Debug)]
pub enum Problem {
    /// No enabled provider has that name.
    NoSuchProvider,
    /// The provider did not answer in time, or answered nonsense.
    Unreachable(String),
    /// The person declined at the provider (`error=access_denied`).
    Declined,
    /// The provider answered with another error.
    ProviderError(String),
    /// The callback's `state` is missing, unknown, used or expired.
    StaleState,
    /// The code exchange failed or the ID token did not verify.
    Unverified,
    /// The rules refuse: the message says why and what to do.
    Refused(String),
    Domain(Error),
    Internal(String),
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        Problem::Domain(e)
    }
}

impl From<crate::store::Error> for Problem {
    fn from(e: crate::store::Error) -> Self {
        Problem::Domain(e.into())
    }
}

/// Where a provider sends people back: `{issuer}/login/upstream/{name}/callback`.
pub fn redirect_uri(base_url: &str, name: &str) -> String {
    format!(
        "{}/login/upstream/{name}/callback",
        base_url.trim_end_matches('/')
    )
}

/// The SHA-256 of a `state`, as the store keys waiting sign-ins.
fn state_hash(state: &str) -> String {
    hex::encode(sha2::Sha256::digest(state.as_bytes()))
}

/// The enabled provider called `name`.
pub async fn enabled_provider(core: &Core, name: &str) -> Result<Provider, Problem> {
    match core.store.upstream_provider(name).await? {
        Some(p) if p.enabled => Ok(p),
        _ => Err(Problem::NoSuchProvider),
    }
}

/// The enabled providers, for the sign-in buttons.
pub async fn enabled_providers(core: &Core) -> Result<Vec<Provider>, Error> {
    let all = core.store.upstream_providers().await?;
    Ok(all.into_iter().filter(|p| p.enabled).collect())
}

/// A sign-in sent to a provider: where to send the browser, and the
/// `state` the session must remember (the callback must come back to
/// the browser that started it).
#[derive(Debug)]
pub struct Started {
    pub url: String,
    pub state: Secret,
}

/// Starts a sign-in at `name` that returns to `next` (already checked).
///
/// `login_hint` (the application's, already cleaned) is passed on, so the
/// provider can prefill who is signing in (OpenID Connect Core §3.1.2.1;
/// GitHub calls it `login`).
pub async fn begin(
    core: &Core,
    name: &str,
    next: &str,
    login_hint: Option<&str>,
) -> Result<Started, Problem> {
    let provider = enabled_provider(core, name).await?;
    let state = core.random.token(32);
    let nonce = core.random.token(32);
    // RFC 7636 §4.1: 43 to 128 unreserved characters (base64url of 32 bytes).
    let verifier = core.random.token(32);
    let now = core.clock.now_secs();
    let secrets = relying::Secrets {
        state: &state,
        nonce: &nonce,
        verifier: &verifier,
    };
    let redirect = redirect_uri(&core.policy.issuer, name);
    let url = match provider.kind {
        ProviderKind::Oidc => {
            core.upstream
                .authorization_url(&provider, &redirect, &secrets, login_hint, now)
                .await?
        }
        ProviderKind::Github => {
            github::authorization_url(&provider, &redirect, &secrets, login_hint)?
        }
    };
    let pending = PendingSignIn {
        provider_id: provider.id.clone(),
        nonce: Secret::new(nonce),
        pkce_verifier: Secret::new(verifier),
        next: next.to_owned(),
        expires_at: UnixSecs(now + PENDING_SECS),
    };
    core.store
        .insert_upstream_sign_in(&state_hash(&state), &pending, UnixSecs(now))
        .await?;
    Ok(Started {
        url,
        state: Secret::new(state),
    })
}

/// What the provider's callback carried.
#[derive(Debug, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
}

/// A finished upstream sign-in: the verified claims and where to go.
#[derive(Debug)]
pub struct Returned {
    pub provider: Provider,
    pub claims: Claims,
    pub next: String,
}

/// Takes the waiting sign-in back (once) and verifies what the provider
/// sent. `remembered` is the state this browser's session started with:
/// a callback carrying another (or none) is refused, so nobody can make
/// a victim's browser finish a sign-in the attacker started.
pub async fn finish(
    core: &Core,
    name: &str,
    callback: &Callback,
    remembered: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Returned, Problem> {
    let provider = enabled_provider(core, name).await?;
    let state = callback.state.as_deref().unwrap_or_default();
    let same = remembered.is_some_and(|r| {
        !state.is_empty() && crate::crypto::constant_time_eq(r.as_bytes(), state.as_bytes())
    });
    if !same {
        refused(core, &provider, ip, "state missing or not this browser's").await;
        return Err(Problem::StaleState);
    }
    let now = core.clock.now_secs();
    let Some(pending) = core
        .store
        .take_upstream_sign_in(&state_hash(state), UnixSecs(now))
        .await?
        .filter(|p| p.provider_id == provider.id)
    else {
        refused(core, &provider, ip, "state used already or expired").await;
        return Err(Problem::StaleState);
    };
    if let Some(error) = &callback.error {
        // RFC 6749 §4.1.2.1: the provider's own error codes are ASCII
        // words; anything else is not worth repeating.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        refused(core, &provider, ip, &format!("provider answered {code}")).await;
        return Err(if code == "access_denied" {
            Problem::Declined
        } else {
            Problem::ProviderError(code)
        });
    }
    let Some(code) = callback.code.as_deref().filter(|c| !c.is_empty()) else {
        refused(core, &provider, ip, "callback without a code").await;
        return Err(Problem::Unverified);
    };
    let secrets = relying::Secrets {
        state,
        nonce: pending.nonce.expose(),
        verifier: pending.pkce_verifier.expose(),
    };
    let redirect = redirect_uri(&core.policy.issuer, name);
    let exchanged = match provider.kind {
        ProviderKind::Oidc => {
            core.upstream
                .exchange(&provider, &redirect, code, &secrets, now)
                .await
        }
        ProviderKind::Github => {
            github::exchange(core.upstream.http(), &provider, &redirect, code, &secrets).await
        }
    };
    let claims = match exchanged {
        Ok(claims) => claims,
        Err(problem) => {
            let why = match provider.kind {
                ProviderKind::Oidc => "code exchange, ID token or userinfo refused",
                ProviderKind::Github => "code exchange or GitHub API refused",
            };
            refused(core, &provider, ip, why).await;
            return Err(problem);
        }
    };
    Ok(Returned {
        provider,
        claims,
        next: pending.next,
    })
}

/// Whose account a verified upstream sign-in opens (see the module doc).
#[derive(Debug)]
pub enum Resolution {
    /// Sign this person in.
    SignIn(User),
    /// `User`'s account matches by username or e-mail: they must sign in
    /// to it here first, then confirm the link.
    NeedsPassword(User),
}

/// Applies the linking rules to `returned`.
pub async fn resolve(
    core: &Core,
    returned: &Returned,
    ip: Option<IpAddr>,
) -> Result<Resolution, Problem> {
    links::resolve(core, &returned.provider, &returned.claims, ip).await
}

/// An audit event about `provider` for `actor` at `ip`.
fn event(
    action: AuditAction,
    provider: &Provider,
    actor: Option<&str>,
    ip: Option<IpAddr>,
    detail: &str,
) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.map(str::to_owned),
        ip: ip.map(|ip| ip.to_string()),
        target: Some(provider.name.clone()),
        detail: Some(detail.to_owned()),
        ..NewAuditEvent::new(action)
    }
}

/// Audits a link asked for on `/account` whose callback came back when
/// that person was no longer the one signed in.
pub async fn refused_link(core: &Core, provider: &Provider, ip: Option<IpAddr>) {
    refused(
        core,
        provider,
        ip,
        "link refused: the account that asked is not signed in",
    )
    .await;
}

/// Audits a refused upstream sign-in.
async fn refused(core: &Core, provider: &Provider, ip: Option<IpAddr>, why: &str) {
    tracing::info!(provider = %provider.name, reason = why, "upstream sign-in refused");
    super::audit::record(
        core,
        event(AuditAction::UpstreamRefused, provider, None, ip, why),
    )
    .await;
}
