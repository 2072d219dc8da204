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
//! fault hears of it. A round whose connection died under it (a restarted
//! PostgreSQL, a terminated backend) is applied once more on a fresh
//! connection, checking what the first attempt may have committed (see
//! recheck.rs), so the first write after a recovery does not fail.
//!
//! A stalled database must not turn into writes nobody hears of. A caller
//! waits at most the write deadline (`PoolSettings::write_timeout`, below
//! REQUEST_TIMEOUT) and then hears `Unavailable`; a job whose caller has
//! gone by the time its round starts is not written (no code nobody will
//! poll, no decision nobody saw confirmed, no redemption whose tokens
//! nobody will receive); and a round is given the same deadline, after
//! which its connection is closed and its callers told. A round cut off
//! that way may still commit, on PostgreSQL, once the server runs again:
//! for redemptions the store keeps the tokens it would have handed out
//! until someone takes them (see store/handoff.rs), so that commit is not
//! lost either.

mod postgres;
mod probe;
mod recheck;
mod round;
mod sqlite;
#[cfg(test)]
mod tests;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::audit::NewAuditEvent;
use super::grants::{NewGrant, NewRefreshToken};
use super::{Db, Error, NewDeviceCode, Result};
use crate::store::NewAccessToken;
pub use probe::Writes;
use round::{PARTS, Part, Round};

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
        /// When the approving person signed in (none for a denial).
        auth_time: Option<i64>,
        /// How (RFC 8176 methods, space-separated; none for a denial).
        amr: Option<String>,
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
    /// Writes one row of the server's own (see probe.rs): whether writes
    /// work at all.
    Probe { reply: Reply<()> },
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Inserted(bool),
    Decided(Option<String>),
    Redeemed(bool),
    Probed,
}

impl Job {
    /// Whether nobody waits for this job any more. Audit events are written
    /// all the same: they record what happened, heard of or not.
    fn abandoned(&self) -> bool {
        match self {
            Job::NewCode { reply, .. } => reply.is_closed(),
            Job::Audit { .. } => false,
            Job::Decide { reply, .. } => reply.is_closed(),
            Job::Redeem { reply, .. } => reply.is_closed(),
            Job::Probe { reply } => reply.is_closed(),
        }
    }

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
            Job::Probe { reply } => {
                let _ = reply.send(outcome.map(|_| ()));
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
    /// How long a caller waits for its commit (and a round may take).
    deadline: Duration,
    /// What the writer last learnt about writing (for `/health`).
    health: std::sync::Arc<probe::WriterHealth>,
}

impl Writer {
    /// Starts the writer on `runtime`, with `deadline` for callers and
    /// rounds; it ends when the last sender is gone.
    pub(super) fn spawn(db: Db, runtime: &tokio::runtime::Handle, deadline: Duration) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let writing = Writing {
            db,
            held: None,
            deadline,
        };
        let health = std::sync::Arc::default();
        runtime.spawn(run(writing, queue, std::sync::Arc::clone(&health)));
        Self {
            jobs,
            deadline,
            health,
        }
    }

    /// Queues a job and waits for the commit that holds it, at most the
    /// write deadline: then the caller hears [`Error::Unavailable`], and
    /// its job is dropped unless its round has begun.
    pub(super) async fn submit<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Batch("the database writer has stopped".into());
        let wait = async {
            self.jobs.send(job(reply)).await.map_err(|_| gone())?;
            answer.await.map_err(|_| gone())?
        };
        tokio::time::timeout(self.deadline, wait)
            .await
            .unwrap_or_else(|_| Err(late(self.deadline)))
    }
}

/// The error of a write that did not complete within `deadline`.
fn late(deadline: Duration) -> Error {
    Error::Unavailable(super::Outage::new(
        "the database did not complete a write in time",
        format!("no commit within {deadline:?}"),
    ))
}

async fn run(
    mut writing: Writing,
    mut queue: mpsc::Receiver<Job>,
    health: std::sync::Arc<probe::WriterHealth>,
) {
    let mut jobs = Vec::with_capacity(MAX_JOBS);
    while queue.recv_many(&mut jobs, MAX_JOBS).await > 0 {
        let queued = jobs.len();
        jobs.retain(|job| !job.abandoned());
        if jobs.len() < queued {
            tracing::info!(
                dropped = queued - jobs.len(),
                "writes whose callers gave up waiting were not made"
            );
        }
        // Probes run on their own, after the round.
        let probes: Vec<Job> = if jobs.iter().any(|j| matches!(j, Job::Probe { .. })) {
            let (probes, rest) = jobs.drain(..).partition(|j| matches!(j, Job::Probe { .. }));
            jobs = rest;
            probes
        } else {
            Vec::new()
        };
        if !jobs.is_empty() {
            // A panic in a round (a bug, or a dependency's) must not stop
            // the writer: every later write would fail until a restart.
            // Its callers hear of it; a transaction it left open on
            // SQLite's shared connection fails the next round's BEGIN,
            // whose ROLLBACK clears it, and a PostgreSQL connection is
            // replaced.
            let attempt = std::panic::AssertUnwindSafe(round(&mut writing, &mut jobs, &health));
            if futures_util::FutureExt::catch_unwind(attempt)
                .await
                .is_err()
            {
                tracing::error!(
                    jobs = jobs.len(),
                    "a writer round panicked; its callers are told"
                );
                if let Some(mut conn) = writing.held.take() {
                    conn.close_on_drop();
                }
                for job in jobs.drain(..) {
                    job.answer(Err(Error::Batch("the database writer failed".into())));
                }
            }
        }
        for probe in probes {
            let outcome = writing.probe().await;
            health.record(outcome.as_ref().err().and_then(Error::outage).cloned());
            probe.answer(outcome.map(|()| Outcome::Probed));
        }
    }
}

