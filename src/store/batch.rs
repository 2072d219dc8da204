//! Batched statements: many rows written, or many codes moved, by one
//! statement whose text never changes.
//!
//! SQLite has one writer at a time, and each statement and commit costs
//! far more than a row, so one write per request caps a server at a few
//! thousand rows a second. The writer (writer/) takes every job queued
//! while its previous transaction ran and writes each kind with one
//! statement. The rows travel as one bound JSON array (`[[v1, v2, …], …]`)
//! that the statement unpacks (`json_each` on SQLite, `jsonb_array_elements`
//! on PostgreSQL): a `VALUES` list would give every batch size a statement
//! of its own, and parsing each anew costs about a third of the writer's
//! time.

use std::collections::HashSet;

use serde::Serialize;

use super::{Error, Result};
use crate::model::Transition;

/// A column of a batched row, and how its JSON value is read back.
#[derive(Debug, Clone, Copy)]
pub(super) enum Column {
    Text(&'static str),
    BigInt(&'static str),
    Bool(&'static str),
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Text(name) | Column::BigInt(name) | Column::Bool(name) => name,
        }
    }

    /// The SQL reading this column from element `i` of row `v`.
    fn read(self, i: usize) -> String {
        match self {
            Column::Text(_) => format!("v.value ->> {i}"),
            Column::BigInt(_) => format!("CAST(v.value ->> {i} AS BIGINT)"),
            Column::Bool(_) => format!("CAST(v.value ->> {i} AS BOOLEAN)"),
        }
    }
}

/// How a backend unpacks the bound JSON array into rows `v.value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The `FROM` item of the rows bound as the statement's only parameter.
    pub(super) fn rows(self) -> &'static str {
        match self {
            Backend::Sqlite => "json_each(?) AS v",
            Backend::Postgres => "jsonb_array_elements(CAST($1 AS JSONB)) AS v(value)",
        }
    }
}

/// A row type that can be written in batches.
pub(super) trait Batched: Send + Sync + 'static {
    const TABLE: &'static str;
    /// In the order [`Batched::write`] writes the values.
    const COLUMNS: &'static [Column];
    /// The primary key column.
    const KEY: &'static str = "id";
    /// This row's primary key.
    fn key(&self) -> &str;
    /// Appends this row's values, in the order of [`Batched::COLUMNS`].
    fn write(&self, row: &mut JsonRow<'_>);
}

/// Implements [`Batched::write`]: the listed fields of `$row`, in order.
macro_rules! json_row {
    ($row:ident => $($value:expr),+ $(,)?) => {
        fn write(&self, out: &mut $crate::store::batch::JsonRow<'_>) {
            let $row = self;
            $(out.value(&$value);)+
        }
    };
}
pub(super) use json_row;

/// A JSON array of rows being built: the one parameter of a batched
/// statement.
#[derive(Debug, Default)]
pub(super) struct JsonRows {
    buf: Vec<u8>,
    rows: usize,
    error: Option<String>,
}

/// One row of a [`JsonRows`], being written.
pub(super) struct JsonRow<'a> {
    rows: &'a mut JsonRows,
    first: bool,
}

impl JsonRow<'_> {
    pub(super) fn value<T: Serialize + ?Sized>(&mut self, value: &T) {
        if !std::mem::take(&mut self.first) {
            self.rows.buf.push(b',');
        }
        if let Err(e) = serde_json::to_writer(&mut self.rows.buf, value) {
            self.rows.error.get_or_insert(e.to_string());
        }
    }
}

