//! Device codes as the admin table lists them, paged by keyset.
//!
//! The listing shows live pending codes first, then the rest, each part
//! newest first, 50 a page. "Newest" is the latest expiry: a code expires
//! its `DEVICE_CODE_EXPIRATION` after it was requested, so expiry order is
//! request order, and expiry is also what tells a live code from an
//! expired one. Each state the table filters by is therefore one or two
//! ranges of the `(status, expires_at, id)` index (or its twin led by
//! `client_id`, migrations `0010`); a page reads at most `limit + 1` index
//! entries from each range and merges them, so the first page costs the
//! same with a hundred codes as with a million.

use super::{Arg, Cursor, Sql, bind_all};
use crate::model::DeviceCode;
use crate::model::time::UnixSecs;
use crate::model::{DeviceStatus, Standing};
use crate::store::device_codes::DeviceCodeRow;
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

/// The two parts of the listing, in the order shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CodePart {
    /// Undecided and not expired.
    Pending,
    /// Everything else.
    Rest,
}

/// Where a page of the device-code listing starts: after this row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCursor {
    pub part: CodePart,
    /// The row's `(expires_at, id)`.
    pub at: Cursor,
}

impl CodeCursor {
    /// `p<expires_at>.<id>` or `r<expires_at>.<id>`, as carried in links.
    pub fn encode(&self) -> String {
        let part = match self.part {
            CodePart::Pending => 'p',
            CodePart::Rest => 'r',
        };
        format!("{part}{}", self.at.encode())
    }

    /// The inverse of [`CodeCursor::encode`]; `None` for anything else.
    pub fn decode(s: &str) -> Option<Self> {
        let part = match s.get(..1)? {
            "p" => CodePart::Pending,
            "r" => CodePart::Rest,
            _ => return None,
        };
        let at = Cursor::decode(s.get(1..)?)?;
        Some(CodeCursor { part, at })
    }
}

/// One page of device codes, and where the next one starts.
#[derive(Debug, Clone)]
pub struct CodePage {
    pub rows: Vec<DeviceCodeListing>,
    pub next: Option<CodeCursor>,
}

/// Which expiries of a status a range takes.
#[derive(Debug, Clone, Copy)]
enum Expiry {
    Live,
    Over,
    Any,
}

/// One index range of the listing: a status and an expiry bound.
type Range = (DeviceStatus, Expiry);

/// The ranges making up each part of the listing under `status`.
fn parts(status: Option<Standing>) -> Vec<(CodePart, Vec<Range>)> {
    use DeviceStatus as S;
    let pending = (CodePart::Pending, vec![(S::Pending, Expiry::Live)]);
    let rest = |ranges: Vec<Range>| (CodePart::Rest, ranges);
    match status {
        None => vec![
            pending,
            rest(vec![
                (S::Pending, Expiry::Over),
                (S::Approved, Expiry::Any),
                (S::Denied, Expiry::Any),
                (S::Redeemed, Expiry::Any),
            ]),
        ],
        Some(Standing::Pending) => vec![pending],
        Some(Standing::Approved) => vec![rest(vec![
            (S::Approved, Expiry::Live),
            (S::Redeemed, Expiry::Any),
        ])],
        Some(Standing::Redeemed) => vec![rest(vec![(S::Redeemed, Expiry::Any)])],
        Some(Standing::Denied) => vec![rest(vec![(S::Denied, Expiry::Any)])],
        Some(Standing::Expired) => vec![rest(vec![
            (S::Pending, Expiry::Over),
            (S::Approved, Expiry::Over),
        ])],
    }
}

