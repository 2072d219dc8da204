//! The hot writes — new device codes, audit events, decisions and
//! redemptions — applied by one task on a thread of its own, every job
//! queued meanwhile in one transaction of a few multi-row statements.
//!
//! SQLite has one writer at a time, and each statement and commit costs far
//! more than a row: one transaction per request caps a server at a few
//! thousand writes a second. Run from request tasks, each round trip of a
//! transaction also waits for a busy async worker, with the lock held all
//! that while. Here a dedicated thread runs the writer on a connection of
//! its own (opened on that thread, so its I/O is driven there); it takes
//! every job queued while its previous transaction ran and writes them with
//! one statement per kind of change, so a round costs the same handful of
//! statements whether it carries one job or two hundred. Callers are
//! answered after the commit, so nothing acknowledged can be lost to a
//! crash; a round that fails is retried job by job, so only the job at
//! fault hears of it.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::audit::NewAuditEvent;
use super::batch::{self, Backend, Guard, Inserted, JsonRows, guarded_insert, inserted};
use super::grants::{NewGrant, NewRefreshToken};
use super::{Db, Error, NewDeviceCode, Result};
use crate::store::NewAccessToken;

/// The most jobs one transaction takes (each kind's statement then stays
/// far below either engine's limit on parameters).
const MAX_JOBS: usize = 256;
/// Jobs waiting beyond this make callers wait for room (back-pressure).
const QUEUE: usize = 8_192;
/// A round taking longer (waiting for the connection or a lock included)
/// is logged at WARN: its size and duration, never its rows, which hold
/// user codes, addresses, user agents and usernames. (The PostgreSQL
/// round's statements carry those rows as literals, so the driver's own
/// statement logging is off on the writer's connection.)
const SLOW_ROUND: std::time::Duration = std::time::Duration::from_secs(1);

type Reply<T> = oneshot::Sender<Result<T>>;

/// A change the writer applies.
pub(super) enum Job {
    /// Inserts a pending code; answers `false` when its user code or hash
    /// clashed with another (nothing written).
    NewCode {
        row: Box<NewDeviceCode>,
        reply: Reply<bool>,
    },
    /// Appends to the audit log.
    Audit {
        row: Box<NewAuditEvent>,
        reply: Reply<bool>,
    },
    /// Moves a live pending code to `status`; answers its device-code hash
    /// when it did. `audit` is written with the change, only if it is made.
    Decide {
        id: String,
        status: &'static str,
        user_id: String,
        now: i64,
        audit: Option<Box<NewAuditEvent>>,
        reply: Reply<Option<String>>,
    },
    /// Redeems an approved code for its grant and tokens; answers whether
    /// it won. `audit` is written with them, only if it won.
    Redeem {
        id: String,
        now: i64,
        grant: Box<NewGrant>,
        access: Box<NewAccessToken>,
        refresh: Option<Box<NewRefreshToken>>,
        audit: Option<Box<NewAuditEvent>>,
        reply: Reply<bool>,
    },
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Inserted(bool),
    Decided(Option<String>),
    Redeemed(bool),
}

impl Job {
    fn answer(self, outcome: Result<Outcome>) {
        let mismatched = || Error::Batch("mismatched outcome".into());
        match self {
            Job::NewCode { reply, .. } | Job::Audit { reply, .. } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Inserted(inserted) => Ok(inserted),
                    _ => Err(mismatched()),
                }));
            }
            Job::Decide { reply, .. } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Decided(hash) => Ok(hash),
                    _ => Err(mismatched()),
                }));
            }
            Job::Redeem { reply, .. } => {
                let _ = reply.send(outcome.and_then(|o| match o {
                    Outcome::Redeemed(won) => Ok(won),
                    _ => Err(mismatched()),
                }));
            }
        }
    }
}

/// Starts the writer's thread: a single-threaded runtime that lives as
/// long as tasks spawned on it do (the writer ends when every [`Writer`]
/// handle is dropped).
pub(super) fn thread() -> Result<tokio::runtime::Handle> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Batch(format!("cannot start the database writer: {e}")))?;
    let handle = runtime.handle().clone();
    let alive = handle.clone();
    std::thread::Builder::new()
        .name("authgate-writer".into())
        .spawn(move || {
            runtime.block_on(async move {
                // Runs until only this thread still watches the runtime's
                // tasks: checked each second, cheap and simple.
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    if alive.metrics().num_alive_tasks() == 0 {
                        break;
                    }
                }
            });
        })
        .map_err(|e| Error::Batch(format!("cannot start the database writer: {e}")))?;
    Ok(handle)
}

