//! Linking upstream accounts to local ones: the rules of the parent
//! module's doc, a link confirmed after a password sign-in, and unlinking.

use std::net::IpAddr;

use super::{Claims, Problem, Resolution, event};
use crate::domain::admin::Actor;
use crate::domain::user::{self, User};
use crate::domain::{Core, Error, audit};
use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::upstream::{
    Identity, NO_PASSWORD_HASH, Provider, domain_allowed, has_password, username_from_claim,
};
use crate::model::user::{Profile, Role};
use crate::store::NewUser;

/// How many suffixes (`ann-2` … `ann-20`) are tried for a new username.
const USERNAME_TRIES: u32 = 20;

pub(super) async fn resolve(
    core: &Core,
    provider: &Provider,
    claims: &Claims,
    ip: Option<IpAddr>,
) -> Result<Resolution, Problem> {
    let now = UnixSecs(core.clock.now_secs());
    // 1. Linked before.
    if let Some(user_id) = core
        .store
        .use_upstream_identity(&provider.id, &claims.subject, now)
        .await?
    {
        let user = user::find(core, &user_id).await?;
        return match user {
            Some(user) if !user.disabled => {
                signed_in(core, provider, &user, ip, "linked account").await;
                Ok(Resolution::SignIn(user))
            }
            _ => {
                super::refused(core, provider, ip, "linked account is disabled").await;
                Err(Problem::Refused(
                    "The AuthGate account linked to this sign-in is disabled. \
                     Ask an administrator."
                        .into(),
                ))
            }
        };
    }
    // 2. The same verified address on both sides, from a trusted provider.
    if let (true, true, Some(email)) = (
        provider.trust_email,
        claims.email_verified,
        claims.email.as_deref(),
    ) {
        let matches = core.store.users_with_verified_email(email).await?;
        if let [only] = matches.as_slice()
            && let Some(user) = user::find(core, only).await?.filter(|u| !u.disabled)
        {
            link(
                core,
                provider,
                &claims.subject,
                &user,
                ip,
                "same verified e-mail",
            )
            .await?;
            signed_in(core, provider, &user, ip, "linked by verified e-mail").await;
            return Ok(Resolution::SignIn(user));
        }
    }
    // 3. An account that may be theirs: only its password can say.
    if let Some(user) = matching_account(core, claims).await? {
        super::refused(
            core,
            provider,
            ip,
            &format!(
                "account {} exists: password sign-in needed to link",
                user.username
            ),
        )
        .await;
        return Ok(Resolution::NeedsPassword(user));
    }
    // 4. A new account, when allowed.
    let domain_ok = if provider.allowed_domains.is_empty() {
        true
    } else {
        // An unverified address proves nothing about its domain.
        claims.email_verified && domain_allowed(claims.email.as_deref(), &provider.allowed_domains)
    };
    if provider.create_accounts && domain_ok {
        let user = create(core, provider, claims, ip).await?;
        signed_in(core, provider, &user, ip, "new account").await;
        return Ok(Resolution::SignIn(user));
    }
    let why = if provider.create_accounts {
        "e-mail domain not allowed"
    } else {
        "no linked account and account creation is off"
    };
    super::refused(core, provider, ip, why).await;
    Err(Problem::Refused(if provider.create_accounts {
        format!(
            "Accounts are created only for verified e-mail addresses at {}.",
            provider.allowed_domains.join(", ")
        )
    } else {
        format!(
            "No AuthGate account is linked to this {} account, and new accounts are not \
             created automatically. Ask an administrator for an account, then link it \
             from your account page.",
            provider.label
        )
    }))
}

/// The local account with the upstream username, or else the upstream
/// e-mail (verified or not: an account that merely claims an address
/// still must not be shadowed by a new one).
async fn matching_account(core: &Core, claims: &Claims) -> Result<Option<User>, Error> {
    if let Some(username) = claims.username.as_deref()
        && let Some(user) = core.store.find_user_by_username(username).await?
    {
        return Ok(Some(user));
    }
    if let Some(email) = claims.email.as_deref()
        && let Some(id) = core.store.user_with_email(email).await?
    {
        return user::find(core, &id).await;
    }
    Ok(None)
}

