//! Telling an outage from a refusal.
//!
//! A database that cannot serve requests now — unreachable, restarting,
//! frozen past a deadline, out of disk, read-only — is not a bug of the
//! request that met it: the caller should hear "try again shortly" (503
//! `temporarily_unavailable` with `Retry-After`), not a 500. [`cause`]
//! sorts sqlx's errors into that [`super::Error::Unavailable`], with a
//! short cause an operator can act on (also shown by `/health`).

use sqlx::error::DatabaseError;

/// Why the database cannot serve now, and the error that said so.
#[derive(Debug, Clone)]
pub struct Outage {
    /// A short cause, fit to show (`/health`): no internal detail.
    pub cause: &'static str,
    /// The error, for the log.
    pub detail: String,
}

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.cause, self.detail)
    }
}

impl Outage {
    pub fn new(cause: &'static str, detail: impl Into<String>) -> Self {
        Self {
            cause,
            detail: detail.into(),
        }
    }
}

/// The cause when `e` means the database cannot serve requests at the
/// moment; `None` when it refuses this one (a constraint, a bad value).
pub(super) fn cause(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut => Some("no database connection within DATABASE_ACQUIRE_TIMEOUT"),
        sqlx::Error::PoolClosed => Some("the database pool is closed"),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            Some("the database connection failed")
        }
        sqlx::Error::Database(db) => database_cause(db.as_ref()),
        _ => None,
    }
}

fn database_cause(db: &dyn DatabaseError) -> Option<&'static str> {
    if let Some(e) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = e.code();
        return match code {
            "53100" => Some("the database is out of disk space"),
            "25006" => Some("the database is read-only"),
            "57014" => Some("a statement ran longer than DATABASE_STATEMENT_TIMEOUT"),
            // lock_not_available, serialization and deadlock failures: a
            // retry succeeds.
            "55P03" | "40001" | "40P01" => Some("the database is busy"),
            // connection_exception; operator intervention (shutdown,
            // restart, pg_terminate_backend).
            _ if code.starts_with("08") || code.starts_with("57") => {
                Some("the database connection failed")
            }
            // insufficient_resources: too many connections, memory.
            _ if code.starts_with("53") => Some("the database is out of resources"),
            _ => None,
        };
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // The primary result code, without its extended bits.
        let primary = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        return match primary {
            // SQLITE_BUSY, SQLITE_LOCKED: another process held the lock
            // past the busy timeout.
            Some(5 | 6) => Some("the database is locked by another process"),
            Some(8) => Some("the database is read-only"),
            Some(10) => Some("the disk failed a read or write"),
            Some(13) => Some("the database or its disk is full"),
            Some(14) => Some("the database file cannot be opened"),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_network_failures_are_outages_and_others_are_not() {
        assert!(cause(&sqlx::Error::PoolTimedOut).is_some());
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let io = sqlx::Error::Io(reset);
        assert_eq!(cause(&io), Some("the database connection failed"));
        assert_eq!(cause(&sqlx::Error::RowNotFound), None);
        assert_eq!(cause(&sqlx::Error::Protocol("odd".into())), None);
    }

    #[tokio::test]
    async fn sqlite_read_only_and_constraint_errors_are_told_apart() {
        use sqlx::Connection;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut rw = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .execute(&mut rw)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut rw)
            .await
            .unwrap();
        let clash = sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut rw)
            .await
            .unwrap_err();
        assert_eq!(cause(&clash), None, "{clash}");
        let url = format!("sqlite://{}?mode=ro", path.display());
        let mut ro = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let refused = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut ro)
            .await
            .unwrap_err();
        assert_eq!(
            cause(&refused),
            Some("the database is read-only"),
            "{refused}"
        );
    }
}
