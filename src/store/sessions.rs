//! Browser sessions, kept in the same database through
//! tower-sessions-sqlx-store; one type over both backends, with the
//! sessions in use held in memory.

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use dashmap::DashMap;
use time::{Duration, OffsetDateTime};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{Db, Result, Store};

/// The session store for whichever database the [`Store`] uses.
///
/// Every signed-in request reads its session, so sessions are kept in
/// memory as the database holds them ([`SessionCache`]): a page view or
/// an approval needs no database read. Every write goes to the database
/// first, then replaces the copy here and, on PostgreSQL, makes the other
/// instances drop theirs (`NOTIFY`), so a sign-out ends the session
/// everywhere.
///
/// Sessions expire after a period of inactivity, so tower-sessions saves
/// the session at the end of every request only to move its expiry. A
/// save that changes nothing but an expiry moved less than
/// [`EXPIRY_SLACK`] is skipped: a signed-in page view then costs no write,
/// and an idle session may end up to [`EXPIRY_SLACK`] early.
#[derive(Debug, Clone)]
pub struct Sessions {
    backend: Backend,
    store: Store,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// How far an expiry may lag before a save writes it anyway.
pub const EXPIRY_SLACK: Duration = Duration::minutes(1);
/// The most sessions held in memory; beyond it sessions are read from the
/// database until the hourly prune or a restart makes room.
const MAX_CACHED: usize = 50_000;
/// The longest a held session is believed: only a lost notification can
/// make it stale (every writer reports), so this only bounds that harm.
const SESSION_MAX_AGE: Duration = Duration::seconds(30);

/// The sessions this instance read or wrote, as the database holds them,
/// with when it last confirmed each. Part of [`super::Changes`], so
/// notifications from other instances reach it.
#[derive(Debug, Default)]
pub struct SessionCache {
    held: DashMap<Id, (Record, OffsetDateTime)>,
    /// Bumped on every write, so a read that raced it is not kept.
    epoch: AtomicU64,
}

impl SessionCache {
    /// The held record of `id`, if confirmed recently and not expired.
    fn get(&self, id: &Id, now: OffsetDateTime) -> Option<Record> {
        let entry = self.held.get(id)?;
        let (record, confirmed) = &*entry;
        (now - *confirmed < SESSION_MAX_AGE && record.expiry_date > now).then(|| record.clone())
    }

    /// What the database holds for `id` as far as this instance knows,
    /// however old (for skipping saves that would change nothing).
    fn stored(&self, id: &Id) -> Option<Record> {
        self.held.get(id).map(|e| e.0.clone())
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Holds `record`, read or written at `epoch`; ignored when a write
    /// came in between (the caller's copy may already be old).
    fn keep(&self, record: &Record, epoch: u64, now: OffsetDateTime) {
        if self.epoch() != epoch {
            return;
        }
        if self.held.len() >= MAX_CACHED && !self.held.contains_key(&record.id) {
            return;
        }
        self.held.insert(record.id, (record.clone(), now));
    }

    /// Drops `id` (changed or deleted here or elsewhere).
    pub(super) fn forget(&self, id: &Id) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.held.remove(id);
    }

    /// Drops `id`, which the database does not hold.
    fn drop_missing(&self, id: &Id) {
        self.held.remove(id);
    }

    pub(super) fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.held.clear();
    }

