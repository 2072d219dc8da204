//! Telling an outage from a refusal.
//!
//! A database that cannot serve requests now — unreachable, restarting,
//! frozen past a deadline, out of disk, read-only — is not a bug of the
//! request that met it: the caller should hear "try again shortly" (503
//! `temporarily_unavailable` with `Retry-After`), not a 500. These
//! functions sort sqlx's errors into that [`super::Error::Unavailable`].

use sqlx::error::DatabaseError;

/// Whether `e` means the database cannot serve requests at the moment
/// (as opposed to refusing this one: a constraint, a malformed value).
pub(super) fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => database_unavailable(db.as_ref()),
        _ => false,
    }
}

fn postgres_code(db: &dyn DatabaseError) -> Option<&str> {
    db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .map(|e| e.code())
}

fn database_unavailable(db: &dyn DatabaseError) -> bool {
    if let Some(code) = postgres_code(db) {
        // connection_exception, insufficient_resources (disk full, too many
        // connections), operator intervention (shutdown, statement timeout:
        // 57014), read_only_sql_transaction (a standby), lock_not_available,
        // serialization and deadlock failures (a retry succeeds).
        return code.starts_with("08")
            || code.starts_with("53")
            || code.starts_with("57")
            || matches!(code, "25006" | "55P03" | "40001" | "40P01");
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // The primary result code, without its extended bits.
        let primary = db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff);
        // SQLITE_BUSY, SQLITE_LOCKED (another process holds the lock past
        // the busy timeout), SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL,
        // SQLITE_CANTOPEN.
        return matches!(primary, Some(5 | 6 | 8 | 10 | 13 | 14));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_network_failures_are_outages_and_others_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let io = sqlx::Error::Io(reset);
        assert!(is_unavailable(&io));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::Protocol("odd".into())));
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
        assert!(!is_unavailable(&clash), "{clash}");
        let url = format!("sqlite://{}?mode=ro", path.display());
        let mut ro = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let refused = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut ro)
            .await
            .unwrap_err();
        assert!(is_unavailable(&refused), "{refused}");
    }
}