impl JsonRows {
    /// Adds a row written by `write`.
    pub(super) fn push(&mut self, write: impl FnOnce(&mut JsonRow<'_>)) {
        self.buf.push(if self.rows == 0 { b'[' } else { b',' });
        self.buf.push(b'[');
        self.rows += 1;
        write(&mut JsonRow {
            rows: self,
            first: true,
        });
        self.buf.push(b']');
    }

    /// Adds `row`'s values.
    pub(super) fn push_row<T: Batched>(&mut self, row: &T) {
        self.push(|out| row.write(out));
    }

    pub(super) fn len(&self) -> usize {
        self.rows
    }

    /// The array's text.
    pub(super) fn finish(mut self) -> Result<String> {
        if let Some(e) = self.error {
            return Err(Error::Batch(format!("cannot encode a batch: {e}")));
        }
        if self.rows == 0 {
            self.buf.push(b'[');
        }
        self.buf.push(b']');
        String::from_utf8(self.buf).map_err(|e| Error::Batch(e.to_string()))
    }

    /// The rows of `rows`.
    pub(super) fn of<T: Batched>(rows: &[&T]) -> Result<String> {
        let mut json = JsonRows::default();
        for row in rows {
            json.push_row(*row);
        }
        json.finish()
    }

    /// One-element rows of `keys`, for `IN (...)` lookups.
    pub(super) fn keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Result<String> {
        let mut json = JsonRows::default();
        for key in keys {
            json.push(|row| row.value(key));
        }
        json.finish()
    }
}

/// `column, …` of `T`.
fn names<T: Batched>() -> String {
    T::COLUMNS
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The reads of `T`'s columns from each row, starting at element `from`.
fn reads<T: Batched>(from: usize) -> String {
    T::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| c.read(from + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts the bound rows of `T`; a row that clashes with a unique column
/// is skipped. No `RETURNING`: SQLite's driver hands each returned row to
/// the caller as a message of its own, one wake-up per row.
pub(super) fn insert<T: Batched>(backend: Backend) -> String {
    // `WHERE true` tells SQLite's parser the `ON CONFLICT` is an upsert's.
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM {} WHERE true ON CONFLICT DO NOTHING",
        T::TABLE,
        names::<T>(),
        reads::<T>(0),
        backend.rows()
    )
}

/// The transition whose rows are guarded: a row is written only while its
/// device code is in the state that transition leaves, and live. The state
/// comes from the model ([`Transition::leaves`]), never retyped here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Guard(pub(super) Transition);

impl Guard {
    /// The rows of decisions (approvals, denials and cancels all leave the
    /// same state, so one round guards them with one condition).
    pub(super) const DECIDE: Guard = Guard(Transition::Approve);
    /// The rows of redemptions.
    pub(super) const REDEEM: Guard = Guard(Transition::Redeem);

    /// The condition on device code `d` for row `v` (`[code id, time,
    /// …]`); the writer's `UPDATE`s out of each state use the same.
    pub(super) fn condition(self) -> String {
        let status = self.0.leaves().as_str();
        // Both engines would rather walk the index on `status` (or on
        // `expires_at`) than look up the few rows bound — PostgreSQL read
        // every pending code that way, 10 ms a statement at 50,000 codes.
        // Written as expressions, those columns cannot pick the index, so
        // each row finds its code by primary key.
        format!(
            "d.id = v.value ->> 0 AND d.status || '' = '{status}' \
             AND d.expires_at + 0 > CAST(v.value ->> 1 AS BIGINT)"
        )
    }
}

/// Inserts the bound rows `[code id, time, …T's values]` whose device code
/// meets `guard`. Run just before the `UPDATE` that moves those codes on,
/// in the same transaction, it writes exactly the rows of the codes that
/// move.
pub(super) fn guarded_insert<T: Batched>(guard: Guard, backend: Backend) -> String {
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM {} JOIN device_codes d ON {}",
        T::TABLE,
        names::<T>(),
        reads::<T>(2),
        backend.rows(),
        guard.condition()
    )
}

/// The keys of `T` present among the bound one-element rows: after a batch
/// lost rows, the rows that went in (keys are fresh random ids, so a
/// present key is this batch's row).
pub(super) fn present<T: Batched>(backend: Backend) -> String {
    format!(
        "SELECT {key} FROM {} WHERE {key} IN (SELECT v.value ->> 0 FROM {})",
        T::TABLE,
        backend.rows(),
        key = T::KEY
    )
}

/// Which rows of a batch went in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Inserted {
    /// Every row (the usual case: only a user-code clash skips one).
    All,
    /// Only the rows with these keys.
    Only(HashSet<String>),
}

impl Inserted {
    pub(super) fn contains(&self, key: &str) -> bool {
        match self {
            Inserted::All => true,
            Inserted::Only(keys) => keys.contains(key),
        }
    }
}

/// A connection that inserts rows in batches.
pub(super) trait InsertRows {
    /// Inserts `rows` with one statement (usually inside the writer's
    /// transaction); a clash skips only its own row.
    fn insert_rows<T: Batched>(
        &mut self,
        rows: &[&T],
    ) -> impl Future<Output = Result<Inserted>> + Send;

