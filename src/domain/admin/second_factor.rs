//! Who must use a second factor: one person, everyone, or whoever
//! approves one client's requests (see `domain/step_up.rs` for what the
//! rules do). Each change is audited.

use super::{Actor, Ctx, find_client, find_user, record};
use crate::domain::Result;
use crate::domain::step_up::EVERYONE_SETTING;
use crate::model::audit::AuditAction;

fn words(required: bool) -> &'static str {
    if required { "required" } else { "not required" }
}

/// Requires (or stops requiring) a second factor of user `id`. `false`
/// when nothing changed.
pub async fn require_second_factor_of_user(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    required: bool,
) -> Result<bool> {
    let user = find_user(ctx, id).await?;
    if user.require_second_factor == required {
        return Ok(false);
    }
    ctx.store
        .set_user_requires_second_factor(&user.id, required, ctx.clock.now_secs())
        .await?;
    record(
        ctx,
        actor,
        AuditAction::AdminSecondFactorPolicyChanged,
        Some(user.username.clone()),
        None,
        format!("second factor {} for {}", words(required), user.username),
    )
    .await;
    Ok(true)
}

/// Requires (or stops requiring) a recent second factor to approve client
/// `id`'s requests. `false` when nothing changed.
pub async fn require_second_factor_for_client(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    required: bool,
) -> Result<bool> {
    let client = find_client(ctx, id).await?;
    if client.require_second_factor == required {
        return Ok(false);
    }
    ctx.store
        .set_client_requires_second_factor(&client.id, required)
        .await?;
    record(
        ctx,
        actor,
        AuditAction::AdminSecondFactorPolicyChanged,
        Some(client.name.clone()),
        Some(client.id.to_string()),
        format!(
            "second factor {} to approve {}",
            words(required),
            client.name
        ),
    )
    .await;
    Ok(true)
}

/// Whether everyone must use a second factor.
pub async fn second_factor_required_of_everyone(ctx: &Ctx<'_>) -> Result<bool> {
    Ok(ctx
        .store
        .get_setting(EVERYONE_SETTING)
        .await?
        .is_some_and(|v| v == "true"))
}

/// Requires (or stops requiring) a second factor of everyone. `false`
/// when nothing changed.
pub async fn require_second_factor_of_everyone(
    ctx: &Ctx<'_>,
    actor: &Actor,
    required: bool,
) -> Result<bool> {
    if second_factor_required_of_everyone(ctx).await? == required {
        return Ok(false);
    }
    ctx.store
        .set_setting(
            EVERYONE_SETTING,
            &required.to_string(),
            ctx.clock.now_secs(),
        )
        .await?;
    record(
        ctx,
        actor,
        AuditAction::AdminSecondFactorPolicyChanged,
        Some("everyone".into()),
        None,
        format!("second factor {} for everyone", words(required)),
    )
    .await;
    Ok(true)
}
