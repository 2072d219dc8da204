//! Two-step sign-in with time-based one-time passwords (RFC 6238).
//!
//! Enrolment: [`begin`] stores a fresh unconfirmed key and returns what an
//! authenticator app needs (the `otpauth://` URI as a QR code, the key as
//! text); [`confirm`] turns the factor on only after a correct code. From
//! then on sign-in asks for a code ([`verify`]) after the password.
//!
//! Every code is checked against now ± one step, and its step is accepted
//! once (the store's guarded update): a code seen over a shoulder or
//! replayed from a log is refused. Wrong codes at sign-in count against
//! the same lock-outs as wrong passwords (see `throttle.rs`), so 10^6
//! codes cannot be tried; while a code is outstanding the password's
//! attempt is not given back, so a known password cannot reset the lock.

use std::net::IpAddr;

use totp_rs::{Algorithm, Builder, Totp};

use super::{Core, Error, Result};
use crate::metrics::Factor;
use crate::model::Secret;
use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::totp::{DIGITS, SKEW, STEP_SECS, StepUse, TotpFactor};
use crate::store::NewAuditEvent;

/// The name authenticator apps show next to the account.
pub const ISSUER: &str = "AuthGate";
/// Bytes of a new key (RFC 4226 §4 recommends 160 bits).
const KEY_BYTES: usize = 20;

/// What the enrolment page shows while the factor is unconfirmed.
#[derive(Debug)]
pub struct Enrolment {
    /// The key in base32, for typing into an app.
    pub key: Secret,
    /// `otpauth://totp/...`, which the QR code carries.
    pub uri: Secret,
}

fn totp(key: &Secret, username: &str) -> Result<Totp> {
    let bytes = totp_rs::Secret::try_from_base32(key.expose())
        .map_err(|_| Error::Internal("stored TOTP key is not base32".into()))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW)
        .with_step_duration(STEP_SECS)
        .with_secret(bytes)
        .with_issuer(Some(ISSUER))
        .with_account_name(username)
        .build()
        .map_err(|e| Error::Internal(format!("TOTP parameters: {e}")))
}

/// The step `code` matches at the current time, if any. Anything but six
/// digits (spaces allowed, as apps group them) matches nothing.
fn matching_step(core: &Core, key: &Secret, username: &str, code: &str) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let now = u64::try_from(core.clock.now_secs()).unwrap_or(0);
    let step = totp(key, username)?.check(&code, now);
    Ok(step.and_then(|s| i64::try_from(s).ok()))
}

/// `user_id`'s factor, confirmed or not.
pub async fn factor(core: &Core, user_id: &str) -> Result<Option<TotpFactor>> {
    Ok(core.store.totp_factor(user_id).await?)
}

/// Whether sign-in asks `user_id` for a code.
pub async fn is_on(core: &Core, user_id: &str) -> Result<bool> {
    Ok(factor(core, user_id).await?.is_some_and(|f| f.is_on()))
}

/// Starts enrolment with a new key (replacing an unconfirmed one).
/// [`Error::Refused`] when the factor is already on.
pub async fn begin(core: &Core, user_id: &str, username: &str) -> Result<Enrolment> {
    let mut bytes = vec![0u8; KEY_BYTES];
    core.random.fill(&mut bytes);
    let key = Secret::new(totp_rs::Secret::from(bytes).to_base32());
    if !core
        .store
        .begin_totp(user_id, &key, UnixSecs(core.clock.now_secs()))
        .await?
    {
        return Err(Error::Refused("two-step sign-in is already on".into()));
    }
    enrolment(&key, username)
}

/// What the enrolment page shows for an unconfirmed factor, if there is one.
pub async fn pending(core: &Core, user_id: &str, username: &str) -> Result<Option<Enrolment>> {
    match factor(core, user_id).await? {
        Some(f) if !f.is_on() => Ok(Some(enrolment(&f.secret, username)?)),
        _ => Ok(None),
    }
}

fn enrolment(key: &Secret, username: &str) -> Result<Enrolment> {
    let uri = totp(key, username)?
        .to_url()
        .map_err(|e| Error::Internal(format!("otpauth URI: {e}")))?;
    Ok(Enrolment {
        key: key.clone(),
        uri: Secret::new(uri),
    })
}

fn event(action: AuditAction, user_id: &str, ip: Option<IpAddr>, detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        actor: Some(user_id.to_owned()),
        ip: ip.map(|ip| ip.to_string()),
        detail: Some(detail.to_owned()),
        ..NewAuditEvent::new(action)
    }
}