    /// Which of `rows` are in the table (after an insert lost some).
    fn present_rows<T: Batched>(
        &mut self,
        rows: &[&T],
    ) -> impl Future<Output = Result<Inserted>> + Send;
}

/// Which of `rows` went in, given how many rows their insert changed: all
/// of them when the count says so (one lookup asks otherwise).
pub(super) async fn inserted<C: InsertRows, T: Batched>(
    conn: &mut C,
    rows: &[&T],
    changed: u64,
) -> Result<Inserted> {
    if usize::try_from(changed).is_ok_and(|n| n == rows.len()) {
        Ok(Inserted::All)
    } else {
        conn.present_rows(rows).await
    }
}

/// [`InsertRows`]'s bodies, compiled once per backend.
macro_rules! insert_rows_for {
    ($conn:ty, $backend:expr) => {
        impl InsertRows for $conn {
            async fn insert_rows<T: Batched>(&mut self, rows: &[&T]) -> Result<Inserted> {
                if rows.is_empty() {
                    return Ok(Inserted::All);
                }
                let done = sqlx::query(&insert::<T>($backend))
                    .bind(JsonRows::of(rows)?)
                    .execute(&mut *self)
                    .await?
                    .rows_affected();
                inserted(self, rows, done).await
            }

            async fn present_rows<T: Batched>(&mut self, rows: &[&T]) -> Result<Inserted> {
                let keys: Vec<(String,)> = sqlx::query_as(&present::<T>($backend))
                    .bind(JsonRows::keys(rows.iter().map(|r| r.key()))?)
                    .fetch_all(&mut *self)
                    .await?;
                Ok(Inserted::Only(keys.into_iter().map(|(key,)| key).collect()))
            }
        }
    };
}

insert_rows_for!(sqlx::SqliteConnection, Backend::Sqlite);
insert_rows_for!(sqlx::PgConnection, Backend::Postgres);

#[cfg(test)]
mod tests {
    use super::*;

    struct Pair {
        id: String,
        n: i64,
        note: Option<String>,
        flag: bool,
    }

    impl Batched for Pair {
        const TABLE: &'static str = "pairs";
        const COLUMNS: &'static [Column] = &[
            Column::Text("id"),
            Column::BigInt("n"),
            Column::Text("note"),
            Column::Bool("flag"),
        ];
        fn key(&self) -> &str {
            &self.id
        }
        json_row!(p => p.id, p.n, p.note, p.flag);
    }

    fn pair(i: i64) -> Pair {
        Pair {
            id: format!("p{i}"),
            n: i % 50,
            note: (i % 2 == 0).then(|| format!("\"quoted\" {i}")),
            flag: i % 3 == 0,
        }
    }

    #[test]
    fn statements_read_typed_columns_from_the_bound_rows() {
        assert_eq!(
            insert::<Pair>(Backend::Postgres),
            "INSERT INTO pairs (id, n, note, flag) SELECT v.value ->> 0, \
             CAST(v.value ->> 1 AS BIGINT), v.value ->> 2, CAST(v.value ->> 3 AS BOOLEAN) \
             FROM jsonb_array_elements(CAST($1 AS JSONB)) AS v(value) \
             WHERE true ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            guarded_insert::<Pair>(Guard::REDEEM, Backend::Sqlite),
            "INSERT INTO pairs (id, n, note, flag) SELECT v.value ->> 2, \
             CAST(v.value ->> 3 AS BIGINT), v.value ->> 4, CAST(v.value ->> 5 AS BOOLEAN) \
             FROM json_each(?) AS v JOIN device_codes d ON d.id = v.value ->> 0 \
             AND d.status || '' = 'approved' AND d.expires_at + 0 > CAST(v.value ->> 1 AS BIGINT)"
        );
        let json = JsonRows::of(&[&pair(0), &pair(1)]).unwrap();
        assert_eq!(
            json,
            r#"[["p0",0,"\"quoted\" 0",true],["p1",1,null,false]]"#
        );
        assert_eq!(JsonRows::default().finish().unwrap(), "[]");
    }

    #[tokio::test]
    async fn clashes_skip_only_their_own_rows() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        sqlx::query(
            "CREATE TABLE pairs (id TEXT PRIMARY KEY, n INTEGER UNIQUE, note TEXT, flag INTEGER)",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        // Rows 50..100 clash on `n` with rows 0..50, within one statement.
        let rows: Vec<Pair> = (0..100).map(pair).collect();
        let refs: Vec<&Pair> = rows.iter().collect();
        let inserted = conn.insert_rows(&refs).await.unwrap();
        assert!((0..50).all(|i| inserted.contains(&format!("p{i}"))));
        assert!((50..100).all(|i| !inserted.contains(&format!("p{i}"))));
        let stored: Vec<(String, i64, Option<String>, bool)> =
            sqlx::query_as("SELECT id, n, note, flag FROM pairs ORDER BY n")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(stored.len(), 50);
        assert_eq!(
            stored[3],
            ("p3".to_owned(), 3, None, true),
            "types and NULLs survive the trip through JSON"
        );
        assert_eq!(stored[4].2.as_deref(), Some("\"quoted\" 4"));
        assert_eq!(conn.insert_rows::<Pair>(&[]).await.unwrap(), Inserted::All);
        let fresh = Pair {
            id: "q".into(),
            n: 1_000,
            note: None,
            flag: false,
        };
        assert_eq!(conn.insert_rows(&[&fresh]).await.unwrap(), Inserted::All);
    }
}
