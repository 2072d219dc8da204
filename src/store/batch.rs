//! Group commit: many concurrent inserts written by one statement.
//!
//! SQLite has one writer at a time, and each commit costs far more than a
//! row, so one write per request caps a server at a few thousand rows a
//! second. A [`Batcher`] runs one task per kind of row that takes every
//! insert queued while its previous statement ran and writes them all with
//! one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING id`. Each
//! caller's answer waits for the commit of the statement holding its row,
//! so nothing is acknowledged that a crash could lose; under light load a
//! batch is one row and costs what a plain insert did.

use std::collections::HashSet;
use std::fmt;

use sqlx::postgres::{PgArguments, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArguments};
use tokio::sync::{mpsc, oneshot};

use super::{Db, Error, Result};

/// The most rows one statement inserts (far below either engine's limit
/// on parameters).
const MAX_BATCH: usize = 256;
/// Requests waiting beyond this make callers wait for room (back-pressure).
const QUEUE: usize = 8_192;

pub(super) type SqliteQueryAs<'q> =
    sqlx::query::QueryAs<'q, Sqlite, (String,), SqliteArguments<'q>>;
pub(super) type PgQueryAs<'q> = sqlx::query::QueryAs<'q, Postgres, (String,), PgArguments>;

/// One value of a row in the `VALUES` list.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value {
    /// A bound parameter.
    Param,
    /// SQL text written as is (a constant).
    Literal(&'static str),
}

/// A row type that can be written in batches.
pub(super) trait Batched: Send + Sync + 'static {
    /// For logs: what a row is.
    const WHAT: &'static str;
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    /// One entry per column, in the order of [`Self::COLUMNS`].
    const ROW: &'static [Value];
    /// The primary key, returned by the insert when the row went in.
    fn id(&self) -> &str;
    fn bind_sqlite<'q>(&'q self, query: SqliteQueryAs<'q>) -> SqliteQueryAs<'q>;
    fn bind_postgres<'q>(&'q self, query: PgQueryAs<'q>) -> PgQueryAs<'q>;
}

/// Implements the two `bind_*` methods of [`Batched`]: binds the listed
/// fields of `$row` in order, once per backend.
macro_rules! bind_row {
    ($row:ident => $($value:expr),+ $(,)?) => {
        fn bind_sqlite<'q>(
            &'q self,
            query: $crate::store::batch::SqliteQueryAs<'q>,
        ) -> $crate::store::batch::SqliteQueryAs<'q> {
            let $row = self;
            query $(.bind(&$value))+
        }

        fn bind_postgres<'q>(
            &'q self,
            query: $crate::store::batch::PgQueryAs<'q>,
        ) -> $crate::store::batch::PgQueryAs<'q> {
            let $row = self;
            query $(.bind(&$value))+
        }
    };
}
pub(super) use bind_row;

type Reply = oneshot::Sender<Result<bool>>;

/// The queue of one kind of row and the task writing it.
pub(super) struct Batcher<T: Batched> {
    queue: mpsc::Sender<(T, Reply)>,
}

impl<T: Batched> Clone for Batcher<T> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<T: Batched> fmt::Debug for Batcher<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batcher").field("rows", &T::WHAT).finish()
    }
}

impl<T: Batched> Batcher<T> {
    /// Starts the writer task on `runtime`; it ends when the last sender
    /// is dropped.
    pub(super) fn spawn(db: Db, runtime: &tokio::runtime::Handle) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE);
        runtime.spawn(write_batches::<T>(db, requests));
        Self { queue }
    }

    /// `true` when inserted, `false` when a unique column clashed.
    pub(super) async fn insert(&self, row: T) -> Result<bool> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Batch(format!("the {} writer has stopped", T::WHAT));
        self.queue.send((row, reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn write_batches<T: Batched>(db: Db, mut requests: mpsc::Receiver<(T, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let rows: Vec<&T> = batch.iter().map(|(row, _)| row).collect();
        #[allow(clippy::disallowed_methods)] // a duration for the debug log
        let started = std::time::Instant::now();
        let outcome = insert_many(&db, &rows).await;
        tracing::debug!(
            what = T::WHAT,
            rows = rows.len(),
            micros = started.elapsed().as_micros(),
            "batch written"
        );
        match outcome {
            Ok(inserted) => {
                for (row, reply) in batch.drain(..) {
                    let _ = reply.send(Ok(inserted.contains(row.id())));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, what = T::WHAT, rows = batch.len(), "batch insert failed");
                let message = e.to_string();
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(Error::Batch(message.clone())));
                }
            }
        }
    }
}

/// `INSERT INTO table (columns) VALUES (...), (...) ON CONFLICT DO NOTHING
/// RETURNING id` for `rows` rows, with `$n` parameters.
fn statement<T: Batched>(rows: usize) -> String {
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", T::TABLE, T::COLUMNS);
    let mut n = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for (i, value) in T::ROW.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            match value {
                Value::Param => {
                    n += 1;
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                Value::Literal(text) => sql.push_str(text),
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING id");
    sql
}

/// One statement; returns the ids that went in (a clash skips only its row).
async fn insert_many<T: Batched>(db: &Db, rows: &[&T]) -> Result<HashSet<String>> {
    let sql = statement::<T>(rows.len());
    let ids: Vec<(String,)> = match db {
        Db::Sqlite(pool) => {
            let mut query = sqlx::query_as(&sql);
            for row in rows {
                query = row.bind_sqlite(query);
            }
            query.fetch_all(pool).await?
        }
        Db::Postgres(pool) => {
            let mut query = sqlx::query_as(&sql);
            for row in rows {
                query = row.bind_postgres(query);
            }
            query.fetch_all(pool).await?
        }
    };
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair {
        id: String,
        n: i64,
    }

    impl Batched for Pair {
        const WHAT: &'static str = "pair";
        const TABLE: &'static str = "pairs";
        const COLUMNS: &'static str = "id, n, kind";
        const ROW: &'static [Value] = &[Value::Param, Value::Param, Value::Literal("'x'")];
        fn id(&self) -> &str {
            &self.id
        }
        bind_row!(p => p.id, p.n);
    }

    #[test]
    fn statements_number_parameters_across_rows() {
        assert_eq!(
            statement::<Pair>(2),
            "INSERT INTO pairs (id, n, kind) VALUES ($1, $2, 'x'), ($3, $4, 'x') \
             ON CONFLICT DO NOTHING RETURNING id"
        );
    }

    #[tokio::test]
    async fn concurrent_inserts_share_statements_and_clashes_are_reported_per_row() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        sqlx::query("CREATE TABLE pairs (id TEXT PRIMARY KEY, n INTEGER UNIQUE, kind TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        let batcher =
            Batcher::<Pair>::spawn(Db::Sqlite(pool.clone()), &tokio::runtime::Handle::current());
        // Rows 50..100 clash on `n` with rows 0..50.
        let inserts: Vec<_> = (0..100)
            .map(|i| {
                let b = batcher.clone();
                tokio::spawn(async move {
                    b.insert(Pair {
                        id: format!("p{i}"),
                        n: i % 50,
                    })
                    .await
                })
            })
            .collect();
        let mut inserted = 0;
        for insert in inserts {
            if insert.await.unwrap().unwrap() {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 50, "one of each clashing pair");
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pairs")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 50);
    }
}