/// The queue into the writer task.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on `runtime`; it ends when the last sender is gone.
    pub(super) fn spawn(db: Db, runtime: &tokio::runtime::Handle) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        runtime.spawn(run(db, queue));
        Self { jobs }
    }

    /// Queues a job and waits for the commit that holds it.
    pub(super) async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Batch("the database writer has stopped".into());
        self.jobs.send(job(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(pool: Db, mut queue: mpsc::Receiver<Job>) {
    let mut writing = Writing {
        db: pool,
        held: None,
    };
    let mut jobs = Vec::with_capacity(MAX_JOBS);
    while queue.recv_many(&mut jobs, MAX_JOBS).await > 0 {
        #[allow(clippy::disallowed_methods)] // a duration for the log
        let started = std::time::Instant::now();
        let outcome = apply_all(&mut writing, &jobs).await;
        let took = started.elapsed();
        if took >= SLOW_ROUND {
            tracing::warn!(
                jobs = jobs.len(),
                millis = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
                "slow writer round"
            );
        } else {
            tracing::debug!(jobs = jobs.len(), micros = took.as_micros(), "writer round");
        }
        match outcome {
            Ok(outcomes) => {
                for (job, outcome) in jobs.drain(..).zip(outcomes) {
                    job.answer(Ok(outcome));
                }
            }
            Err(e) if jobs.len() > 1 => {
                // One job broke the transaction: run each alone, so only
                // its own caller hears of the failure.
                tracing::warn!(error = %e, jobs = jobs.len(), "group write failed; retrying one by one");
                for job in jobs.drain(..) {
                    let outcome = apply_all(&mut writing, std::slice::from_ref(&job))
                        .await
                        .and_then(|mut o| o.pop().ok_or_else(|| Error::Batch("no outcome".into())));
                    job.answer(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "write failed");
                let message = e.to_string();
                for job in jobs.drain(..) {
                    job.answer(Err(Error::Batch(message.clone())));
                }
            }
        }
    }
}

/// The statements of a round, in the order they run. Each guarded insert
/// runs before the `UPDATE` it depends on, under the same condition: the
/// rows it writes are exactly those of the codes that then move (the
/// round holds the write lock on SQLite, and locks the codes' rows first
/// on PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
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
const PARTS: [Part; 10] = [
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
    fn sql(self, backend: Backend) -> String {
        let rows = backend.rows();
        match self {
            Part::Codes => batch::insert::<NewDeviceCode>(backend),
            Part::Audits => batch::insert::<NewAuditEvent>(backend),
            Part::Lock => format!(
                "SELECT d.id FROM device_codes d \
                 WHERE d.id IN (SELECT v.value ->> 0 FROM {rows}) ORDER BY d.id FOR UPDATE"
            ),
            Part::DecisionAudits => guarded_insert::<NewAuditEvent>(Guard::Pending, backend),
            Part::Decide => {
                let update = format!(
                    "UPDATE device_codes AS d SET status = v.value ->> 2, user_id = v.value ->> 3, \
                     decided_at = CAST(v.value ->> 1 AS BIGINT) FROM {rows} WHERE {} \
                     RETURNING id, device_code_hash",
                    Guard::Pending.condition()
                );
                match backend {
                    Backend::Sqlite => update,
                    // Other instances hear of each decision from the same
                    // transaction: PostgreSQL sends a NOTIFY at commit, and
                    // only then (see changes.rs).
                    Backend::Postgres => format!(
                        "WITH moved AS ({update}) SELECT id, device_code_hash, \
                         pg_notify('{}', '{}' || device_code_hash) FROM moved",
                        super::changes::CHANNEL,
                        super::changes::CODE_PREFIX
                    ),
                }
            }
            Part::Grants => guarded_insert::<NewGrant>(Guard::Approved, backend),
            Part::Access => guarded_insert::<NewAccessToken>(Guard::Approved, backend),
            Part::Refresh => guarded_insert::<NewRefreshToken>(Guard::Approved, backend),
            Part::RedemptionAudits => guarded_insert::<NewAuditEvent>(Guard::Approved, backend),
            Part::Redeem => format!(
                "UPDATE device_codes AS d SET status = 'redeemed', \
                 redeemed_at = CAST(v.value ->> 1 AS BIGINT) FROM {rows} WHERE {} \
                 RETURNING id, device_code_hash",
                Guard::Approved.condition()
            ),
        }
    }
}

/// The SQLite round: every part in one query between `BEGIN IMMEDIATE`
/// and `COMMIT`, a part without rows given an empty array.
fn sqlite_round_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let mut sql = String::from("BEGIN IMMEDIATE;");
        for part in PARTS.iter().filter(|&&p| p != Part::Lock) {
            sql.push_str(&part.sql(Backend::Sqlite));
            sql.push(';');
        }
        sql.push_str("COMMIT");
        sql
    })
}

