//! Passkeys (WebAuthn): adding them, signing in with one alone
//! (discoverable credentials, no username typed), and using one as the
//! second step after a password.
//!
//! Each ceremony has two halves. `begin_*` returns the options for the
//! browser and a [`Pending`] state the caller keeps in the person's
//! server-side session (so the other half may reach another instance);
//! `finish_*` takes that state back with the authenticator's answer.
//! webauthn-rs checks the answer (challenge, origin, relying party id,
//! signature, user verification, counter); on top, each challenge is
//! accepted once in the database and each use is recorded with an update
//! guarded on the counter, so one answer sent twice, even at the same
//! moment, signs in once.
//!
//! Sign-ins count against the password lock-outs (`throttle.rs`): a
//! refused passkey is a failed attempt from its address, a good one gives
//! the attempt back.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use webauthn_rs::Webauthn;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, WebauthnError,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::{Core, Error, Result};
use crate::domain::user::User;
use crate::metrics::Factor;
use crate::model::audit::AuditAction;
use crate::model::passkey::{CEREMONY_SECS, StoredPasskey, clean_name, credential_key};
use crate::model::time::UnixSecs;
use crate::store::NewAuditEvent;

/// What the throttle counts a sign-in with an unknown passkey against
/// (no username is known; the address is what limits it).
const UNKNOWN_ACCOUNT: &str = "(unknown passkey)";

/// A ceremony begun and not yet answered: kept in the session.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending<S> {
    /// The challenge, base64url: accepted once when answered.
    pub challenge: String,
    /// Who the ceremony is for (`None`: a sign-in, anyone).
    pub user_id: Option<String>,
    /// Unix seconds after which the answer is refused.
    pub until: i64,
    pub state: S,
}

/// A person a passkey signed in, and whether the authenticator verified
/// them (PIN, biometrics): RFC 8176 `mfa` then, since the authenticator
/// is something they have and the check something they know or are.
#[derive(Debug)]
pub struct PasskeySignIn {
    pub user: User,
    pub user_verified: bool,
}

fn engine(core: &Core) -> Result<&Webauthn> {
    core.webauthn
        .as_deref()
        .ok_or_else(|| Error::Refused("passkeys are not available on this server".into()))
}

/// The WebAuthn user handle of `user_id`: the id itself when it is a UUID
/// (as every id AuthGate makes is), else a UUID made from its digest.
fn user_handle(user_id: &str) -> Uuid {
    Uuid::parse_str(user_id).unwrap_or_else(|_| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(user_id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Uuid::from_bytes(bytes)
    })
}

fn pending<S>(core: &Core, challenge: &[u8], user_id: Option<&str>, state: S) -> Pending<S> {
    Pending {
        challenge: credential_key(challenge),
        user_id: user_id.map(str::to_owned),
        until: core.clock.now_secs() + CEREMONY_SECS,
        state,
    }
}

fn event(
    action: AuditAction,
    user_id: Option<&str>,
    ip: Option<IpAddr>,
    detail: &str,
) -> NewAuditEvent {
    NewAuditEvent {
        actor: user_id.map(str::to_owned),
        ip: ip.map(|ip| ip.to_string()),
        detail: Some(detail.to_owned()),
        ..NewAuditEvent::new(action)
    }
}

/// Accepts `pending`'s challenge once, if it is still in time and meant
/// for `user_id`; why not otherwise.
async fn accept<S>(
    core: &Core,
    pending: &Pending<S>,
    user_id: Option<&str>,
) -> std::result::Result<(), &'static str> {
    if pending.until < core.clock.now_secs() {
        return Err("the ceremony expired");
    }
    if pending.user_id.as_deref() != user_id {
        return Err("the ceremony was begun for someone else");
    }
    match core
        .store
        .accept_passkey_challenge(&pending.challenge, pending.until)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err("the answer was already used (replayed)"),
        Err(e) => {
            tracing::warn!(error = %e, "could not record a passkey challenge");
            Err("the challenge could not be recorded")
        }
    }
}

/// The audit detail for a refusal by webauthn-rs.
fn why(e: &WebauthnError) -> &'static str {
    match e {
        WebauthnError::CredentialPossibleCompromise => {
            "the signature counter did not move forward (a cloned authenticator?)"
        }
        WebauthnError::InvalidRPOrigin => "the answer came from another origin",
        WebauthnError::InvalidRPIDHash => "the answer was made for another relying party id",
        WebauthnError::UserNotVerified => "the authenticator did not verify the person",
        WebauthnError::MismatchedChallenge => "the answer is for another challenge",
        _ => "the authenticator's answer is invalid",
    }
}

/// `user`'s passkeys, oldest first.
pub async fn list(core: &Core, user_id: &str) -> Result<Vec<StoredPasskey>> {
    Ok(core.store.passkeys_of(user_id).await?)
}