/// Creates an account without a password for `claims`, linked to them,
/// under the first free username made from the claims.
async fn create(
    core: &Core,
    provider: &Provider,
    claims: &Claims,
    ip: Option<IpAddr>,
) -> Result<User, Problem> {
    let base = claims
        .username
        .as_deref()
        .or_else(|| claims.email.as_deref().and_then(|e| e.split('@').next()))
        .and_then(username_from_claim)
        .unwrap_or_else(|| "user".to_owned());
    let profile = Profile {
        email: claims.email.clone(),
        // Verified here only if the provider is trusted to say so.
        email_verified: provider.trust_email && claims.email_verified && claims.email.is_some(),
        name: claims.name.as_ref().map(|n| n.chars().take(100).collect()),
    };
    let now = core.clock.now_secs();
    for n in 1..=USERNAME_TRIES {
        let username = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let new = NewUser {
            id: core.random.uuid(),
            username: username.clone(),
            password_hash: NO_PASSWORD_HASH.to_owned(),
            role: Role::User,
            profile: profile.clone(),
            now,
        };
        match core.store.insert_user(&new).await {
            Ok(()) => {}
            Err(crate::store::Error::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
        if let Err(e) = core
            .store
            .insert_upstream_identity(&provider.id, &claims.subject, &new.id, UnixSecs(now))
            .await
        {
            // Another sign-in of the same person won the race: theirs stands.
            core.store.delete_new_user(&new.id).await?;
            return Err(e.into());
        }
        audit::record(
            core,
            event(
                AuditAction::UpstreamAccountCreated,
                provider,
                Some(&new.id),
                ip,
                &format!("account {username} created at first sign-in"),
            ),
        )
        .await;
        return user::find(core, &new.id)
            .await?
            .ok_or_else(|| Problem::Internal("new user vanished".into()));
    }
    super::refused(core, provider, ip, "no free username").await;
    Err(Problem::Refused(
        "No free username could be made for you. Ask an administrator for an account.".into(),
    ))
}

/// Links `subject` at `provider` to `user` and audits it.
/// [`Problem::Refused`] when that upstream account is linked already.
pub(super) async fn link(
    core: &Core,
    provider: &Provider,
    subject: &str,
    user: &User,
    ip: Option<IpAddr>,
    how: &str,
) -> Result<(), Problem> {
    let now = UnixSecs(core.clock.now_secs());
    match core
        .store
        .insert_upstream_identity(&provider.id, subject, &user.id, now)
        .await
    {
        Ok(()) => {}
        Err(crate::store::Error::Conflict(_)) => {
            return Err(Problem::Refused(format!(
                "This {} account is already linked to an AuthGate account.",
                provider.label
            )));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        core,
        event(
            AuditAction::UpstreamLinked,
            provider,
            Some(&user.id),
            ip,
            how,
        ),
    )
    .await;
    Ok(())
}

async fn signed_in(core: &Core, provider: &Provider, user: &User, ip: Option<IpAddr>, how: &str) {
    tracing::info!(user_id = %user.id, provider = %provider.name, "signed in upstream");
    audit::record(
        core,
        event(
            AuditAction::UpstreamSignedIn,
            provider,
            Some(&user.id),
            ip,
            how,
        ),
    )
    .await;
}

/// Links `subject` at the provider `provider_id` to `user`, who has just
/// signed in to their account here with its password.
pub async fn link_after_sign_in(
    core: &Core,
    provider_id: &str,
    subject: &str,
    user: &User,
    ip: Option<IpAddr>,
) -> Result<(), Problem> {
    let provider = core
        .store
        .upstream_providers()
        .await?
        .into_iter()
        .find(|p| p.id == provider_id && p.enabled)
        .ok_or(Problem::NoSuchProvider)?;
    link(
        core,
        &provider,
        subject,
        user,
        ip,
        "confirmed after password sign-in",
    )
    .await
}

/// `user`'s linked upstream accounts.
pub async fn identities(core: &Core, user_id: &str) -> Result<Vec<Identity>, Error> {
    Ok(core.store.user_upstream_identities(user_id).await?)
}

/// Unlinks `user`'s account at `provider_id`. [`Error::Refused`] when it
/// is their last way to sign in (no password, no other link);
/// [`Error::NotFound`] when there is no such link.
pub async fn unlink(
    core: &Core,
    user: &User,
    provider_id: &str,
    ip: Option<IpAddr>,
) -> Result<(), Error> {
    remove_link(
        core,
        user,
        provider_id,
        "This is the only way you can sign in: your account has no password. \
         Ask an administrator to set one before you unlink it.",
    )
    .await?;
    audit::record(
        core,
        crate::store::NewAuditEvent {
            actor: Some(user.id.to_string()),
            ip: ip.map(|ip| ip.to_string()),
            target: Some(provider_id.to_owned()),
            detail: Some("unlinked by the account owner".into()),
            ..crate::store::NewAuditEvent::new(AuditAction::UpstreamUnlinked)
        },
    )
    .await;
    Ok(())
}

/// An administrator unlinks `user`'s account at `provider_id`, by the
/// same rule as [`unlink`]: never the last way they can sign in.
pub async fn unlink_by_admin(
    core: &Core,
    actor: &Actor,
    user: &User,
    provider_id: &str,
) -> Result<(), Error> {
    let message = format!(
        "This is the only way {} can sign in: the account has no password. \
         Set one before unlinking it.",
        user.username
    );
    let label = remove_link(core, user, provider_id, &message).await?;
    audit::record(
        core,
        crate::store::NewAuditEvent {
            actor: actor.user_id.clone(),
            ip: actor.ip.clone(),
            target: Some(user.id.to_string()),
            detail: Some(format!("{label} account unlinked from {}", user.username)),
            ..crate::store::NewAuditEvent::new(AuditAction::AdminUserUpstreamUnlinked)
        },
    )
    .await;
    Ok(())
}

/// Removes the link, unless it is `user`'s last way to sign in (then
/// [`Error::Refused`] with `last_way`): the provider's label.
async fn remove_link(
    core: &Core,
    user: &User,
    provider_id: &str,
    last_way: &str,
) -> Result<String, Error> {
    let linked = identities(core, &user.id).await?;
    let Some(label) = linked
        .iter()
        .find(|i| i.provider_id == provider_id)
        .map(|i| i.provider_label.clone())
    else {
        return Err(Error::NotFound("no such linked account".into()));
    };
    let keep_one = !has_password(&user.password_hash);
    // The count is checked again in the DELETE itself: two unlinks at
    // once cannot both pass.
    if !core
        .store
        .delete_upstream_identity(&user.id, provider_id, keep_one)
        .await?
    {
        return Err(Error::Refused(last_way.to_owned()));
    }
    Ok(label)
}

/// What linking from `/account` came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Linked {
    /// Linked now.
    Now,
    /// That upstream account was linked to this person already.
    Already,
}

/// Links the verified upstream account in `claims` to `user`, who was
/// signed in here when they asked for it (see http/ui/upstream_link.rs).
/// [`Problem::Refused`] when it is linked to someone else (no account is
/// ever moved or taken over this way) or `user` has another account at
/// that provider linked already.
pub async fn link_signed_in(
    core: &Core,
    provider: &Provider,
    claims: &Claims,
    user: &User,
    ip: Option<IpAddr>,
) -> Result<Linked, Problem> {
    match core
        .store
        .upstream_identity_owner(&provider.id, &claims.subject)
        .await?
    {
        Some(owner) if owner == user.id.as_str() => return Ok(Linked::Already),
        Some(_) => {
            super::refused(
                core,
                provider,
                ip,
                &format!(
                    "link for {} refused: linked to another account",
                    user.username
                ),
            )
            .await;
            return Err(Problem::Refused(format!(
                "This {} account is already linked to another AuthGate account, so it was \
                 not linked to yours. Nothing was changed. If it is yours, sign in with it \
                 and unlink it there first.",
                provider.label
            )));
        }
        None => {}
    }
    if identities(core, &user.id)
        .await?
        .iter()
        .any(|i| i.provider_id == provider.id)
    {
        super::refused(
            core,
            provider,
            ip,
            "link refused: another account linked already",
        )
        .await;
        return Err(Problem::Refused(format!(
            "Another {} account is linked to yours already. Unlink it first.",
            provider.label
        )));
    }
    link(
        core,
        provider,
        &claims.subject,
        user,
        ip,
        "linked from the account page",
    )
    .await?;
    Ok(Linked::Now)
}
