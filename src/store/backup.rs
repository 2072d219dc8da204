//! `authgate backup`: a consistent copy of a SQLite database, taken while
//! servers keep using it.
//!
//! `VACUUM INTO` reads the database inside one read transaction, so the
//! copy is a snapshot of one moment, however many writes happen meanwhile
//! (in WAL mode readers never block writers, and writers never block it).
//! PostgreSQL has its own tools (`pg_dump`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{Error, Result, Store};

/// The file a `sqlite:` URL names, or `None` for other URLs and in-memory
/// databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    (path != Path::new(":memory:") && !path.as_os_str().is_empty()).then(|| path.to_owned())
}

impl Store {
    /// Writes a snapshot of the SQLite database into `output`, which must
    /// be absent or an empty file (the caller creates it with the
    /// permissions it wants).
    ///
    /// Errors: on PostgreSQL; when `output` is not UTF-8 or holds data.
    pub async fn backup_into(&self, output: &Path) -> Result<()> {
        let Some(pool) = self.sqlite_pool() else {
            return Err(Error::Database(sqlx::Error::Configuration(
                "backups of PostgreSQL are made with pg_dump, not `authgate backup`".into(),
            )));
        };
        let target = output.to_str().ok_or_else(|| {
            Error::Database(sqlx::Error::Configuration(
                "the backup path must be valid UTF-8".into(),
            ))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// Opens the SQLite file at `path` read-only and runs `PRAGMA
/// integrity_check`; returns its verdict (`"ok"` when sound) and the
/// number of applied migrations.
pub async fn check_sqlite_file(path: &Path) -> Result<(String, i64)> {
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    let (migrations,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok((verdict, migrations))
}
