//! The storage layer's one error type, in storage terms: conflicts,
//! corrupt rows, outages (worth retrying, see `availability.rs`) and
//! failures of shared writes. `http/error.rs` presents them.

use super::availability::{self, Outage};

/// Errors of the storage layer, in storage terms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique constraint refused the write (duplicate username, user code...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A row exists but does not decode into any valid domain state.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database cannot serve this now: unreachable, restarting, too
    /// slow, out of disk, read-only (see availability.rs). Worth trying
    /// again shortly; presented as 503 `temporarily_unavailable`.
    #[error("database unavailable: {0}")]
    Unavailable(Outage),
    /// A statement shared by many requests failed (see the batch writers).
    #[error("database error: {0}")]
    Batch(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(db.message().to_owned())
            }
            _ => match availability::cause(&e) {
                Some(cause) => Error::Unavailable(Outage::new(cause, e.to_string())),
                None => Error::Database(e),
            },
        }
    }
}

impl Error {
    /// Whether this is an outage rather than a refusal.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }

    /// The outage, when this is one.
    pub fn outage(&self) -> Option<&Outage> {
        match self {
            Error::Unavailable(outage) => Some(outage),
            _ => None,
        }
    }

    /// The same failure for each caller of a shared write (errors are not
    /// `Clone`), an outage still an outage.
    pub(crate) fn shared(&self) -> Error {
        match self {
            Error::Unavailable(outage) => Error::Unavailable(outage.clone()),
            other => Error::Batch(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
