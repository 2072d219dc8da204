//! What the writer knows about writing, for `/health` and start-up.
//!
//! A read (`SELECT 1`) says little about writes: with SQLite's disk full,
//! reads are answered while every write fails. So the writer records the
//! outcome of each round — an outage or not (a job at fault is not the
//! database's fault) — and `/health` reports it while it is fresh
//! ([`FRESH`]). A server with no writes of late probes instead: one row of
//! `settings` upserted through the writer, a real write on the writer's
//! connection, at most one probe at a time, so `/health` costs a write at
//! most every few seconds and none while traffic flows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::super::{Db, Error, Outage, Result, Store};
use super::{Job, Writing, late};

/// How long a round's outcome stands for the state of writes.
pub(super) const FRESH: Duration = Duration::from_secs(5);

/// The probe: a write that changes one row of the server's own settings.
const PROBE: &str = "INSERT INTO settings (key, value, updated_at) \
    VALUES ('writer_probe', '', 0) \
    ON CONFLICT (key) DO UPDATE SET updated_at = settings.updated_at + 1";

/// The writer's last word on writing: when, and the outage if it failed.
#[derive(Debug, Default)]
pub(super) struct WriterHealth {
    last: Mutex<Option<(Instant, Option<Outage>)>>,
    probing: AtomicBool,
}

#[allow(clippy::disallowed_methods)] // ages for /health, not business time
fn now() -> Instant {
    Instant::now()
}

impl WriterHealth {
    /// Records a write's outcome: `Some` outage when it failed for one.
    pub(super) fn record(&self, failure: Option<Outage>) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some((now(), failure));
        }
    }

    /// Forgets the last outcome: the next `/health` probes anew.
    fn forget(&self) {
        if let Ok(mut last) = self.last.lock() {
            *last = None;
        }
    }

    /// The last outcome and its age.
    fn last(&self) -> Option<(Duration, Option<Outage>)> {
        let last = self.last.lock().ok()?;
        let (at, failure) = last.as_ref()?;
        Some((at.elapsed(), failure.clone()))
    }
}

/// Writes as `/health` reports them.
#[derive(Debug, Clone)]
pub struct Writes {
    /// Why the last write failed, if it did.
    pub failure: Option<Outage>,
    /// How long ago a write was last tried; `None` if never.
    pub checked_ago: Option<Duration>,
}

/// Clears the probing flag however the probe ends (its caller may be
/// dropped at its deadline).
struct Probing<'a>(&'a AtomicBool);

impl Drop for Probing<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Writing {
    /// Runs the probe on the writer's connection, within the deadline.
    pub(super) async fn probe(&mut self) -> Result<()> {
        let deadline = self.deadline;
        let outcome = match &self.db {
            Db::Sqlite(pool) => tokio::time::timeout(deadline, sqlx::query(PROBE).execute(pool))
                .await
                .map(|r| r.map(|_| ())),
            Db::Postgres(pool) => {
                let held = &mut self.held;
                let run = async {
                    if held.is_none() {
                        *held = Some(pool.acquire().await?);
                    }
                    if let Some(conn) = held.as_mut() {
                        sqlx::query(PROBE).execute(&mut **conn).await?;
                    }
                    Ok::<(), sqlx::Error>(())
                };
                tokio::time::timeout(deadline, run).await
            }
        };
        let outcome = match outcome {
            Ok(done) => done.map_err(Error::from),
            Err(_) => Err(late(deadline)),
        };
        if outcome.is_err()
            && let Some(mut conn) = self.held.take()
        {
            // Perhaps broken: the next round opens a new one.
            conn.close_on_drop();
        }
        outcome
    }
}

impl Store {
    /// Whether writes work: the outcome of the last round or probe while
    /// it is fresh, else that of a probe made now, within `deadline`.
    pub async fn writes(&self, deadline: Duration) -> Writes {
        let health = &self.grouped.health;
        let fresh = health.last().filter(|(age, _)| *age < FRESH);
        if fresh.is_none() && !health.probing.swap(true, Ordering::AcqRel) {
            let _probing = Probing(&health.probing);
            let probe = self.grouped.submit(|reply| Job::Probe { reply });
            if tokio::time::timeout(deadline, probe).await.is_err() {
                health.record(Some(Outage::new(
                    "the database did not complete a write in time",
                    format!("no commit within {deadline:?}"),
                )));
            }
        }
        let (checked_ago, failure) = match health.last() {
            Some((age, failure)) => (Some(age), failure),
            None => (None, None),
        };
        Writes {
            failure,
            checked_ago,
        }
    }

    /// Writes once through the writer: an error when the database refuses
    /// writes (a read-only file or standby), for start-up to stop on.
    /// It leaves no outcome behind: a check at start-up says nothing about
    /// the writes of the next seconds, so the first `/health` probes itself.
    pub async fn check_writable(&self) -> Result<()> {
        let outcome = self.grouped.submit(|reply| Job::Probe { reply }).await;
        self.grouped.health.forget();
        outcome
    }
}
