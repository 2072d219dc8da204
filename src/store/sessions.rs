//! Browser sessions, kept in the same database through
//! tower-sessions-sqlx-store; one type over both backends.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use dashmap::DashMap;
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Db, Result, Store};

/// The session store for whichever database the [`Store`] uses.
///
/// Sessions expire after a period of inactivity, so tower-sessions saves
/// the session at the end of every request only to move its expiry. A
/// save that changes nothing but an expiry moved less than
/// [`EXPIRY_SLACK`] is skipped: a signed-in page view then costs one read
/// instead of a read and a write, and an idle session may end up to
/// [`EXPIRY_SLACK`] early.
#[derive(Debug, Clone)]
pub struct Sessions {
    backend: Backend,
    /// What the database holds for sessions this instance has seen.
    stored: Arc<DashMap<Id, Stored>>,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// How far an expiry may lag before a save writes it anyway.
pub const EXPIRY_SLACK: Duration = Duration::minutes(1);
/// The most sessions remembered; beyond it the memory starts over (costing
/// one write per session).
const MAX_REMEMBERED: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    data: u64,
    expiry: OffsetDateTime,
}

impl Stored {
    fn of(record: &Record) -> Self {
        // Order-independent: the data is a hash map.
        let data = record.data.iter().fold(0u64, |acc, (key, value)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            value.to_string().hash(&mut h);
            acc.wrapping_add(h.finish())
        });
        Self {
            data,
            expiry: record.expiry_date,
        }
    }
}

impl Store {
    /// The session store on this database (call [`Sessions::migrate`] once).
    pub fn sessions(&self) -> Sessions {
        let backend = match &self.db {
            Db::Sqlite(pool) => Backend::Sqlite(SqliteStore::new(pool.clone())),
            Db::Postgres(pool) => Backend::Postgres(PostgresStore::new(pool.clone())),
        };
        Sessions {
            backend,
            stored: Arc::default(),
        }
    }
}

impl Sessions {
    /// Creates the session table if missing.
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.migrate().await?,
            Backend::Postgres(s) => s.migrate().await?,
        }
        Ok(())
    }

    fn remember(&self, record: &Record) {
        if self.stored.len() >= MAX_REMEMBERED {
            self.stored.clear();
        }
        self.stored.insert(record.id, Stored::of(record));
    }

    /// Fails when the session table is missing (start-up with
    /// `DATABASE_MIGRATE=false`): loads an id that cannot be there.
    pub async fn check(&self) -> session_store::Result<()> {
        self.load(&Id(0)).await.map(|_| ())
    }
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.create(record).await?,
            Backend::Postgres(s) => s.create(record).await?,
        }
        self.remember(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let now = Stored::of(record);
        if let Some(held) = self.stored.get(&record.id).map(|s| *s)
            && held.data == now.data
            && now.expiry >= held.expiry
            && now.expiry - held.expiry < EXPIRY_SLACK
        {
            return Ok(());
        }
        match &self.backend {
            Backend::Sqlite(s) => s.save(record).await?,
            Backend::Postgres(s) => s.save(record).await?,
        }
        self.remember(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let record = match &self.backend {
            Backend::Sqlite(s) => s.load(id).await?,
            Backend::Postgres(s) => s.load(id).await?,
        };
        match &record {
            Some(r) => self.remember(r),
            None => {
                self.stored.remove(id);
            }
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.stored.remove(id);
        match &self.backend {
            Backend::Sqlite(s) => s.delete(id).await,
            Backend::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.delete_expired().await,
            Backend::Postgres(s) => s.delete_expired().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expiry: OffsetDateTime, value: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("k".to_owned(), serde_json::json!(value));
        data.insert("other".to_owned(), serde_json::json!(1));
        Record {
            id: Id(7),
            data,
            expiry_date: expiry,
        }
    }

    #[tokio::test]
    async fn only_data_changes_and_stale_expiries_are_written() {
        let store = Store::connect("sqlite::memory:", &super::super::PoolSettings::default())
            .await
            .unwrap();
        let sessions = store.sessions();
        sessions.migrate().await.unwrap();
        let t0 = OffsetDateTime::now_utc() + Duration::hours(1);
        let mut r = record(t0, "a");
        sessions.create(&mut r).await.unwrap();
        let at = |s: &Sessions| s.stored.get(&r.id).map(|s| *s);
        let first = at(&sessions);

        // Same data, expiry moved a little: nothing written.
        sessions
            .save(&record(t0 + Duration::seconds(30), "a"))
            .await
            .unwrap();
        assert_eq!(at(&sessions), first);
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(loaded.expiry_date.unix_timestamp(), t0.unix_timestamp());

        // Moved past the slack: written.
        sessions
            .save(&record(t0 + Duration::minutes(2), "a"))
            .await
            .unwrap();
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            (t0 + Duration::minutes(2)).unix_timestamp()
        );

        // Data changed: always written.
        sessions
            .save(&record(t0 + Duration::minutes(2), "b"))
            .await
            .unwrap();
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["k"], serde_json::json!("b"));
    }
}
