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

mod postgres;
mod round;
mod sqlite;
#[cfg(test)]
mod tests;

use tokio::sync::{mpsc, oneshot};

use super::audit::NewAuditEvent;
use super::grants::{NewGrant, NewRefreshToken};
use super::{Db, Error, NewDeviceCode, Result};
use crate::store::NewAccessToken;
use round::{PARTS, Part, Round};

/// The most jobs one transaction takes (each kind's statement then stays
/// far below either engine's limit on parameters).
const MAX_JOBS: usize = 256;
/// Jobs waiting beyond this make callers wait for room (back-pressure).
const QUEUE: usize = 8_192;

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
        #[allow(clippy::disallowed_methods)] // a duration for the debug log
        let started = std::time::Instant::now();
        let outcome = apply_all(&mut writing, &jobs).await;
        tracing::debug!(
            jobs = jobs.len(),
            micros = started.elapsed().as_micros(),
            "writer round"
        );
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
                    let outcome = apply_all(&mut writing, std::slice::from_ref(&job))
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
    let applied = match &writing.db {
        Db::Sqlite(pool) => sqlite::apply(pool, &round, &rows).await?,
        Db::Postgres(pool) => postgres::apply(pool, &mut writing.held, &round, &rows).await?,
    };
    Ok(round.outcomes(jobs, applied))
}
