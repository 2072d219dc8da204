//! Device code rows and their guarded writes.
//!
//! A row decodes into exactly one [`DeviceState`] (the model says which
//! columns each state has); a row that fits none is [`Error::Corrupt`].
//! Every transition names the state it leaves in its `WHERE` clause, asked
//! of [`Transition::leaves`]: zero rows changed means another request won.

use super::batch::{Batched, Column, json_row};
use super::grants::{NewGrant, NewRefreshToken};
use super::writer::Job;
use super::{Error, Result, Store, on_pool};
use crate::model::authn::{Amr, Authentication};
use crate::model::device_code::PollUpdate;
use crate::model::ids::{ClientId, DeviceCodeId, UserId};
use crate::model::resource;
use crate::model::time::{UnixMs, UnixSecs};
use crate::model::{DeviceCode, DeviceState, DeviceStatus, Transition, UserCode};
use crate::store::{NewAccessToken, NewAuditEvent};

/// A freshly issued device code; `device_code_hash` is the key it is found
/// under (its issue time and the SHA-256 of the secret the device holds,
/// see [`crate::crypto::device_code`]); the secret itself is never stored.
#[derive(Debug, Clone)]
pub struct NewDeviceCode {
    pub id: DeviceCodeId,
    pub device_code_hash: String,
    pub user_code: UserCode,
    pub client_id: ClientId,
    pub scope: String,
    pub interval_secs: i64,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: UnixSecs,
    pub expires_at: UnixSecs,
    /// RFC 7636 S256 challenge, when the device sent one.
    pub code_challenge: Option<String>,
    /// RFC 8707 resources the request named (checked by the domain).
    pub resources: Vec<String>,
}

/// A `device_codes` row as selected; decoded into exactly one state.
#[derive(sqlx::FromRow)]
pub(super) struct DeviceCodeRow {
    id: String,
    user_code: String,
    client_id: String,
    scope: String,
    status: String,
    user_id: Option<String>,
    interval_secs: i64,
    last_poll_at_ms: Option<i64>,
    poll_grace_used: bool,
    requester_ip: Option<String>,
    user_agent: Option<String>,
    created_at: i64,
    expires_at: i64,
    decided_at: Option<i64>,
    redeemed_at: Option<i64>,
    code_challenge: Option<String>,
    auth_time: Option<i64>,
    amr: Option<String>,
    resources: String,
}

impl TryFrom<DeviceCodeRow> for DeviceCode {
    type Error = Error;

    fn try_from(row: DeviceCodeRow) -> Result<Self> {
        let corrupt = |what: &str| {
            Error::Corrupt(format!(
                "device code {} in status {} has {what}",
                row.id, row.status
            ))
        };
        let user_code =
            UserCode::parse(&row.user_code).ok_or_else(|| corrupt("a malformed user code"))?;
        let state = DeviceState::from_columns(
            &row.status,
            row.user_id.map(UserId::from),
            row.decided_at.map(UnixSecs),
            row.redeemed_at.map(UnixSecs),
        )
        .ok_or_else(|| corrupt("inconsistent columns"))?;
        Ok(DeviceCode {
            id: DeviceCodeId::from(row.id),
            client_id: ClientId::from(row.client_id),
            user_code,
            scope: row.scope,
            interval_secs: row.interval_secs,
            last_poll_at_ms: row.last_poll_at_ms.map(UnixMs),
            poll_repeat_used: row.poll_grace_used,
            requester_ip: row.requester_ip,
            user_agent: row.user_agent,
            created_at: UnixSecs(row.created_at),
            expires_at: UnixSecs(row.expires_at),
            state,
            code_challenge: row.code_challenge,
            authn: row.auth_time.map(|time| Authentication {
                time: UnixSecs(time),
                amr: Amr::from_stored(row.amr.as_deref()),
            }),
            resources: resource::from_stored(&row.resources),
        })
    }
}

impl Batched for NewDeviceCode {
    const TABLE: &'static str = "device_codes";
    const COLUMNS: &'static [Column] = &[
        Column::Text("id"),
        Column::Text("device_code_hash"),
        Column::Text("user_code"),
        Column::Text("client_id"),
        Column::Text("scope"),
        Column::Text("status"),
        Column::BigInt("interval_secs"),
        Column::Bool("poll_grace_used"),
        Column::Text("requester_ip"),
        Column::Text("user_agent"),
        Column::BigInt("created_at"),
        Column::BigInt("expires_at"),
        Column::Text("code_challenge"),
        Column::Text("resources"),
    ];

    fn key(&self) -> &str {
        &self.id
    }

    json_row!(code => code.id, code.device_code_hash, code.user_code.as_str(), code.client_id,
        code.scope, DeviceStatus::Pending.as_str(), code.interval_secs, false, code.requester_ip, code.user_agent, code.created_at,
        code.expires_at, code.code_challenge, resource::to_stored(&code.resources));
}

