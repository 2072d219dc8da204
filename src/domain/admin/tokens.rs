//! Access tokens: the list, and revoking one, a user's or a client's.

use super::{Actor, Ctx, PAGE_SIZE, find_client, find_user, record};
use crate::domain::{Error, Result};
use crate::model::audit::AuditAction;
use crate::model::token::TokenStatus;
use crate::store::{Page, PageAt, TokenFilter, TokenListing, TokenOwner};

#[derive(Debug, Clone)]
pub struct TokenEntry {
    pub listing: TokenListing,
    pub status: TokenStatus,
}

pub async fn tokens(
    ctx: &Ctx<'_>,
    filter: &TokenFilter<'_>,
    at: &PageAt,
) -> Result<Page<TokenEntry>> {
    let now = ctx.clock.now_secs();
    let page = ctx
        .store
        .list_access_tokens(filter, now, at, PAGE_SIZE)
        .await?;
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .map(|listing| TokenEntry {
                status: TokenStatus::of(listing.revoked_at, listing.expires_at, now),
                listing,
            })
            .collect(),
        older: page.older,
        newer: page.newer,
    })
}

/// Revokes one access token and, when it belongs to a grant, the whole
/// grant: its refresh token could otherwise mint a replacement at once.
/// Returns how many access tokens were live.
pub async fn revoke_token(ctx: &Ctx<'_>, actor: &Actor, jti: &str) -> Result<u64> {
    let record_ = ctx
        .store
        .find_access_token(jti)
        .await?
        .ok_or_else(|| Error::NotFound("no such access token".into()))?;
    let now = ctx.clock.now_secs();
    let mut revoked = u64::from(ctx.store.revoke_access_token_by_id(jti, now).await?);
    if let Some(grant) = &record_.grant_id {
        ctx.store.revoke_grant(grant, None, now).await?;
    }
    if now >= record_.expires_at {
        revoked = 0;
    }
    record(
        ctx,
        actor,
        AuditAction::AdminTokenRevoked,
        Some(jti.to_owned()),
        Some(record_.client_id.clone()),
        format!(
            "token of {} revoked{}",
            record_.username.as_deref().unwrap_or("its client"),
            if record_.grant_id.is_some() {
                " with its grant and refresh token"
            } else {
                ""
            }
        ),
    )
    .await;
    Ok(revoked)
}

/// Revokes every grant, access and refresh token of a user.
pub async fn revoke_user_tokens(ctx: &Ctx<'_>, actor: &Actor, user_id: &str) -> Result<u64> {
    let user = find_user(ctx, user_id).await?;
    let n = ctx
        .store
        .revoke_all_tokens_of(TokenOwner::User(&user.id), ctx.clock.now_secs())
        .await?;
    record(
        ctx,
        actor,
        AuditAction::AdminUserTokensRevoked,
        Some(user.username.clone()),
        None,
        format!("all tokens of the user revoked ({n} live)"),
    )
    .await;
    Ok(n)
}

/// Revokes every grant, access and refresh token of a client.
pub async fn revoke_client_tokens(ctx: &Ctx<'_>, actor: &Actor, client_id: &str) -> Result<u64> {
    let client = find_client(ctx, client_id).await?;
    let n = ctx
        .store
        .revoke_all_tokens_of(TokenOwner::Client(&client.id), ctx.clock.now_secs())
        .await?;
    record(
        ctx,
        actor,
        AuditAction::AdminClientTokensRevoked,
        Some(client.id.to_string()),
        Some(client.id.to_string()),
        format!("all tokens of the client revoked ({n} live)"),
    )
    .await;
    Ok(n)
}

/// How many live access tokens a user or client has (for confirmations).
pub async fn live_tokens(ctx: &Ctx<'_>, owner: TokenOwner<'_>) -> Result<i64> {
    Ok(ctx
        .store
        .count_live_tokens(owner, ctx.clock.now_secs())
        .await?)
}