/// Each PostgreSQL part's statement.
fn postgres_sql(part: Part) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| PARTS.iter().map(|p| p.sql(Backend::Postgres)).collect());
    all.get(part as usize)
        .map(String::as_str)
        .unwrap_or_default()
}

/// One round's jobs, as the JSON rows of each part. A code named by two
/// decisions (or two redemptions) of one round is offered to the database
/// once, by the earlier job: the later one loses, as it would a round
/// later.
struct Round<'a> {
    codes: Vec<&'a NewDeviceCode>,
    audits: Vec<&'a NewAuditEvent>,
    /// Per part (in the order of [`PARTS`]), its rows.
    rows: Vec<JsonRows>,
    /// Per job: whether it is the first of its round to name its code.
    first: Vec<bool>,
}

impl<'a> Round<'a> {
    fn of(jobs: &'a [Job]) -> Self {
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
    fn outcomes(
        &self,
        jobs: &[Job],
        codes: &Inserted,
        audits: &Inserted,
        mut answers: Answers,
    ) -> Vec<Outcome> {
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
            })
            .collect()
    }
}

/// What the database answered to a round.
#[derive(Default)]
struct Answers {
    codes_changed: u64,
    audits_changed: u64,
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
async fn confirmed<C: batch::InsertRows, T: batch::Batched>(
    conn: &mut C,
    rows: &[&T],
    changed: u64,
) -> Inserted {
    inserted(conn, rows, changed).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot tell which rows of a round went in");
        Inserted::Only(HashSet::new())
    })
}

/// Where the writer writes.
struct Writing {
    db: Db,
    /// PostgreSQL: the writer's connection, kept from round to round (the
    /// writer's pool has no other user). Handing it back to the pool and
    /// taking it again would cost two pings, two trips to the server, per
    /// round. Dropped after a failed round, so a broken connection is
    /// replaced. (SQLite's writer connection is shared with other writes
    /// and goes back to the pool after each round.)
    held: Option<sqlx::pool::PoolConnection<sqlx::Postgres>>,
}

/// Applies `jobs` in one transaction.
async fn apply_all(writing: &mut Writing, jobs: &[Job]) -> Result<Vec<Outcome>> {
    let db = &writing.db;
    let mut round = Round::of(jobs);
    let rows: Vec<(Part, String)> = PARTS
        .into_iter()
        .zip(std::mem::take(&mut round.rows))
        // SQLite's round runs every part but the lock (the round holds the
        // write lock); PostgreSQL's only those with rows.
        .filter(|(part, rows)| match db {
            Db::Sqlite(_) => *part != Part::Lock,
            Db::Postgres(_) => rows.len() > 0,
        })
        .map(|(part, rows)| Ok((part, rows.finish()?)))
        .collect::<Result<_>>()?;
    // The statements between the round's `BEGIN` and `COMMIT`.
    let parts: Vec<Part> = rows.iter().map(|(part, _)| *part).collect();
    let (answers, codes, audits) = match db {
        Db::Sqlite(pool) => {
            // One query: the whole round costs one trip to SQLite's
            // connection thread, and one prepared statement.
            let mut query = sqlx::query(sqlite_round_sql());
            for (_, json) in &rows {
                query = query.bind(json);
            }
            let mut conn = pool.acquire().await?;
            let answers = match sqlite_round(&mut conn, query, &parts).await {
                Ok(answers) => answers,
                Err(e) => {
                    // A failed statement leaves the transaction open.
                    if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                        conn.close_on_drop();
                    }
                    return Err(e);
                }
            };
            // Committed: rows present now are rows that went in. The round
            // must not fail from here on (a retry would apply it again), so
            // rows that cannot be confirmed count as not written: a device
            // code is then retried under a new user code.
            let codes = confirmed(&mut *conn, &round.codes, answers.codes_changed).await;
            let audits = confirmed(&mut *conn, &round.audits, answers.audits_changed).await;
            (answers, codes, audits)
        }
        Db::Postgres(pool) => {
            let conn = match &mut writing.held {
                Some(conn) => conn,
                held => held.insert(pool.acquire().await?),
            };
            let answers = match postgres_round(conn, &rows, &parts).await {
                Ok(answers) => answers,
                Err(e) => {
                    // A failed statement leaves the transaction open; the
                    // connection is replaced for the next round anyway.
                    if sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
                        conn.close_on_drop();
                    }
                    writing.held = None;
                    return Err(e);
                }
            };
            // Committed: as on SQLite, the round must not fail from here on.
            let codes = confirmed(&mut **conn, &round.codes, answers.codes_changed).await;
            let audits = confirmed(&mut **conn, &round.audits, answers.audits_changed).await;
            (answers, codes, audits)
        }
    };
    Ok(round.outcomes(jobs, &codes, &audits, answers))
}