/// Stores a pending code's pacing. Another instance may have written a
/// later poll or a longer interval: whichever is greater is kept. Only a
/// pending code is paced; the status is the model's.
fn record_poll_sql() -> String {
    format!(
        "UPDATE device_codes SET \
         last_poll_at_ms = CASE WHEN last_poll_at_ms > $1 THEN last_poll_at_ms ELSE $1 END, \
         interval_secs = CASE WHEN interval_secs > $2 THEN interval_secs ELSE $2 END, \
         poll_grace_used = $3 WHERE id = $4 AND status = '{}'",
        DeviceStatus::Pending.as_str()
    )
}

macro_rules! select_device_code {
    ($where:literal) => {
        concat!(
            "SELECT id, user_code, client_id, scope, status, user_id, interval_secs, \
             last_poll_at_ms, poll_grace_used, requester_ip, user_agent, created_at, \
             expires_at, decided_at, redeemed_at, code_challenge, auth_time, amr, resources FROM device_codes WHERE ",
            $where
        )
    };
}

impl Store {
    /// Inserts a new pending code; [`Error::Conflict`] if its user code is
    /// taken. Concurrent inserts share one statement (see writer/); this
    /// returns once the transaction holding this code has committed.
    pub async fn insert_device_code(&self, code: &NewDeviceCode) -> Result<()> {
        let inserted = self
            .grouped
            .submit(|reply| Job::NewCode {
                row: Box::new(code.clone()),
                reply,
            })
            .await?;
        match inserted {
            true => Ok(()),
            false => Err(Error::Conflict("device code or user code taken".into())),
        }
    }

    pub async fn find_device_code_by_hash(&self, hash: &str) -> Result<Option<DeviceCode>> {
        let row: Option<DeviceCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(select_device_code!("device_code_hash = $1"))
                .bind(hash)
                .fetch_optional(pool)
                .await?
        });
        row.map(DeviceCode::try_from).transpose()
    }

    pub async fn find_device_code_by_user_code(
        &self,
        user_code: &UserCode,
    ) -> Result<Option<DeviceCode>> {
        let row: Option<DeviceCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(select_device_code!("user_code = $1"))
                .bind(user_code.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(DeviceCode::try_from).transpose()
    }

    /// Stores a pending code's polling bookkeeping (RFC 8628 §3.5).
    pub async fn record_poll(&self, id: &str, update: &PollUpdate) -> Result<()> {
        let sql = record_poll_sql();
        on_pool!(writer self, pool => {
            sqlx::query(&sql)
            .bind(update.last_poll_at_ms.0)
            .bind(update.interval_secs)
            .bind(update.repeat_used)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Writes the pacing of many live polls in one transaction; codes no
    /// longer pending are left alone.
    pub async fn record_polls(&self, polls: &[&super::LivePoll]) -> Result<()> {
        let sql = record_poll_sql();
        on_pool!(writer self, pool => {
            let mut tx = pool.begin().await?;
            for poll in polls {
                sqlx::query(&sql)
                .bind(poll.last_poll_at_ms.map(|ms| ms.0))
                .bind(poll.interval_secs)
                .bind(poll.repeat_used)
                .bind(poll.id.as_str())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes `decided` — a code the model just moved out of pending by
    /// `transition` — with `audit` in the same transaction, if the stored
    /// code is still pending and live. Answers the code's device-code hash,
    /// or `None` (nothing written) when another request won.
    pub(in crate::store) async fn write_decision(
        &self,
        transition: Transition,
        decided: &DeviceCode,
        audit: Option<&NewAuditEvent>,
    ) -> Result<Option<String>> {
        let (Some(user_id), Some(decided_at)) = (decided.state.decided_by(), decided.decided_at())
        else {
            return Err(Error::Batch(format!(
                "device code {} is not decided",
                decided.id
            )));
        };
        debug_assert_eq!(decided.status(), transition.enters());
        self.grouped
            .submit(|reply| Job::Decide {
                id: decided.id.to_string(),
                status: transition.enters().as_str(),
                user_id: user_id.to_string(),
                now: decided_at.0,
                auth_time: decided.authn.as_ref().map(|a| a.time.0),
                amr: decided.authn.as_ref().map(|a| a.amr.to_stored()),
                audit: audit.cloned().map(Box::new),
                reply,
            })
            .await
    }

    /// Marks an approved code redeemed and records its grant, tokens and
    /// `audit`, atomically. `false` (and nothing written) when the code was
    /// not approved and live.
    pub async fn redeem_device_code(
        &self,
        id: &str,
        now: i64,
        grant: &NewGrant,
        access: &NewAccessToken,
        refresh: Option<&NewRefreshToken>,
        audit: Option<&NewAuditEvent>,
    ) -> Result<bool> {
        self.grouped
            .submit(|reply| Job::Redeem {
                id: id.to_owned(),
                now,
                grant: Box::new(grant.clone()),
                access: Box::new(access.clone()),
                refresh: refresh.cloned().map(Box::new),
                audit: audit.cloned().map(Box::new),
                reply,
            })
            .await
    }

    /// Deletes codes that expired more than `retention_secs` ago.
    pub async fn delete_stale_device_codes(&self, now: i64, retention_secs: i64) -> Result<u64> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM device_codes WHERE expires_at < $1")
                .bind(now - retention_secs)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
