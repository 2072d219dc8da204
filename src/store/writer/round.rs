//! A writer round: the statements it runs (one per kind of change, in
//! the order that keeps dependent rows with the moves they depend on),
//! the jobs' rows for each, and what the database answered.

use std::collections::{HashMap, HashSet};

use super::super::audit::NewAuditEvent;
use super::super::batch::{self, Backend, Guard, Inserted, JsonRows, guarded_insert, inserted};
use super::super::grants::{NewGrant, NewRefreshToken};
use super::super::{Error, NewDeviceCode, Result};
use super::{Job, Outcome};
use crate::model::Transition;
use crate::store::NewAccessToken;

/// The statements of a round, in the order they run. Each guarded insert
/// runs before the `UPDATE` it depends on, under the same condition: the
/// rows it writes are exactly those of the codes that then move (the
/// round holds the write lock on SQLite, and locks the codes' rows first
/// on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Codes,
    Audits,
    /// PostgreSQL only: `SELECT … FOR UPDATE` of every code that may move.
    Lock,
    DecisionAudits,
    Decide,
    Grants,
    Access,
    Refresh,
    RedemptionAudits,
    Redeem,
}

/// Every part, in declaration order (so `part as usize` indexes it).
pub(super) const PARTS: [Part; 10] = [
    Part::Codes,
    Part::Audits,
    Part::Lock,
    Part::DecisionAudits,
    Part::Decide,
    Part::Grants,
    Part::Access,
    Part::Refresh,
    Part::RedemptionAudits,
    Part::Redeem,
];

impl Part {
    /// This part's statement: its text depends on nothing but the backend,
    /// so SQLite prepares it once per connection (PostgreSQL's round writes
    /// its rows in, see [`postgres_round`]).
    pub(super) fn sql(self, backend: Backend) -> String {
        let rows = backend.rows();
        match self {
            Part::Codes => batch::insert::<NewDeviceCode>(backend),
            Part::Audits => batch::insert::<NewAuditEvent>(backend),
            Part::Lock => format!(
                "SELECT d.id FROM device_codes d \
                 WHERE d.id IN (SELECT v.value ->> 0 FROM {rows}) ORDER BY d.id FOR UPDATE"
            ),
            Part::DecisionAudits => guarded_insert::<NewAuditEvent>(Guard::DECIDE, backend),
            Part::Decide => {
                let update = format!(
                    "UPDATE device_codes AS d SET status = v.value ->> 2, user_id = v.value ->> 3, \
                     decided_at = CAST(v.value ->> 1 AS BIGINT), \
                     auth_time = CAST(v.value ->> 4 AS BIGINT), amr = v.value ->> 5 FROM {rows} WHERE {} \
                     RETURNING id, device_code_hash",
                    Guard::DECIDE.condition()
                );
                match backend {
                    Backend::Sqlite => update,
                    // Other instances hear of each decision from the same
                    // transaction: PostgreSQL sends a NOTIFY at commit, and
                    // only then (see changes.rs).
                    Backend::Postgres => format!(
                        "WITH moved AS ({update}) SELECT id, device_code_hash, \
                         pg_notify('{}', '{}' || device_code_hash) FROM moved",
                        super::super::changes::CHANNEL,
                        super::super::changes::CODE_PREFIX
                    ),
                }
            }
            Part::Grants => guarded_insert::<NewGrant>(Guard::REDEEM, backend),
            Part::Access => guarded_insert::<NewAccessToken>(Guard::REDEEM, backend),
            Part::Refresh => guarded_insert::<NewRefreshToken>(Guard::REDEEM, backend),
            Part::RedemptionAudits => guarded_insert::<NewAuditEvent>(Guard::REDEEM, backend),
            Part::Redeem => format!(
                "UPDATE device_codes AS d SET status = '{}', \
                 redeemed_at = CAST(v.value ->> 1 AS BIGINT) FROM {rows} WHERE {} \
                 RETURNING id, device_code_hash",
                Transition::Redeem.enters().as_str(),
                Guard::REDEEM.condition()
            ),
        }
    }
}

/// One round's jobs, as the JSON rows of each part. A code named by two
/// decisions (or two redemptions) of one round is offered to the database
/// once, by the earlier job: the later one loses, as it would a round
/// later.
pub(super) struct Round<'a> {
    pub(super) codes: Vec<&'a NewDeviceCode>,
    pub(super) audits: Vec<&'a NewAuditEvent>,
    /// Per part (in the order of [`PARTS`]), its rows.
    pub(super) rows: Vec<JsonRows>,
    /// Per job: whether it is the first of its round to name its code.
    first: Vec<bool>,
}