/// The query choosing one page: for each range at or after the cursor's
/// part, the next `limit + 1` `(expires_at, id)` of that range, newest
/// first (an index range scan: the index holds both columns); then the
/// merged first `limit + 1` of those, in part order. `None` when no part
/// is left after the cursor (a cursor from another filter's listing).
fn code_page(
    filter: &DeviceCodeFilter<'_>,
    now: i64,
    after: Option<&CodeCursor>,
    limit: i64,
) -> Option<Sql> {
    let mut sql = Sql::default();
    let n = sql.int(now);
    let take = sql.int(limit + 1);
    let client = filter.client_id.map(|c| sql.text(c));
    let keyset = after.map(|c| (c.part, sql.int(c.at.at), sql.text(&c.at.id)));
    let mut selects = Vec::new();
    for (part, ranges) in parts(filter.status) {
        if keyset.as_ref().is_some_and(|(p, _, _)| part < *p) {
            continue;
        }
        let rank = match part {
            CodePart::Pending => 0,
            CodePart::Rest => 1,
        };
        for (status, expiry) in ranges {
            let mut cond = format!("status = '{}'", status.as_str());
            if let Some(c) = &client {
                cond.push_str(&format!(" AND client_id = {c}"));
            }
            match expiry {
                Expiry::Live => cond.push_str(&format!(" AND expires_at > {n}")),
                Expiry::Over => cond.push_str(&format!(" AND expires_at <= {n}")),
                Expiry::Any => {}
            }
            if let Some((p, t, i)) = &keyset
                && *p == part
            {
                cond.push_str(&format!(
                    " AND expires_at <= {t} AND (expires_at < {t} OR id < {i})"
                ));
            }
            let alias = selects.len();
            selects.push(format!(
                "SELECT * FROM (SELECT id, expires_at, {rank} AS part FROM device_codes \
                 WHERE {cond} ORDER BY expires_at DESC, id DESC LIMIT {take}) r{alias}"
            ));
        }
    }
    if selects.is_empty() {
        return None;
    }
    sql.push(&format!(
        "SELECT id, expires_at, part FROM ({}) m ORDER BY part, expires_at DESC, id DESC LIMIT {take}",
        selects.join(" UNION ALL ")
    ));
    Some(sql)
}

const DEVICE_CODE_COLUMNS: &str = "d.id, d.user_code, d.client_id, d.scope, d.status, d.user_id, \
    d.interval_secs, d.last_poll_at_ms, d.poll_grace_used, d.requester_ip, d.user_agent, \
    d.created_at, d.expires_at, d.decided_at, d.redeemed_at, d.code_challenge, d.auth_time, d.amr, d.resources";

