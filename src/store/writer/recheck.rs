//! After a round was applied again on a fresh connection (its first
//! connection died with it): whether the first attempt had committed.
//!
//! A connection that dies during a round leaves its outcome unknown: the
//! server may have committed before it went (the COMMIT was sent, its
//! answer never arrived) or not. The writer applies the round again, which
//! is safe — new rows carry fresh ids, so a row already there is skipped
//! (and then found present, as the job's own), and every move is guarded by
//! the state it leaves — but a decision or redemption that the first
//! attempt made now loses to itself. So each job that lost on the retry is
//! looked up by what only it could have written:
//!
//! - a redemption by its grant, whose id is fresh for every attempt;
//! - a decision by the code being in the state it sets, by its user, at its
//!   time (another instance making the same decision by the same user in
//!   the same second would be taken for this one: the same decision).

use super::super::{Db, Result};
use super::{Job, Outcome, Writing};

const DECIDED: &str = "SELECT device_code_hash FROM device_codes \
    WHERE id = $1 AND status = $2 AND user_id = $3 AND decided_at = $4";
const REDEEMED: &str = "SELECT id FROM grants WHERE id = $1";

/// Turns the losses in `outcomes` that the first attempt of the round had
/// in fact won into wins.
pub(super) async fn earlier_attempt(
    writing: &mut Writing,
    jobs: &[Job],
    outcomes: &mut [Outcome],
) -> Result<()> {
    for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
        match (job, &*outcome) {
            (
                Job::Decide {
                    id,
                    status,
                    user_id,
                    now,
                    ..
                },
                Outcome::Decided(None),
            ) => {
                let hash = decided(writing, id, status, user_id, *now).await?;
                if hash.is_some() {
                    tracing::info!("a decision found committed by the round's first attempt");
                    *outcome = Outcome::Decided(hash);
                }
            }
            (Job::Redeem { grant, .. }, Outcome::Redeemed(false)) => {
                let won = redeemed(writing, &grant.id).await?;
                if won {
                    tracing::info!("a redemption found committed by the round's first attempt");
                }
                *outcome = Outcome::Redeemed(won);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The code's hash if it is `status` by `user_id` at `now`.
async fn decided(
    writing: &mut Writing,
    id: &str,
    status: &str,
    user_id: &str,
    now: i64,
) -> Result<Option<String>> {
    let row: Option<(String,)> = match (&writing.db, writing.held.as_mut()) {
        (Db::Sqlite(pool), _) => {
            sqlx::query_as(DECIDED)
                .bind(id)
                .bind(status)
                .bind(user_id)
                .bind(now)
                .fetch_optional(pool)
                .await?
        }
        // The writer's pool has one connection, which it holds.
        (Db::Postgres(_), Some(conn)) => {
            sqlx::query_as(DECIDED)
                .bind(id)
                .bind(status)
                .bind(user_id)
                .bind(now)
                .fetch_optional(&mut **conn)
                .await?
        }
        (Db::Postgres(pool), None) => {
            sqlx::query_as(DECIDED)
                .bind(id)
                .bind(status)
                .bind(user_id)
                .bind(now)
                .fetch_optional(pool)
                .await?
        }
    };
    Ok(row.map(|(hash,)| hash))
}

/// Whether grant `grant_id` exists.
async fn redeemed(writing: &mut Writing, grant_id: &str) -> Result<bool> {
    let row: Option<(String,)> = match (&writing.db, writing.held.as_mut()) {
        (Db::Sqlite(pool), _) => {
            sqlx::query_as(REDEEMED)
                .bind(grant_id)
                .fetch_optional(pool)
                .await?
        }
        (Db::Postgres(_), Some(conn)) => {
            sqlx::query_as(REDEEMED)
                .bind(grant_id)
                .fetch_optional(&mut **conn)
                .await?
        }
        (Db::Postgres(pool), None) => {
            sqlx::query_as(REDEEMED)
                .bind(grant_id)
                .fetch_optional(pool)
                .await?
        }
    };
    Ok(row.is_some())
}
