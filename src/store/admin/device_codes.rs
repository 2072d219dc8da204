//! Device codes as the admin table lists them.

use super::{Arg, Sql, bind_all};
use crate::model::DeviceCode;
use crate::model::Standing;
use crate::store::device_codes::{DeviceCodeRow, standing_sql};
use crate::store::{Result, Store, on_pool};

/// A device code with what the admin table shows beside it.
#[derive(Debug, Clone)]
pub struct DeviceCodeListing {
    pub code: DeviceCode,
    pub client_name: String,
    /// Username of whoever approved or denied it.
    pub decided_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DeviceCodeListingRow {
    #[sqlx(flatten)]
    code: DeviceCodeRow,
    client_name: String,
    decided_by: Option<String>,
}

/// The admin table's filter over device codes. `Approved` also matches
/// redeemed codes (approved, token collected); `Redeemed` only those.
#[derive(Debug, Clone, Default)]
pub struct DeviceCodeFilter<'a> {
    pub status: Option<Standing>,
    pub client_id: Option<&'a str>,
}

const DEVICE_CODE_COLUMNS: &str = "d.id, d.user_code, d.client_id, d.scope, d.status, d.user_id, \
    d.interval_secs, d.last_poll_at_ms, d.poll_grace_used, d.requester_ip, d.user_agent, \
    d.created_at, d.expires_at, d.decided_at, d.redeemed_at, d.code_challenge, d.auth_time";

impl Store {
    /// Device codes matching `filter`, live pending ones first, then newest
    /// first; at most `limit`. Codes are deleted a day after expiry, so
    /// this is a small table.
    pub async fn list_device_codes(
        &self,
        filter: &DeviceCodeFilter<'_>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<DeviceCodeListing>> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEVICE_CODE_COLUMNS}, c.name AS client_name, u.username AS decided_by \
             FROM device_codes d \
             JOIN oauth_clients c ON c.id = d.client_id \
             LEFT JOIN users u ON u.id = d.user_id WHERE 1 = 1"
        ));
        if let Some(standing) = filter.status {
            let n = sql.int(now);
            sql.push(" AND ").push(&standing_sql(standing, "d.", &n));
        }
        if let Some(client) = filter.client_id {
            let c = sql.text(client);
            sql.push(&format!(" AND d.client_id = {c}"));
        }
        let n = sql.int(now);
        let l = sql.int(limit);
        sql.push(&format!(
            " ORDER BY CASE WHEN {} THEN 0 ELSE 1 END, d.created_at DESC, d.id DESC LIMIT {l}",
            standing_sql(Standing::Pending, "d.", &n)
        ));
        let rows: Vec<DeviceCodeListingRow> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(DeviceCodeListing {
                    code: DeviceCode::try_from(r.code)?,
                    client_name: r.client_name,
                    decided_by: r.decided_by,
                })
            })
            .collect()
    }

    pub async fn find_device_code_by_id(&self, id: &str) -> Result<Option<DeviceCode>> {
        let sql = format!("SELECT {DEVICE_CODE_COLUMNS} FROM device_codes d WHERE d.id = $1");
        let row: Option<DeviceCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(DeviceCode::try_from).transpose()
    }
}
