//! The hot state changes — decisions and redemptions — applied by one task
//! on a thread of its own, many to a transaction.
//!
//! A multi-statement transaction holds its connection (and on SQLite the
//! single write lock) across every round trip to the database. Run from
//! request tasks, each round trip also waits for a busy async worker to be
//! free, and the lock or connection is held all that while. Here a
//! dedicated thread runs the writer on a connection of its own (opened on
//! that thread, so its I/O is driven there), the lock is held only for the
//! work itself, and the jobs queued meanwhile share one commit. Callers
//! are answered after that commit.

use tokio::sync::{mpsc, oneshot};

use super::grants::{NewGrant, NewRefreshToken};
use super::{Db, Error, Result};
use crate::store::NewAccessToken;

/// The most jobs one transaction takes.
const MAX_JOBS: usize = 128;

/// A change the writer applies.
pub(super) enum Job {
    /// Moves a live pending code to `status`; answers its device-code hash
    /// when it did.
    Decide {
        id: String,
        status: &'static str,
        user_id: String,
        now: i64,
        reply: oneshot::Sender<Result<Option<String>>>,
    },
    /// Redeems an approved code for its grant and tokens; answers whether
    /// it won.
    Redeem {
        id: String,
        now: i64,
        grant: Box<NewGrant>,
        access: Box<NewAccessToken>,
        refresh: Option<Box<NewRefreshToken>>,
        reply: oneshot::Sender<Result<bool>>,
    },
}

enum Outcome {
    Decided(Option<String>),
    Redeemed(bool),
}

impl Job {
    fn answer(self, outcome: Result<Outcome>) {
        match (self, outcome) {
            (Job::Decide { reply, .. }, Ok(Outcome::Decided(hash))) => {
                let _ = reply.send(Ok(hash));
            }
            (Job::Redeem { reply, .. }, Ok(Outcome::Redeemed(won))) => {
                let _ = reply.send(Ok(won));
            }
            (Job::Decide { reply, .. }, Err(e)) => {
                let _ = reply.send(Err(e));
            }
            (Job::Redeem { reply, .. }, Err(e)) => {
                let _ = reply.send(Err(e));
            }
            (job, Ok(_)) => job.answer(Err(Error::Batch("mismatched outcome".into()))),
        }
    }
}

/// Starts the writers' thread: a single-threaded runtime that lives as
/// long as tasks spawned on it do (the writers end when every [`Writer`]
/// and batcher handle is dropped).
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
        let (jobs, queue) = mpsc::channel(8_192);
        runtime.spawn(run(db, queue));
        Self { jobs }
    }

    pub(super) async fn submit<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T>>) -> Job,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Batch("the database writer has stopped".into());
        self.jobs.send(job(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(pool: Db, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_JOBS);
    while queue.recv_many(&mut jobs, MAX_JOBS).await > 0 {
        match apply_all(&pool, &jobs).await {
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
                    let outcome = apply_all(&pool, std::slice::from_ref(&job))
                        .await
                        .map(|mut o| o.remove(0));
                    job.answer(outcome);
                }
            }
            Err(e) => {
                for job in jobs.drain(..) {
                    job.answer(Err(Error::Batch(e.to_string())));
                }
            }
        }
    }
}

/// Applies `jobs` in one transaction, in order.
async fn apply_all(db: &Db, jobs: &[Job]) -> Result<Vec<Outcome>> {
    match db {
        Db::Sqlite(pool) => apply_all_on!(pool, jobs),
        Db::Postgres(pool) => apply_all_on!(pool, jobs),
    }
}

/// [`apply_all`]'s body, compiled once per backend.
macro_rules! apply_all_on {
    ($pool:expr, $jobs:expr) => {{
        let mut tx = $pool.begin().await?;
        let mut outcomes = Vec::with_capacity($jobs.len());
        for job in $jobs {
            outcomes.push(match job {
                Job::Decide {
                    id,
                    status,
                    user_id,
                    now,
                    ..
                } => {
                    let hash =
                        super::device_codes::decide_statement!(&mut *tx, status, user_id, *now, id);
                    Outcome::Decided(hash)
                }
                Job::Redeem {
                    id,
                    now,
                    grant,
                    access,
                    refresh,
                    ..
                } => {
                    let won = super::device_codes::redeem_statements!(
                        tx,
                        id,
                        *now,
                        grant.as_ref(),
                        access.as_ref(),
                        refresh.as_deref()
                    );
                    Outcome::Redeemed(won)
                }
            });
        }
        tx.commit().await?;
        Ok(outcomes)
    }};
}
use apply_all_on;

#[cfg(test)]
mod tests {
    use crate::domain::device_flow::{Decision, DeviceState};
    use crate::domain::user::Role;
    use crate::store::{NewClient, NewDeviceCode, NewUser, PoolSettings, Store};

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
                        .decide_device_code(&format!("d{i}"), Decision::Approve, user, 1)
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
                assert!(matches!(outcome, Ok(true)), "{outcome:?}");
                assert!(matches!(code.state, DeviceState::Approved { .. }));
            }
        }
    }
}