/// Runs a round on PostgreSQL as one simple query, `BEGIN; …; COMMIT`,
/// each part's rows written into its statement as a string literal: one
/// trip to the server per round instead of two per statement, and each
/// statement planned for its own rows (a plan cached while a table was
/// nearly empty — a sequential scan — could otherwise stay in use after a
/// burst of inserts until the next ANALYZE). Bound parameters would need
/// the extended protocol, a statement at a time.
async fn postgres_round(
    conn: &mut sqlx::PgConnection,
    rows: &[(Part, String)],
    parts: &[Part],
) -> Result<Answers> {
    let mut sql = String::from("BEGIN;");
    for (part, json) in rows {
        sql.push_str(&postgres_sql(*part).replace("$1", &escape_literal(json)));
        sql.push(';');
    }
    sql.push_str("COMMIT");
    // Deprecated by sqlx together with multi-statement queries; a simple
    // query is what runs several statements on PostgreSQL (sqlx 0.8,
    // pinned).
    #[allow(deprecated)]
    let results = sqlx::raw_sql(&sql).fetch_many(conn);
    answers_of(results, parts).await
}

/// `text` as a PostgreSQL escape-string constant (`E'…'`), whose meaning
/// does not depend on `standard_conforming_strings`: inside it only a
/// backslash and a quote are special, and both are doubled. (The rows are
/// JSON from serde_json, which never contains a NUL.)
fn escape_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Runs a round's query on SQLite; `parts` name its statements after the
/// leading `BEGIN`, each answering once when done.
async fn sqlite_round<'q>(
    conn: &mut sqlx::SqliteConnection,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    parts: &[Part],
) -> Result<Answers> {
    // Several statements in one query: deprecated by sqlx because only its
    // SQLite driver runs them, which is the one this runs on (sqlx 0.8,
    // pinned); it saves a round trip to the connection's thread per
    // statement.
    #[allow(deprecated)]
    let results = query.fetch_many(conn);
    answers_of(results, parts).await
}

/// Reads the answers of a round run as one query: after the leading
/// `BEGIN`, one result per statement of `parts` (with the rows it
/// returned), then `COMMIT`'s.
async fn answers_of<'c, R, D>(
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
trait RowsAffected {
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
    use crate::domain::device_flow::{Decision, DeviceState};
    use crate::domain::user::Role;
    use crate::store::{
        NewAccessToken, NewAuditEvent, NewClient, NewDeviceCode, NewGrant, NewUser, PoolSettings,
        Store,
    };