    /// Drops expired sessions and those not confirmed for a while.
    fn prune(&self, now: OffsetDateTime) {
        self.held
            .retain(|_, (r, confirmed)| r.expiry_date > now && now - *confirmed < SESSION_MAX_AGE);
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.held.is_empty()
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
            store: self.clone(),
        }
    }

    /// Reports that the session `id` was written or deleted: the copy held
    /// here and those of other instances are dropped.
    async fn session_changed(&self, id: &Id) {
        self.changes.sessions.forget(id);
        self.notify(&format!("{}{id}", super::changes::SESSION_PREFIX))
            .await;
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

    fn cache(&self) -> &SessionCache {
        &self.store.changes.sessions
    }

    /// Writes `record` and holds it as written.
    async fn written(&self, record: &Record) {
        self.store.session_changed(&record.id).await;
        let cache = self.cache();
        cache.keep(record, cache.epoch(), OffsetDateTime::now_utc());
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
        self.written(record).await;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if let Some(held) = self.cache().stored(&record.id)
            && held.data == record.data
            && record.expiry_date >= held.expiry_date
            && record.expiry_date - held.expiry_date < EXPIRY_SLACK
        {
            return Ok(());
        }
        match &self.backend {
            Backend::Sqlite(s) => s.save(record).await?,
            Backend::Postgres(s) => s.save(record).await?,
        }
        self.written(record).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        if let Some(record) = self.cache().get(id, now) {
            return Ok(Some(record));
        }
        let epoch = self.cache().epoch();
        let record = match &self.backend {
            Backend::Sqlite(s) => s.load(id).await?,
            Backend::Postgres(s) => s.load(id).await?,
        };
        match &record {
            Some(r) => self.cache().keep(r, epoch, now),
            // Not a write: no epoch bump, so unknown cookies (a flood of
            // them, say) cannot stop other sessions from being held.
            None => self.cache().drop_missing(id),
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.delete(id).await?,
            Backend::Postgres(s) => s.delete(id).await?,
        }
        self.store.session_changed(id).await;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.cache().prune(OffsetDateTime::now_utc());
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

    async fn sessions() -> Sessions {
        let store = Store::connect("sqlite::memory:", &super::super::PoolSettings::default())
            .await
            .unwrap();
        let sessions = store.sessions();
        sessions.migrate().await.unwrap();
        sessions
    }

    /// What the database holds, past the memory.
    async fn in_db(s: &Sessions, id: &Id) -> Option<Record> {
        match &s.backend {
            Backend::Sqlite(b) => b.load(id).await.unwrap(),
            Backend::Postgres(b) => b.load(id).await.unwrap(),
        }
    }

    #[tokio::test]
    async fn only_data_changes_and_stale_expiries_are_written() {
        let sessions = sessions().await;
        let t0 = OffsetDateTime::now_utc() + Duration::hours(1);
        let mut r = record(t0, "a");
        sessions.create(&mut r).await.unwrap();
        let stored_expiry = |r: Option<Record>| r.unwrap().expiry_date.unix_timestamp();

        // Same data, expiry moved a little: nothing written.
        sessions
            .save(&record(t0 + Duration::seconds(30), "a"))
            .await
            .unwrap();
        assert_eq!(
            stored_expiry(in_db(&sessions, &r.id).await),
            t0.unix_timestamp()
        );
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(loaded.expiry_date.unix_timestamp(), t0.unix_timestamp());

        // Moved past the slack: written.
        let later = t0 + Duration::minutes(2);
        sessions.save(&record(later, "a")).await.unwrap();
        assert_eq!(
            stored_expiry(in_db(&sessions, &r.id).await),
            later.unix_timestamp()
        );
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(loaded.expiry_date.unix_timestamp(), later.unix_timestamp());

        // Data changed: always written.
        sessions.save(&record(later, "b")).await.unwrap();
        assert_eq!(
            in_db(&sessions, &r.id).await.unwrap().data["k"],
            serde_json::json!("b")
        );
        let loaded = sessions.load(&r.id).await.unwrap().unwrap();
        assert_eq!(loaded.data["k"], serde_json::json!("b"));
    }

    #[tokio::test]
    async fn held_sessions_are_read_from_memory_until_a_change_is_announced() {
        let sessions = sessions().await;
        let mut r = record(OffsetDateTime::now_utc() + Duration::hours(1), "a");
        sessions.create(&mut r).await.unwrap();
        // Removed behind the store's back: the copy in memory still answers.
        match &sessions.backend {
            Backend::Sqlite(b) => b.delete(&r.id).await.unwrap(),
            Backend::Postgres(b) => b.delete(&r.id).await.unwrap(),
        }
        assert!(sessions.load(&r.id).await.unwrap().is_some());
        // Another instance announces the change (as its NOTIFY arrives here).
        super::super::changes::apply(&sessions.store.changes, &format!("session:{}", r.id));
        assert!(sessions.load(&r.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_deleted_session_is_gone_at_once() {
        let sessions = sessions().await;
        let mut r = record(OffsetDateTime::now_utc() + Duration::hours(1), "a");
        sessions.create(&mut r).await.unwrap();
        assert!(sessions.load(&r.id).await.unwrap().is_some());
        sessions.delete(&r.id).await.unwrap();
        assert!(sessions.load(&r.id).await.unwrap().is_none());
        assert!(in_db(&sessions, &r.id).await.is_none());
    }

    #[tokio::test]
    async fn unknown_session_ids_do_not_stop_others_from_being_held() {
        let sessions = sessions().await;
        let epoch = sessions.cache().epoch();
        assert!(sessions.load(&Id(12345)).await.unwrap().is_none());
        assert_eq!(sessions.cache().epoch(), epoch);
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_kept_and_old_or_expired_copies_are_not_believed() {
        let cache = SessionCache::default();
        let now = OffsetDateTime::now_utc();
        let r = record(now + Duration::hours(1), "a");
        let epoch = cache.epoch();
        cache.forget(&Id(99));
        cache.keep(&r, epoch, now);
        assert!(
            cache.get(&r.id, now).is_none(),
            "read before a write: not kept"
        );

        cache.keep(&r, cache.epoch(), now);
        assert!(cache.get(&r.id, now).is_some());
        assert!(cache.get(&r.id, now + SESSION_MAX_AGE).is_none(), "too old");
        assert!(
            cache.get(&r.id, now + Duration::hours(1)).is_none(),
            "expired"
        );
        cache.prune(now + Duration::hours(1));
        assert!(cache.is_empty());
    }
}
