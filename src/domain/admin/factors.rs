//! A person's second factors as administrators see them, and resetting
//! them (a lost phone without recovery codes).

use super::{Actor, Ctx, find_user, record};
use crate::domain::Result;
use crate::model::audit::AuditAction;
use crate::model::recovery::RecoveryCount;
use crate::store::FactorsRemoved;

/// Where a person's two-step sign-in stands. One field per kind of
/// factor, so another kind is one more field (and one more row on the
/// user page).
#[derive(Debug, Clone, Default)]
pub struct SecondFactors {
    /// Since when TOTP is on (Unix seconds); `None` when off.
    pub totp_since: Option<i64>,
    /// A TOTP key is being set up but not confirmed yet.
    pub totp_enrolling: bool,
    pub recovery: RecoveryCount,
    /// How many passkeys.
    pub passkeys: usize,
}

pub async fn second_factors(ctx: &Ctx<'_>, user_id: &str) -> Result<SecondFactors> {
    let totp = ctx.store.totp_factor(user_id).await?;
    Ok(SecondFactors {
        totp_since: totp.as_ref().and_then(|f| f.confirmed_at).map(|at| at.0),
        totp_enrolling: totp.as_ref().is_some_and(|f| !f.is_on()),
        recovery: ctx.store.recovery_count(user_id).await?,
        passkeys: ctx.store.passkeys_of(user_id).await?.len(),
    })
}

/// Removes the user's TOTP factor and recovery codes and ends every
/// browser session of theirs: they sign in with the password alone and
/// may set two-step sign-in up again. Audited even when there was nothing
/// to remove (the sessions end either way).
pub async fn reset_factors(ctx: &Ctx<'_>, actor: &Actor, id: &str) -> Result<FactorsRemoved> {
    let user = find_user(ctx, id).await?;
    let removed = ctx
        .store
        .reset_second_factors(&user.id, ctx.clock.now_secs())
        .await?;
    let totp = if removed.totp {
        "TOTP removed"
    } else {
        "no TOTP"
    };
    record(
        ctx,
        actor,
        AuditAction::AdminUserFactorsReset,
        Some(user.username.clone()),
        None,
        format!(
            "{totp}; {} recovery codes and {} passkeys removed; sessions ended",
            removed.recovery_codes, removed.passkeys
        ),
    )
    .await;
    Ok(removed)
}
