//! When approving a request needs a fresh second factor.
//!
//! Device-code phishing works by talking a person into approving an
//! attacker's code from a session they already have. A policy makes that
//! approval ask for a second factor used within `STEP_UP_MAX_AGE`, so a
//! session signed in yesterday (or a stolen session cookie) is not enough
//! on its own. The policy applies when an administrator requires a second
//! factor of the person, of everyone, or for the client asking; and for an
//! authorization request whose `acr_values` ask for more than one factor
//! (OpenID Connect Core §3.1.2.1: voluntary, so a person with no factor is
//! answered with what they have, and the token's `acr` says so).
//!
//! A person the policy covers who has no factor yet must enrol first: the
//! consent pages send them to enrolment instead of approving.

use std::net::IpAddr;

use super::{Core, Error, Result, audit, factors, passkey, totp, user};
use crate::model::audit::AuditAction;
use crate::model::authn::Acr;
use crate::model::client::Client;
use crate::model::user::User;
use crate::store::NewAuditEvent;

/// The setting that requires a second factor of everyone ("true").
pub const EVERYONE_SETTING: &str = "require_second_factor_all";

/// What an approval needs before it may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing more.
    Nothing,
    /// The person must first set up a second factor.
    Enrolment,
    /// The person must prove a second factor now.
    StepUp,
}

/// Whether an administrator requires a second factor of everyone.
pub async fn required_of_everyone(core: &Core) -> Result<bool> {
    super::admin::second_factor_required_of_everyone(&super::admin::Ctx::of(core)).await
}

/// Whether `user` must have a second factor at all (their own flag or
/// everyone's), whatever they approve.
pub async fn required_of(core: &Core, user: &User) -> Result<bool> {
    Ok(user.require_second_factor || required_of_everyone(core).await?)
}

/// Whether `user_id` has a second factor they can use (an authenticator
/// app or a passkey; recovery codes come with the app).
pub async fn has_factor(core: &Core, user_id: &str) -> Result<bool> {
    factors::has_second_factor(core, user_id).await
}

/// What `user`, whose session last proved a second factor at `factor_at`
/// (Unix seconds), needs before approving `client`'s request, which asked
/// for `acr` (an authorization request's `acr_values`; none for devices).
pub async fn before_approving(
    core: &Core,
    user: &User,
    client: &Client,
    factor_at: Option<i64>,
    acr: Option<Acr>,
) -> Result<Need> {
    let asked = acr.is_some_and(|a| a >= Acr::MultiFactor);
    let mandatory = client.require_second_factor || required_of(core, user).await?;
    if !(mandatory || asked) {
        return Ok(Need::Nothing);
    }
    let window = i64::try_from(core.policy.step_up_max_age.as_secs()).unwrap_or(i64::MAX);
    let now = core.clock.now_secs();
    if factor_at.is_some_and(|at| now.saturating_sub(at) <= window) {
        return Ok(Need::Nothing);
    }
    Ok(match (has_factor(core, &user.id).await?, mandatory) {
        (true, _) => Need::StepUp,
        (false, true) => Need::Enrolment,
        // Asked for by the request alone: answered with what the person
        // has; the ID token's `acr` tells the application.
        (false, false) => Need::Nothing,
    })
}

/// [`before_approving`] for `user_id`, as an error: the one check every
/// approval makes, where it is made ([`Error::SecondFactorNeeded`] unless
/// nothing more is needed). A consent page checks when it shows the
/// request and again when the decision comes, so a page left open past
/// the window asks again.
pub async fn check_approval(
    core: &Core,
    user_id: &str,
    client: &Client,
    factor_at: Option<i64>,
    acr: Option<Acr>,
) -> Result<()> {
    let person = user::find(core, user_id)
        .await?
        .ok_or_else(|| Error::Refused("the account no longer exists".into()))?;
    match before_approving(core, &person, client, factor_at, acr).await? {
        Need::Nothing => Ok(()),
        Need::Enrolment => Err(Error::SecondFactorNeeded {
            enrol: true,
            user_code: None,
        }),
        Need::StepUp => Err(Error::SecondFactorNeeded {
            enrol: false,
            user_code: None,
        }),
    }
}

/// Checks the second factor `user` gives to step up (an authenticator
/// code), with the same throttling, replay refusal and audit as at
/// sign-in; a success is audited as a step-up.
/// [`Error::BadCredentials`] for a wrong or reused code;
/// [`Error::Refused`] when the person has no factor to give.
pub async fn prove(core: &Core, user: &User, code: &str, ip: Option<IpAddr>) -> Result<()> {
    totp::verify(core, &user.id, &user.username, code, ip).await?;
    record(core, user, ip, "authenticator code").await;
    Ok(())
}

/// Audits a step-up `user` made with `what`.
pub async fn record(core: &Core, user: &User, ip: Option<IpAddr>, what: &str) {
    tracing::info!(user_id = %user.id, "second factor proven again");
    audit::record(
        core,
        NewAuditEvent {
            actor: Some(user.id.to_string()),
            target: Some(user.id.to_string()),
            ip: ip.map(|ip| ip.to_string()),
            detail: Some(what.to_owned()),
            ..NewAuditEvent::new(AuditAction::StepUp)
        },
    )
    .await;
}

/// Which factor a person is about to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The authenticator app (and its recovery codes).
    Totp,
    /// One passkey.
    Passkey,
}

/// Refuses to remove `user`'s last second factor while a policy requires
/// them to have one ([`Error::Refused`], with words for the person).
pub async fn check_removal(core: &Core, user: &User, removal: Removal) -> Result<()> {
    let have = factors::second_factors(core, &user.id).await?;
    let another_left = match removal {
        Removal::Totp => have.passkey,
        Removal::Passkey => have.totp || passkey::list(core, &user.id).await?.len() > 1,
    };
    if !another_left && required_of(core, user).await? {
        return Err(Error::Refused(
            "Your administrator requires a second factor for your account, so your last one \
             cannot be removed. Add another first."
                .into(),
        ));
    }
    Ok(())
}