impl Store {
    /// One page of device codes matching `filter` at `now`: live pending
    /// ones first, then the rest, each newest first; the page after
    /// `after`, or the first one.
    pub async fn list_device_codes(
        &self,
        filter: &DeviceCodeFilter<'_>,
        now: i64,
        after: Option<&CodeCursor>,
        limit: i64,
    ) -> Result<CodePage> {
        let Some(sql) = code_page(filter, now, after, limit) else {
            return Ok(CodePage {
                rows: Vec::new(),
                next: None,
            });
        };
        let text = format!(
            "SELECT {DEVICE_CODE_COLUMNS}, c.name AS client_name, u.username AS decided_by \
             FROM ({}) p JOIN device_codes d ON d.id = p.id \
             JOIN oauth_clients c ON c.id = d.client_id \
             LEFT JOIN users u ON u.id = d.user_id \
             ORDER BY p.part, p.expires_at DESC, p.id DESC",
            sql.text
        );
        let rows: Vec<DeviceCodeListingRow> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.args).fetch_all(pool).await?
        });
        let mut rows = rows
            .into_iter()
            .map(|r| {
                Ok(DeviceCodeListing {
                    code: DeviceCode::try_from(r.code)?,
                    client_name: r.client_name,
                    decided_by: r.decided_by,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().filter(|_| more).map(|last| CodeCursor {
            part: if last.code.standing(UnixSecs(now)) == Standing::Pending {
                CodePart::Pending
            } else {
                CodePart::Rest
            },
            at: Cursor {
                at: last.code.expires_at.0,
                id: last.code.id.to_string(),
            },
        });
        Ok(CodePage { rows, next })
    }

    pub async fn find_device_code_by_id(&self, id: &str) -> Result<Option<DeviceCode>> {
        let sql = format!("SELECT {DEVICE_CODE_COLUMNS} FROM device_codes d WHERE d.id = $1");
        let row: Option<DeviceCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(DeviceCode::try_from).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_cursors_round_trip_and_refuse_anything_else() {
        let c = CodeCursor {
            part: CodePart::Rest,
            at: Cursor {
                at: 1_700_000_000,
                id: "0d6c.x".into(),
            },
        };
        assert_eq!(c.encode(), "r1700000000.0d6c.x");
        assert_eq!(CodeCursor::decode(&c.encode()), Some(c));
        for bad in ["", "p", "x1.a", "p1.", "pa.b", "é1.a", "1.a", "p-1x.a"] {
            assert_eq!(CodeCursor::decode(bad), None, "{bad}");
        }
    }

    /// Every shape of the listing is index range scans, with no scan of
    /// the table and no sort but the merge of at most a few pages' rows.
    #[tokio::test]
    async fn code_pages_use_an_index() {
        let store = Store::connect(
            "sqlite::memory:",
            &crate::store::PoolSettings {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .expect("connect");
        store.migrate().await.expect("migrate");
        let pool = store.sqlite_pool().expect("sqlite").clone();
        let after = |part| CodeCursor {
            part,
            at: Cursor {
                at: 5,
                id: "j".into(),
            },
        };
        let mut statuses = vec![None];
        statuses.extend(Standing::ALL.map(Some));
        for status in statuses {
            for client_id in [None, Some("c")] {
                for cursor in [
                    None,
                    Some(after(CodePart::Pending)),
                    Some(after(CodePart::Rest)),
                ] {
                    let filter = DeviceCodeFilter { status, client_id };
                    let Some(sql) = code_page(&filter, 0, cursor.as_ref(), 50) else {
                        assert_eq!(status, Some(Standing::Pending), "{cursor:?}");
                        continue;
                    };
                    let explain = format!("EXPLAIN QUERY PLAN {}", sql.text);
                    let plan: Vec<(i64, i64, i64, String)> =
                        bind_all!(sqlx::query_as(&explain), &sql.args)
                            .fetch_all(&pool)
                            .await
                            .expect("plan");
                    let lines: Vec<String> = plan.into_iter().map(|r| r.3).collect();
                    let text = lines.join(" | ");
                    let index = if client_id.is_some() {
                        "USING COVERING INDEX device_codes_client_status_expiry"
                    } else {
                        "USING COVERING INDEX device_codes_status_expiry"
                    };
                    // Every range seeks the index that holds its rows in order.
                    let reads: Vec<&String> = lines
                        .iter()
                        .filter(|l| l.contains("device_codes"))
                        .collect();
                    assert!(!reads.is_empty(), "{text}");
                    for read in reads {
                        assert!(
                            read.starts_with("SEARCH device_codes") && read.contains(index),
                            "{status:?} {client_id:?}: {text}"
                        );
                    }
                    // What is sorted is only a range's `limit + 1` rows
                    // (a subquery `r<n>`), for the merge; never the table.
                    for (i, line) in lines.iter().enumerate() {
                        if line.contains("TEMP B-TREE") {
                            let sorted = i.checked_sub(1).and_then(|p| lines.get(p));
                            assert!(
                                sorted.is_some_and(|s| s.starts_with("SCAN r")),
                                "{status:?} {client_id:?} {cursor:?}: {text}"
                            );
                        }
                    }
                }
            }
        }
        // And the whole listing query runs.
        let page = store
            .list_device_codes(&DeviceCodeFilter::default(), 0, None, 10)
            .await
            .expect("list");
        assert!(page.rows.is_empty() && page.next.is_none());
    }
}