/// Options to add a passkey for `user`, excluding the authenticators
/// that already hold one of theirs.
pub async fn begin_registration(
    core: &Core,
    user: &User,
) -> Result<(CreationChallengeResponse, Pending<PasskeyRegistration>)> {
    let webauthn = engine(core)?;
    let existing = core.store.passkeys_of(&user.id).await?;
    let exclude = existing
        .iter()
        .map(|p| p.credential.cred_id().clone())
        .collect::<Vec<_>>();
    let display = user.profile.name.as_deref().unwrap_or(&user.username);
    let (mut options, state) = webauthn
        .start_passkey_registration(
            user_handle(&user.id),
            &user.username,
            display,
            Some(exclude),
        )
        .map_err(|e| Error::Internal(format!("passkey registration options: {e}")))?;
    // A passkey that can sign in without a username is what the sign-in
    // page offers: ask for a discoverable credential where the
    // authenticator can keep one (WebAuthn §5.4.6 `preferred`).
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Preferred);
    }
    let pending = pending(core, &options.public_key.challenge, Some(&user.id), state);
    Ok((options, pending))
}

/// Adds the passkey the authenticator made, named `name`.
/// [`Error::InvalidRequest`] for a bad name or an answer that is not
/// accepted (the reason is audited).
pub async fn finish_registration(
    core: &Core,
    user: &User,
    name: &str,
    pending: Pending<PasskeyRegistration>,
    answer: &RegisterPublicKeyCredential,
    ip: Option<IpAddr>,
) -> Result<StoredPasskey> {
    let webauthn = engine(core)?;
    let name = clean_name(name)
        .ok_or_else(|| Error::InvalidRequest("name the passkey (1 to 64 characters)".into()))?;
    let refuse = |detail: &str| {
        let detail = format!("adding a passkey: {detail}");
        async move {
            super::audit::record(
                core,
                event(AuditAction::PasskeyFailed, Some(&user.id), ip, &detail),
            )
            .await;
            Err(Error::InvalidRequest(
                "The passkey could not be added. Try again.".into(),
            ))
        }
    };
    if let Err(detail) = accept(core, &pending, Some(&user.id)).await {
        return refuse(detail).await;
    }
    let credential = match webauthn.finish_passkey_registration(answer, &pending.state) {
        Ok(credential) => credential,
        Err(e) => return refuse(why(&e)).await,
    };
    let stored = StoredPasskey {
        id: core.random.uuid(),
        user_id: user.id.to_string(),
        name,
        credential_id: credential_key(credential.cred_id()),
        sign_count: 0,
        credential,
        created_at: UnixSecs(core.clock.now_secs()),
        last_used_at: None,
    };
    match core.store.insert_passkey(&stored).await {
        Ok(()) => {}
        Err(crate::store::Error::Conflict(_)) => {
            return refuse("the credential is already registered").await;
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::record(
        core,
        event(AuditAction::PasskeyAdded, Some(&user.id), ip, &stored.name),
    )
    .await;
    Ok(stored)
}

/// Renames `user`'s passkey `id`. False when they have no such passkey;
/// [`Error::InvalidRequest`] for a bad name.
pub async fn rename(
    core: &Core,
    user: &User,
    id: &str,
    name: &str,
    ip: Option<IpAddr>,
) -> Result<bool> {
    let name = clean_name(name)
        .ok_or_else(|| Error::InvalidRequest("Name the passkey (1 to 64 characters).".into()))?;
    let renamed = core.store.rename_passkey(&user.id, id, &name).await?;
    if renamed {
        super::audit::record(
            core,
            event(AuditAction::PasskeyRenamed, Some(&user.id), ip, &name),
        )
        .await;
    }
    Ok(renamed)
}

/// Removes `user`'s passkey `id`; false when they have no such passkey.
pub async fn remove(core: &Core, user: &User, id: &str, ip: Option<IpAddr>) -> Result<bool> {
    let removed = core.store.delete_passkey(&user.id, id).await?;
    if removed {
        super::audit::record(
            core,
            event(
                AuditAction::PasskeyRemoved,
                Some(&user.id),
                ip,
                "by the account owner",
            ),
        )
        .await;
    }
    Ok(removed)
}

/// Options to sign in with any discoverable passkey (the person picks one;
/// no username is asked).
pub fn begin_sign_in(
    core: &Core,
) -> Result<(
    RequestChallengeResponse,
    Pending<DiscoverableAuthentication>,
)> {
    let (options, state) = engine(core)?
        .start_discoverable_authentication()
        .map_err(|e| Error::Internal(format!("passkey sign-in options: {e}")))?;
    let pending = pending(core, &options.public_key.challenge, None, state);
    Ok((options, pending))
}

/// Options to use one of `user`'s passkeys as the second step.
/// [`Error::Refused`] when they have none.
pub async fn begin_second_step(
    core: &Core,
    user: &User,
) -> Result<(RequestChallengeResponse, Pending<PasskeyAuthentication>)> {
    let webauthn = engine(core)?;
    let credentials: Vec<_> = core
        .store
        .passkeys_of(&user.id)
        .await?
        .into_iter()
        .map(|p| p.credential)
        .collect();
    if credentials.is_empty() {
        return Err(Error::Refused("this account has no passkey".into()));
    }
    let (options, state) = webauthn
        .start_passkey_authentication(&credentials)
        .map_err(|e| Error::Internal(format!("passkey options: {e}")))?;
    let pending = pending(core, &options.public_key.challenge, Some(&user.id), state);
    Ok((options, pending))
}

/// A refused sign-in: audited, counted as a failed attempt (kept), and
/// answered [`Error::BadCredentials`].
async fn failed<T>(
    core: &Core,
    user_id: Option<&str>,
    ip: Option<IpAddr>,
    detail: &str,
) -> Result<T> {
    tracing::info!(detail, "passkey refused");
    core.metrics.sign_in_failed();
    core.metrics.factor_used(Factor::Passkey, false);
    super::audit::record(core, event(AuditAction::PasskeyFailed, user_id, ip, detail)).await;
    Err(Error::BadCredentials)
}

/// Records a verified use of `stored`: its updated credential and counter.
/// Whether the use counted (false: the same or a later answer was
/// recorded first).
async fn record_use(
    core: &Core,
    stored: &StoredPasskey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<bool> {
    let mut credential = stored.credential.clone();
    credential.update_credential(result);
    Ok(core
        .store
        .record_passkey_use(
            &stored.id,
            stored.sign_count,
            &credential,
            result.counter(),
            UnixSecs(core.clock.now_secs()),
        )
        .await?)
}

/// Signs in with the discoverable passkey in `answer`.
/// [`Error::TooManyAttempts`] while the address is locked out,
/// [`Error::BadCredentials`] for anything refused (audited with why).
pub async fn finish_sign_in(
    core: &Core,
    pending: Pending<DiscoverableAuthentication>,
    answer: &PublicKeyCredential,
    ip: Option<IpAddr>,
) -> Result<PasskeySignIn> {
    let webauthn = engine(core)?;
    let stored = core
        .store
        .passkey_by_credential(&credential_key(answer.get_credential_id()))
        .await?;
    let owner = match &stored {
        Some(p) => super::user::find(core, &p.user_id).await?,
        None => None,
    };
    let account = owner
        .as_ref()
        .map_or(UNKNOWN_ACCOUNT, |u| u.username.as_str());
    let attempt = super::throttle::begin_sign_in(core, account, ip).await?;
    let owner_id = owner.as_ref().map(|u| u.id.to_string());
    let owner_id = owner_id.as_deref();
    if let Err(detail) = accept(core, &pending, None).await {
        return failed(core, owner_id, ip, detail).await;
    }
    let (Some(stored), Some(user)) = (stored, owner) else {
        return failed(core, None, ip, "unknown passkey").await;
    };
    // The user handle the authenticator returns must be its owner's.
    if answer.get_user_unique_id() != Some(user_handle(&user.id).as_bytes().as_slice()) {
        return failed(
            core,
            owner_id,
            ip,
            "the user handle is not the passkey owner's",
        )
        .await;
    }
    if user.disabled {
        return failed(core, owner_id, ip, "the account is disabled").await;
    }
    let result = match webauthn.finish_discoverable_authentication_v2(
        answer,
        pending.state,
        &stored.credential,
    ) {
        Ok(result) => result,
        Err(e) => return failed(core, owner_id, ip, why(&e)).await,
    };
    if !record_use(core, &stored, &result).await? {
        return failed(core, owner_id, ip, "the answer was already used (replayed)").await;
    }
    attempt.succeeded(core).await?;
    core.metrics.factor_used(Factor::Passkey, true);
    super::audit::record(
        core,
        event(
            AuditAction::PasskeyUsed,
            owner_id,
            ip,
            &format!("signed in with {:?}", stored.name),
        ),
    )
    .await;
    Ok(PasskeySignIn {
        user_verified: result.user_verified(),
        user,
    })
}

/// The second step with one of `user`'s passkeys (their password was
/// right). Errors as [`finish_sign_in`].
pub async fn finish_second_step(
    core: &Core,
    user: &User,
    pending: Pending<PasskeyAuthentication>,
    answer: &PublicKeyCredential,
    ip: Option<IpAddr>,
) -> Result<()> {
    let webauthn = engine(core)?;
    let attempt = super::throttle::begin_sign_in(core, &user.username, ip).await?;
    let user_id = Some(user.id.as_str());
    if let Err(detail) = accept(core, &pending, user_id).await {
        return failed(core, user_id, ip, detail).await;
    }
    let stored = core
        .store
        .passkey_by_credential(&credential_key(answer.get_credential_id()))
        .await?
        .filter(|p| p.user_id == user.id.as_str());
    let Some(stored) = stored else {
        return failed(core, user_id, ip, "not one of this person's passkeys").await;
    };
    let result = match webauthn.finish_passkey_authentication(answer, &pending.state) {
        Ok(result) => result,
        Err(e) => return failed(core, user_id, ip, why(&e)).await,
    };
    if !record_use(core, &stored, &result).await? {
        return failed(core, user_id, ip, "the answer was already used (replayed)").await;
    }
    attempt.succeeded(core).await?;
    core.metrics.factor_used(Factor::Passkey, true);
    super::audit::record(
        core,
        event(
            AuditAction::PasskeyUsed,
            user_id,
            ip,
            &format!("second step with {:?}", stored.name),
        ),
    )
    .await;
    Ok(())
}