    #[test]
    fn literals_double_quotes_and_backslashes_only() {
        assert_eq!(super::escape_literal(r#"a'b\c"$1;"#), r#"E'a''b\\c"$1;'"#);
    }

    async fn store_with_codes(n: usize) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = Store::connect(&url, &PoolSettings::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store
            .insert_client(&NewClient {
                id: "c".into(),
                name: "C".into(),
                secret_hash: None,
                allowed_scopes: "read".into(),
                refresh_tokens: false,
                now: 0,
            })
            .await
            .unwrap();
        store
            .insert_user(&NewUser {
                id: "u".into(),
                username: "u".into(),
                password_hash: "x".into(),
                role: Role::User,
                now: 0,
            })
            .await
            .unwrap();
        for i in 0..n {
            store
                .insert_device_code(&NewDeviceCode {
                    id: format!("d{i}"),
                    device_code_hash: format!("h{i}"),
                    user_code: format!("BCDFGHJ{}", ["K", "L", "M", "N"][i]),
                    client_id: "c".into(),
                    scope: "read".into(),
                    interval_secs: 5,
                    requester_ip: None,
                    user_agent: None,
                    created_at: 0,
                    expires_at: i64::MAX / 2,
                })
                .await
                .unwrap();
        }
        (store, dir)
    }

    #[test]
    fn parts_are_listed_in_declaration_order() {
        for (i, part) in super::PARTS.into_iter().enumerate() {
            assert_eq!(part as usize, i, "{part:?}");
        }
    }

    /// A job that fails inside a group (here: a decision by a user who does
    /// not exist breaks a foreign key) fails alone; the jobs sharing its
    /// transaction are applied and answered.
    #[tokio::test]
    async fn a_failing_job_does_not_take_its_group_down() {
        let (store, _dir) = store_with_codes(4).await;
        let decisions: Vec<_> = (0..4)
            .map(|i| {
                let store = store.clone();
                let user = if i == 2 { "nobody" } else { "u" };
                tokio::spawn(async move {
                    store
                        .decide_device_code(&format!("d{i}"), Decision::Approve, user, 1, None)
                        .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for d in decisions {
            outcomes.push(d.await.unwrap());
        }
        for (i, outcome) in outcomes.iter().enumerate() {
            let code = store
                .find_device_code_by_hash(&format!("h{i}"))
                .await
                .unwrap()
                .unwrap();
            if i == 2 {
                assert!(outcome.is_err(), "{outcome:?}");
                assert_eq!(code.state, DeviceState::Pending);
            } else {
                assert!(matches!(outcome, Ok(Some(_))), "{outcome:?}");
                assert!(matches!(code.state, DeviceState::Approved { .. }));
            }
        }
    }

    fn audit(id: &str, action: &'static str) -> NewAuditEvent {
        NewAuditEvent {
            id: id.into(),
            at: 1,
            action,
            ..NewAuditEvent::default()
        }
    }

    /// Decisions and redemptions racing in (probably) one round: each code
    /// moves once, and the audit events, grants and tokens written are
    /// exactly those of the moves that happened.
    #[tokio::test]
    async fn only_the_moves_that_happen_write_their_rows() {
        let (store, _dir) = store_with_codes(4).await;
        // d3 has expired by the time it is decided.
        let decide = |i: usize, n: usize, now: i64| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .decide_device_code(
                        &format!("d{i}"),
                        Decision::Approve,
                        "u",
                        now,
                        Some(&audit(&format!("a{i}-{n}"), "device.approved")),
                    )
                    .await
                    .unwrap()
                    .is_some()
            })
        };
        let decisions = [
            decide(0, 0, 1),
            decide(0, 1, 1),
            decide(1, 0, 1),
            decide(3, 0, i64::MAX),
        ];
        let mut won = Vec::new();
        for d in decisions {
            won.push(d.await.unwrap());
        }
        assert_eq!(won.iter().filter(|&&w| w).count(), 2, "{won:?}");
        assert!(won[0] != won[1], "one of two decisions of d0 wins");
        assert!(won[2] && !won[3]);

        let redeem = |i: usize, n: usize| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("d{i}");
                let grant = NewGrant {
                    id: format!("g{i}-{n}"),
                    user_id: "u".into(),
                    client_id: "c".into(),
                    scope: "read".into(),
                    device_code_id: Some(id.clone()),
                    device_label: None,
                    requester_ip: None,
                    now: 2,
                };
                let access = NewAccessToken {
                    jti: format!("t{i}-{n}"),
                    user_id: "u".into(),
                    client_id: "c".into(),
                    scope: "read".into(),
                    device_code_id: Some(id.clone()),
                    grant_id: grant.id.clone(),
                    issued_at: 2,
                    expires_at: 3,
                };
                store
                    .redeem_device_code(
                        &id,
                        2,
                        &grant,
                        &access,
                        None,
                        Some(&audit(&format!("r{i}-{n}"), "token.issued")),
                    )
                    .await
                    .unwrap()
            })
        };
        // d0 and d1 are approved (twice each); d2 is still pending.
        let redemptions = [
            redeem(0, 0),
            redeem(0, 1),
            redeem(1, 0),
            redeem(1, 1),
            redeem(2, 0),
        ];
        let mut won = Vec::new();
        for r in redemptions {
            won.push(r.await.unwrap());
        }
        assert_eq!(won, [won[0], !won[0], won[2], !won[2], false]);

        let count = |sql: &'static str| {
            let store = store.clone();
            async move {
                let pool = store.sqlite_pool().unwrap().clone();
                let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
                n
            }
        };
        assert_eq!(count("SELECT COUNT(*) FROM grants").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM access_tokens").await, 2);
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_events WHERE action = 'device.approved'").await,
            2
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.issued'").await,
            2
        );
        assert_eq!(
            count(
                "SELECT COUNT(*) FROM access_tokens t JOIN audit_events a \
                 ON a.id = 'r' || substr(t.jti, 2)"
            )
            .await,
            2,
            "each token's audit event is its own redemption's"
        );
    }
}