/// Applies `jobs` in one round and answers them all, draining `jobs`.
async fn round(writing: &mut Writing, jobs: &mut Vec<Job>, health: &probe::WriterHealth) {
    #[allow(clippy::disallowed_methods)] // a duration for the log
    let started = std::time::Instant::now();
    let outcome = write_round(writing, jobs).await;
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
    // An outage is the database's; a job at fault is not.
    health.record(outcome.as_ref().err().and_then(Error::outage).cloned());
    match outcome {
        Ok(outcomes) => {
            for (job, outcome) in jobs.drain(..).zip(outcomes) {
                job.answer(Ok(outcome));
            }
        }
        Err(e) if e.is_unavailable() => {
            // The database is out, not one job at fault: every caller
            // hears so (one by one would only wait the outage out N
            // times).
            tracing::warn!(error = %e, jobs = jobs.len(), "write failed: the database is unavailable");
            for job in jobs.drain(..) {
                job.answer(Err(e.shared()));
            }
        }
        Err(e) if jobs.len() > 1 => {
            // One job broke the transaction: run each alone, so only
            // its own caller hears of the failure.
            tracing::warn!(error = %e, jobs = jobs.len(), "group write failed; retrying one by one");
            for job in jobs.drain(..) {
                let outcome = write_round(writing, std::slice::from_ref(&job))
                    .await
                    .and_then(|mut o| o.pop().ok_or_else(|| Error::Batch("no outcome".into())));
                job.answer(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "write failed");
            for job in jobs.drain(..) {
                job.answer(Err(e.shared()));
            }
        }
    }
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
    /// The longest a round may take.
    deadline: Duration,
}

/// How a round failed.
struct Failure {
    error: Error,
    /// The connection died with the round (it could not even roll back):
    /// the round may or may not have committed.
    lost: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, lost: false }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Error::from(error).into()
    }
}

/// Applies `jobs` in one transaction. When the connection died with the
/// round — after a PostgreSQL restart or a terminated backend, the first
/// round on the old connection fails that way — the round is applied once
/// more on a fresh connection, and the jobs that lost there are looked up
/// (see recheck.rs): the first attempt may have committed before the
/// connection went. Re-applying cannot write twice: new rows are keyed by
/// fresh ids (a row already present is skipped, then found as the job's
/// own) and every move is guarded by the state it leaves.
async fn write_round(writing: &mut Writing, jobs: &[Job]) -> Result<Vec<Outcome>> {
    match apply_all(writing, jobs).await {
        Ok(outcomes) => Ok(outcomes),
        Err(Failure { error, lost: true }) => {
            tracing::warn!(error = %error, "the writer's connection was lost; retrying on a new one");
            let mut outcomes = apply_all(writing, jobs).await.map_err(|f| f.error)?;
            recheck::earlier_attempt(writing, jobs, &mut outcomes).await?;
            Ok(outcomes)
        }
        Err(Failure { error, .. }) => Err(error),
    }
}

/// Applies `jobs` in one transaction.
async fn apply_all(
    writing: &mut Writing,
    jobs: &[Job],
) -> std::result::Result<Vec<Outcome>, Failure> {
    let mut round = Round::of(jobs);
    let rows: Vec<(Part, String)> = PARTS
        .into_iter()
        .zip(std::mem::take(&mut round.rows))
        // SQLite's round runs every part but the lock (the round holds the
        // write lock); PostgreSQL's only those with rows.
        .filter(|(part, rows)| match writing.db {
            Db::Sqlite(_) => *part != Part::Lock,
            Db::Postgres(_) => rows.len() > 0,
        })
        .map(|(part, rows)| Ok((part, rows.finish()?)))
        .collect::<Result<_>>()?;
    // Past the deadline the round's connection is closed, not reused: it
    // may be in the middle of the transaction.
    let deadline = writing.deadline;
    let applied = match &writing.db {
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            match tokio::time::timeout(deadline, sqlite::apply(&mut conn, &round, &rows)).await {
                Ok(applied) => applied?,
                Err(_) => {
                    conn.close_on_drop();
                    return Err(late(deadline).into());
                }
            }
        }
        Db::Postgres(pool) => {
            let apply = postgres::apply(pool, &mut writing.held, &round, &rows);
            match tokio::time::timeout(deadline, apply).await {
                Ok(applied) => applied?,
                Err(_) => {
                    if let Some(mut conn) = writing.held.take() {
                        conn.close_on_drop();
                    }
                    return Err(late(deadline).into());
                }
            }
        }
    };
    Ok(round.outcomes(jobs, applied))
}
