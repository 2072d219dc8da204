//! A transaction on a connection of its own that holds what the grouped
//! writer needs (SQLite's write lock, or PostgreSQL's lock on
//! `device_codes`), so the server's next write waits until it is released:
//! a database that is frozen for writes while reads go on.

use sqlx::{Connection, Executor, PgConnection, SqliteConnection};

pub enum WriteLock {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl WriteLock {
    /// Takes the lock on the database at `url` (the test's `DATABASE_URL`).
    pub async fn take(url: &str) -> WriteLock {
        if url.starts_with("sqlite:") {
            let mut conn = SqliteConnection::connect(url).await.unwrap();
            conn.execute("BEGIN IMMEDIATE").await.unwrap();
            WriteLock::Sqlite(conn)
        } else {
            let mut conn = PgConnection::connect(url).await.unwrap();
            conn.execute("BEGIN").await.unwrap();
            conn.execute("LOCK TABLE device_codes IN EXCLUSIVE MODE")
                .await
                .unwrap();
            WriteLock::Postgres(conn)
        }
    }

    /// Ends the transaction without writing anything.
    pub async fn release(self) {
        match self {
            WriteLock::Sqlite(mut conn) => conn.execute("ROLLBACK").await.map(drop),
            WriteLock::Postgres(mut conn) => conn.execute("ROLLBACK").await.map(drop),
        }
        .unwrap();
    }
}