impl<'a> Round<'a> {
    pub(super) fn of(jobs: &'a [Job]) -> Self {
        let mut round = Round {
            codes: Vec::new(),
            audits: Vec::new(),
            rows: PARTS.iter().map(|_| JsonRows::default()).collect(),
            first: Vec::with_capacity(jobs.len()),
        };
        let (mut decided, mut redeemed) = (HashSet::new(), HashSet::new());
        for job in jobs {
            let first = match job {
                Job::NewCode { row, .. } => {
                    round.codes.push(row);
                    round.part(Part::Codes).push_row(row.as_ref());
                    true
                }
                Job::Audit { row, .. } => {
                    round.audits.push(row);
                    round.part(Part::Audits).push_row(row.as_ref());
                    true
                }
                Job::Decide {
                    id,
                    status,
                    user_id,
                    now,
                    auth_time,
                    amr,
                    audit,
                    ..
                } => {
                    let first = decided.insert(id.as_str());
                    if first {
                        round.part(Part::Lock).push(|r| r.value(id));
                        round.part(Part::Decide).push(|r| {
                            r.value(id);
                            r.value(now);
                            r.value(status);
                            r.value(user_id);
                            r.value(auth_time);
                            r.value(amr);
                        });
                        if let Some(audit) = audit {
                            round.guarded(Part::DecisionAudits, id, *now, audit.as_ref());
                        }
                    }
                    first
                }
                Job::Redeem {
                    id,
                    now,
                    grant,
                    access,
                    refresh,
                    audit,
                    ..
                } => {
                    let first = redeemed.insert(id.as_str());
                    if first {
                        round.part(Part::Lock).push(|r| r.value(id));
                        round.guarded(Part::Grants, id, *now, grant.as_ref());
                        round.guarded(Part::Access, id, *now, access.as_ref());
                        if let Some(refresh) = refresh {
                            round.guarded(Part::Refresh, id, *now, refresh.as_ref());
                        }
                        if let Some(audit) = audit {
                            round.guarded(Part::RedemptionAudits, id, *now, audit.as_ref());
                        }
                        round.part(Part::Redeem).push(|r| {
                            r.value(id);
                            r.value(now);
                        });
                    }
                    first
                }
                // Probes run apart from rounds (see probe.rs).
                Job::Probe { .. } => false,
            };
            round.first.push(first);
        }
        round
    }

    fn part(&mut self, part: Part) -> &mut JsonRows {
        &mut self.rows[part as usize]
    }

    /// Adds `row`, to be written if code `id` moves at `at`.
    fn guarded<T: batch::Batched>(&mut self, part: Part, id: &str, at: i64, row: &T) {
        self.part(part).push(|r| {
            r.value(id);
            r.value(&at);
            row.write(r);
        });
    }

    /// Each job's answer, in the order of `jobs`.
    pub(super) fn outcomes(&self, jobs: &[Job], applied: Applied) -> Vec<Outcome> {
        let Applied {
            mut answers,
            codes,
            audits,
        } = applied;
        jobs.iter()
            .zip(&self.first)
            .map(|(job, first)| match job {
                Job::NewCode { row, .. } => Outcome::Inserted(codes.contains(&row.id)),
                Job::Audit { row, .. } => Outcome::Inserted(audits.contains(&row.id)),
                Job::Decide { id, .. } => {
                    Outcome::Decided(first.then(|| answers.decided.remove(id)).flatten())
                }
                Job::Redeem { id, .. } => {
                    Outcome::Redeemed(*first && answers.redeemed.contains(id))
                }
                Job::Probe { .. } => Outcome::Probed,
            })
            .collect()
    }
}

/// A committed round: what the database answered, and which of its new
/// codes and audit events went in.
pub(super) struct Applied {
    pub(super) answers: Answers,
    pub(super) codes: Inserted,
    pub(super) audits: Inserted,
}

/// What the database answered to a round.
#[derive(Default)]
pub(super) struct Answers {
    pub(super) codes_changed: u64,
    pub(super) audits_changed: u64,
    decided: HashMap<String, String>,
    redeemed: HashSet<String>,
}

impl Answers {
    /// Records `part`'s rows changed and returned rows `(id, hash)`.
    fn record(&mut self, part: Part, changed: u64, rows: Vec<(String, String)>) {
        match part {
            Part::Codes => self.codes_changed = changed,
            Part::Audits => self.audits_changed = changed,
            Part::Decide => self.decided.extend(rows),
            Part::Redeem => self.redeemed.extend(rows.into_iter().map(|(id, _)| id)),
            _ => {}
        }
    }
}

/// [`inserted`] after the commit: an error counts the rows as not written.
pub(super) async fn confirmed<C: batch::InsertRows, T: batch::Batched>(
    conn: &mut C,
    rows: &[&T],
    changed: u64,
) -> Inserted {
    inserted(conn, rows, changed).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot tell which rows of a round went in");
        Inserted::Only(HashSet::new())
    })
}

/// Reads the answers of a round run as one query: after the leading
/// `BEGIN`, one result per statement of `parts` (with the rows it
/// returned), then `COMMIT`'s.
pub(super) async fn answers_of<'c, R, D>(
    results: futures_util::stream::BoxStream<
        'c,
        std::result::Result<sqlx::Either<D, R>, sqlx::Error>,
    >,
    parts: &[Part],
) -> Result<Answers>
where
    R: sqlx::Row,
    D: RowsAffected,
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut results = results;
    let mut answers = Answers::default();
    // Statement 0 is BEGIN; the last is COMMIT.
    let mut statement = 0usize;
    let mut rows = Vec::new();
    while let Some(result) = futures_util::TryStreamExt::try_next(&mut results).await? {
        match result {
            sqlx::Either::Left(done) => {
                if let Some(&part) = statement.checked_sub(1).and_then(|i| parts.get(i)) {
                    answers.record(part, done.rows_affected(), std::mem::take(&mut rows));
                }
                statement += 1;
            }
            // Only the moving `UPDATE`s' rows are answers (the lock's are not).
            sqlx::Either::Right(row) => {
                let part = statement.checked_sub(1).and_then(|i| parts.get(i));
                if matches!(part, Some(Part::Decide | Part::Redeem)) {
                    rows.push(returned(&row)?);
                }
            }
        }
    }
    if statement != parts.len() + 2 {
        return Err(Error::Batch(format!(
            "the writer's round ran {statement} of {} statements",
            parts.len() + 2
        )));
    }
    Ok(answers)
}

/// A statement's result on either engine.
pub(super) trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// A row returned by a moving `UPDATE`: the code's id and hash.
fn returned<R: sqlx::Row>(row: &R) -> Result<(String, String)>
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((row.try_get(0)?, row.try_get(1)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parts_are_listed_in_declaration_order() {
        for (i, part) in super::PARTS.into_iter().enumerate() {
            assert_eq!(part as usize, i, "{part:?}");
        }
    }
}