/// Checks `code` against `factor` and accepts its step once for `usage`;
/// audits a wrong or replayed code. [`Error::BadCredentials`] for both.
async fn accept(
    core: &Core,
    factor: &TotpFactor,
    username: &str,
    code: &str,
    usage: StepUse,
    ip: Option<IpAddr>,
) -> Result<()> {
    let user_id = &factor.user_id;
    let Some(step) = matching_step(core, &factor.secret, username, code)? else {
        super::audit::record(
            core,
            event(AuditAction::TotpCodeFailed, user_id, ip, "wrong code"),
        )
        .await;
        return Err(Error::BadCredentials);
    };
    let now = UnixSecs(core.clock.now_secs());
    if core
        .store
        .accept_totp_step(user_id, step, usage, now)
        .await?
    {
        return Ok(());
    }
    // RFC 6238 §5.2: the step was used already (or the factor changed
    // state under us): refuse, and record it — a replay is a warning sign.
    tracing::warn!(user_id = %user_id, "TOTP step replayed");
    super::audit::record(
        core,
        event(
            AuditAction::TotpStepReplayed,
            user_id,
            ip,
            "code already used",
        ),
    )
    .await;
    Err(Error::BadCredentials)
}

/// Turns the factor on with its first correct code.
/// [`Error::BadCredentials`] for a wrong code; [`Error::NotFound`]-like
/// [`Error::Conflict`] when there is no enrolment under way.
pub async fn confirm(
    core: &Core,
    user_id: &str,
    username: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<()> {
    let Some(factor) = factor(core, user_id).await?.filter(|f| !f.is_on()) else {
        return Err(Error::Refused("no two-step enrolment is under way".into()));
    };
    accept(core, &factor, username, code, StepUse::Confirm, ip).await?;
    super::audit::record(
        core,
        event(AuditAction::TotpEnabled, user_id, ip, "authenticator app"),
    )
    .await;
    Ok(())
}

/// The second step of sign-in: `code` for `username` (whose password was
/// right), counted against the sign-in lock-outs.
/// [`Error::TooManyAttempts`] while locked, [`Error::BadCredentials`] for
/// a wrong or reused code, [`Error::Refused`] when the factor was turned
/// off meanwhile.
pub async fn verify(
    core: &Core,
    user_id: &str,
    username: &str,
    code: &str,
    ip: Option<IpAddr>,
) -> Result<()> {
    let attempt = super::throttle::begin_sign_in(core, username, ip).await?;
    let Some(factor) = factor(core, user_id).await?.filter(TotpFactor::is_on) else {
        // Turned off since the password step: no code can prove anything,
        // and the session must not claim one. Sign in again.
        return Err(Error::Refused("two-step sign-in was turned off".into()));
    };
    match accept(core, &factor, username, code, StepUse::Verify, ip).await {
        Ok(()) => {
            attempt.succeeded(core).await?;
            core.metrics.factor_used(Factor::Totp, true);
            Ok(())
        }
        Err(Error::BadCredentials) => {
            core.metrics.sign_in_failed();
            core.metrics.factor_used(Factor::Totp, false);
            Err(Error::BadCredentials)
        }
        Err(e) => Err(e),
    }
}

/// Turns two-step sign-in off, proven by a current code (accepted once,
/// like any) or the password, counted against the sign-in lock-outs (a
/// session left open must not become a way to guess either).
/// [`Error::BadCredentials`] if neither is right.
pub async fn remove(
    core: &Core,
    user: &super::user::User,
    code: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<()> {
    let Some(factor) = factor(core, &user.id).await? else {
        return Ok(());
    };
    let attempt = super::throttle::begin_sign_in(core, &user.username, ip).await?;
    let proven = if !code.trim().is_empty() && factor.is_on() {
        accept(core, &factor, &user.username, code, StepUse::Verify, ip)
            .await
            .is_ok()
    } else if !password.is_empty() {
        crate::crypto::password::verify(password.to_owned(), Some(user.password_hash.clone()))
            .await?
    } else {
        false
    };
    if !proven {
        return Err(Error::BadCredentials);
    }
    attempt.succeeded(core).await?;
    // The recovery codes stand in for the factor: they go with it.
    core.store.delete_recovery_codes(&user.id).await?;
    if core.store.delete_totp(&user.id).await? {
        super::audit::record(
            core,
            event(
                AuditAction::TotpRemoved,
                &user.id,
                ip,
                "by the account owner",
            ),
        )
        .await;
    }
    Ok(())
}
