//! Storage: one interface over SQLite and PostgreSQL.
//!
//! Every query is written once in SQL both dialects accept (`$1`
//! placeholders, text ids, integer Unix times) and run through [`on_pool!`],
//! which type-checks the same code against each backend. Handlers and domain
//! code never see SQL; they call the methods in the submodules.
//!
//! # The hot paths
//!
//! Device requests, polls and token checks are most of the traffic, so they
//! avoid the database wherever correctness allows, and write in groups where it
//! does not (measured by `make bench`; the figures are in README.md,
//! Benchmarks):
//!
//! - **One writer, one transaction per round** (`store/writer/`,
//!   `store/batch.rs`). Every hot write — new device codes, audit events,
//!   decisions and redemptions — is a job for one task on a thread of its own,
//!   with a connection of its own. It takes every job queued while its previous
//!   transaction ran and applies them all in one transaction of at most ten
//!   statements, one per kind of change, whose rows travel as one JSON array
//!   (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL), and the
//!   whole round is one multi-statement query: on SQLite one trip to the
//!   connection's thread with the arrays bound (the statement text never
//!   changes, so it is prepared once); on PostgreSQL one simple query, the
//!   arrays written in as escape-string literals (`E'…'`, backslash and quote
//!   doubled), so a round is one trip to the server and each statement is
//!   planned for its own rows. Rows
//!   that depend on a move (a redemption's grant, tokens and audit event; a
//!   decision's audit event) are inserted just before the `UPDATE` that moves
//!   the code, under the same condition, so they exist exactly when the move
//!   happened and commit with it; PostgreSQL first locks the round's codes
//!   (`SELECT … ORDER BY id FOR UPDATE`), SQLite holds its write lock
//!   (`BEGIN IMMEDIATE`). Callers are answered after the commit, so nothing
//!   acknowledged can be lost; a round that fails is retried job by job, so
//!   only the job at fault hears of it; a user-code clash skips only its own
//!   row, and that request retries with a new code. A round whose connection
//!   died under it (PostgreSQL restarted, a backend terminated) is applied
//!   once more on a new connection: new rows carry fresh ids and every move
//!   names the state it leaves, so nothing is written twice, and a decision or
//!   redemption that loses there is looked up (`store/writer/recheck.rs`) in
//!   case the first attempt committed before the connection went. A caller
//!   waits for its commit at most the write deadline
//!   (`DATABASE_STATEMENT_TIMEOUT`, at most half of `REQUEST_TIMEOUT`), a job
//!   whose caller has gone is not written, and a round past the deadline
//!   loses its connection; a redemption that commits anyway is handed to the
//!   device's next poll (see `store/handoff.rs`). Other writes queue on the
//!   same one-connection SQLite pool instead of meeting in SQLite's busy
//!   handler, its statement journals stay in memory, and WAL checkpoints run
//!   every 100 ms in the background, so no commit pays for one. PostgreSQL's
//!   other connections plan every statement afresh (`plan_cache_mode =
//!   force_custom_plan`): a plan cached while a table was nearly empty must
//!   not outlive its growth. The writer's connection keeps the default, so
//!   the foreign-key checks its inserts fire (a primary-key lookup per key and
//!   row) reuse their plans, and it stays with the writer between rounds. A
//!   decision's `NOTIFY` to other instances is sent by the deciding statement
//!   itself, so it commits with the change.
//! - **Polls from memory** (`store/device_flow.rs`, `store/changes.rs`). The
//!   first poll of a pending code loads it; later polls are paced (RFC 8628
//!   §3.5) in an in-process map and answered without a database round trip. The
//!   pacing is written behind every second (and at shutdown), so the admin view,
//!   a restart and other instances see grown intervals. A decision makes every
//!   instance forget the code; the instance that made it keeps the decided code
//!   for 30 s, so the device's next poll there redeems without a read (the
//!   writer's guarded `UPDATE` still decides whether it wins, and a lost
//!   redemption is re-checked against the database, which tells a replay from
//!   a race). Elsewhere the next poll reads the database and meets the
//!   approval or denial at once.
//! - **Approvals from memory** (`store/sessions.rs`, `store/changes.rs`).
//!   Browser sessions in use are held as the database holds them: every
//!   signed-in request reads its session, without a query. Every
//!   session write goes to the database first, then replaces the copy and (on
//!   PostgreSQL) makes the other instances drop theirs, so signing out ends
//!   the session on every instance. Pending codes are held by user code for
//!   30 s after they are issued or read (at most 4,096, starting over when
//!   full), so the verification pages and the decision need no read either;
//!   they are only shown from memory, never trusted — the writer's guarded
//!   `UPDATE` finds out whether the code is still pending, so a code decided
//!   through another instance meanwhile fails as after any race.
//! - **Caches kept coherent** (`store/cache.rs`). Client rows (every OAuth
//!   request authenticates a client), user rows (the signed-in user of every
//!   page) and checked access tokens (keyed by the token's SHA-256; a hit skips
//!   the ES256 check and the database read) carry the generation number of
//!   their topic read before they were loaded. Every store method that could
//!   change an answer — revocations of any kind, disabling a user or client,
//!   a user's role or password, editing a client — bumps the generation, so
//!   the next request misses and reloads.
//! - **Across instances** (PostgreSQL). Each change is also sent with `NOTIFY
//!   authgate_changes` and every instance applies what the others send; a lost
//!   listener connection forgets every cache, since notifications may have been
//!   missed. Entries are believed for at most 5 s (30 s for live polls, held
//!   sessions and pending codes) in any case: the bound for writers that cannot notify, such as `authgate client
//!   disable` run against the SQLite file of a running server. The pacing of
//!   one code is kept per instance and merged through the database (the later
//!   poll and the longer interval win), so a client that polls through a load
//!   balancer is paced by each instance it reaches.
//! - **Small things that add up.** Browser sessions skip a save that would
//!   only move the inactivity expiry by under a minute; no index is the prefix
//!   of another (migration 0005); ES256 keys are parsed
//!   once per key ring and sign with `ring` (several times faster than the
//!   pure-Rust P-256 that verification uses); ids of rows inserted at a high
//!   rate are time-ordered (UUIDv7), so index inserts append; SQLite pools do
//!   not ping a connection before each query; at most half the cores hash
//!   passwords at once (Argon2id, 7 MiB × 5 passes, an OWASP-listed equivalent
//!   of 19 MiB × 2), so a burst of sign-ins cannot take the CPU or memory that
//!   polling needs.
//!
//! # Migrations
//!
//! `migrations/sqlite` and `migrations/postgres` are embedded in the binary
//! and applied at start-up unless `DATABASE_MIGRATE=false` ([`Store::migrate`];
//! on PostgreSQL an advisory lock makes instances starting together apply
//! each one once). The two folders are twins: the same numbered files with
//! the same tables and columns; only the types differ (`INTEGER` 0/1 and
//! `INTEGER` times on SQLite, `BOOLEAN` and `BIGINT` on PostgreSQL, which
//! decode to the same `bool` and `i64`), and a test fails when the numbers
//! drift apart. Migrations only add, so the previous release keeps running
//! on a newer schema during a rolling upgrade.

mod admin;
mod audit;
mod authorization_codes;
mod availability;
mod backup;
mod batch;
mod cache;
mod changes;
mod clients;
mod consents;
mod device_codes;
mod device_flow;
mod error;
mod grants;
mod handoff;
mod passkeys;
mod pending_counts;
mod pool_stats;
mod recovery_codes;
mod registrations;
mod sessions;
mod settings;
mod signing_keys;
mod throttle;
mod tokens;
mod totp;
mod upstream;
mod users;
mod writer;

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use admin::{
    AuditFilter, AuditListing, ClientListing, CodeCursor, CodePage, CodePart, Cursor,
    DashboardCounts, DeviceCodeFilter, DeviceCodeListing, Page, PageAt, TokenFilter, TokenKind,
    TokenListing, TokenOwner, UserListing,
};
pub use audit::{AuditEvent, NewAuditEvent};
pub use authorization_codes::{CodeRedemption, NewAuthorizationCode};
pub use availability::Outage;
pub use backup::{check_sqlite_file, sqlite_file};
pub use changes::MAX_AGE_MS;
use changes::{Changes, LivePoll, Topic};
pub use clients::NewClient;
pub use device_codes::NewDeviceCode;
pub use device_flow::{Memory, Polled};
pub use error::{Error, Result};
pub use grants::{GrantView, NewGrant, NewRefreshToken};
pub use handoff::{HOLD_MS, RedemptionRows};
pub use pending_counts::PendingOfClient;
pub use recovery_codes::{FactorsRemoved, RecoveryCodeHash};
pub use registrations::{NewRegistration, RegistrationUpdate};
pub use sessions::Sessions;
pub use throttle::{LockRule, Reservation};
pub use tokens::{AccessTokenRecord, NewAccessToken, NewMachineToken};
pub use users::NewUser;
pub use writer::Writes;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Picks the backend from a `DATABASE_URL`, or `None` if it is neither.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// Pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// The longest a query waits for a connection, including opening one
    /// (`DATABASE_ACQUIRE_TIMEOUT`): while the database is down, how long
    /// a request takes to hear so.
    pub acquire_timeout: Duration,
    /// PostgreSQL: the `statement_timeout` of every connection (a longer
    /// statement is cancelled with SQLSTATE 57014). SQLite: how long a
    /// statement waits for another connection's lock (the busy timeout).
    pub statement_timeout: Duration,
    /// The longest a caller waits for the grouped writer's commit, and the
    /// longest one of its rounds may take (see writer/): below the request
    /// timeout, so a stalled database is answered `Unavailable` rather
    /// than by a timeout that hides a later commit.
    pub write_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// SQLite's automatic checkpoint threshold (its default is 1,000 pages).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 20_000;

/// The schema of each dialect, embedded in the binary.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// Where the hot paths write. SQLite: one dedicated connection, so
    /// concurrent writers queue in the pool (in order, woken at once)
    /// instead of colliding on SQLite's lock and sleeping in its busy
    /// handler. PostgreSQL: the same pool as `db`.
    writer: Db,
    /// What in-process caches must forget; shared by every clone.
    changes: std::sync::Arc<Changes>,
    /// The hot writes (new codes, audit events, decisions, redemptions),
    /// many to a transaction (see writer/).
    grouped: writer::Writer,
}

/// The readers' pool, the writer pool and the grouped writer's pool.
type Pools = (Db, Db, Db);

/// SQLite in WAL mode: readers share a pool; the writer pool and the
/// grouped writer share one connection.
async fn connect_sqlite(url: &str, pool: &PoolSettings) -> Result<Pools> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes in WAL
        // mode; only an OS crash can lose the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(pool.statement_timeout)
        // The running server checkpoints in the background
        // (`checkpoint`), so a commit never waits for one; this
        // high mark only bounds the WAL of other processes.
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
    // No ping before handing out a connection: a SQLite
    // connection is a local thread that cannot drop, and the ping
    // would double the round trips of every query.
    let readers = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(pool.max_connections)
        .acquire_timeout(pool.acquire_timeout)
        .connect_with(options.clone())
        .await?;
    let writer = SqlitePoolOptions::new()
        .test_before_acquire(false)
        .max_connections(1)
        .acquire_timeout(pool.acquire_timeout)
        // Statement journals in memory: the writer's
        // multi-row statements otherwise spill them to a
        // temporary file, a sixth of its time in `pwrite`.
        .connect_with(options.pragma("temp_store", "MEMORY"))
        .await?;
    Ok((
        Db::Sqlite(readers),
        Db::Sqlite(writer.clone()),
        Db::Sqlite(writer),
    ))
}

/// PostgreSQL: one pool for readers and ordinary writes, and a lazy
/// connection of its own for the grouped writer.
async fn connect_postgres(url: &str, pool: &PoolSettings) -> Result<Pools> {
    // Sent at connection start-up, so it holds on every pooled
    // connection without an extra round trip (and adds to any
    // `?options=` the URL carries).
    let timeout_ms = pool.statement_timeout.as_millis().max(1);
    // Custom plans only: a plan cached while a table was nearly
    // empty (a sequential scan) would otherwise stay in use
    // after a burst of inserts, until autovacuum analyzes the
    // table a minute or more later. Planning these one-row
    // statements costs less than one such scan.
    let base = PgConnectOptions::from_str(url)?;
    let timeout = ("statement_timeout", timeout_ms.to_string());
    let options = base.clone().options([
        timeout.clone(),
        ("plan_cache_mode", "force_custom_plan".to_owned()),
    ]);
    // The grouped writer's own connection: lazy, so it is
    // opened by the writer task, on the writer's thread. Its
    // own statements go as simple queries (each planned for
    // its rows, see writer/), which leaves the plan cache to
    // the foreign-key checks its inserts fire: one simple
    // primary-key lookup per key and row, which forced custom
    // plans would plan anew every time (two fifths of the
    // writer's backend).
    // Its statements carry their rows as literals (user codes,
    // addresses, usernames): the driver must not log them, not
    // even as slow statements. The writer logs a slow round's
    // size and duration itself.
    let grouped = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(pool.acquire_timeout)
        .connect_lazy_with(
            base.options([timeout, ("plan_cache_mode", "auto".to_owned())])
                .disable_statement_logging(),
        );
    let pool = PgPoolOptions::new()
        .max_connections(pool.max_connections)
        .acquire_timeout(pool.acquire_timeout)
        .connect_with(options)
        .await?;
    Ok((
        Db::Postgres(pool.clone()),
        Db::Postgres(pool),
        Db::Postgres(grouped),
    ))
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds. The body
/// is compiled once per backend, so one query text serves both. With
/// `writer` first, the body runs on the writer pool (see [`Store`]).
macro_rules! on_pool {
    (writer $store:expr, $pool:ident => $body:expr) => {
        match &$store.writer {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Store {
    /// Connects to `url` (`sqlite://...` or `postgres://...`). A SQLite file
    /// is created when missing and runs in WAL mode with foreign keys on.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self> {
        let (db, writer, grouped) = match Backend::from_url(url) {
            Some(Backend::Sqlite) => connect_sqlite(url, pool).await?,
            Some(Backend::Postgres) => connect_postgres(url, pool).await?,
            None => {
                return Err(Error::Database(sqlx::Error::Configuration(
                    "DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into(),
                )));
            }
        };
        // The grouped writer runs on a thread of its own (see writer/).
        let grouped = writer::Writer::spawn(grouped, &writer::thread()?, pool.write_timeout);
        Ok(Self {
            changes: std::sync::Arc::default(),
            grouped,
            db,
            writer,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite pool, for components that need the concrete type
    /// (the session store).
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(p) => Some(p),
            Db::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for components that need the concrete type.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(p) => Some(p),
            Db::Sqlite(_) => None,
        }
    }

    /// Applies the embedded migrations for this backend. On PostgreSQL sqlx
    /// holds an advisory lock meanwhile, so instances starting together on
    /// one database apply each migration once.
    pub async fn migrate(&self) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Db::Postgres(p) => {
                // A migration may rewrite a big table, and waiting for
                // another instance's migration lock is normal: no statement
                // timeout on this connection while migrating.
                let mut conn = p.acquire().await?;
                sqlx::query("SET statement_timeout = 0")
                    .execute(&mut *conn)
                    .await?;
                let result = POSTGRES_MIGRATIONS.run(&mut *conn).await;
                if result.is_ok() {
                    // Back to the value sent at connection start-up.
                    sqlx::query("RESET statement_timeout")
                        .execute(&mut *conn)
                        .await?;
                } else {
                    conn.close_on_drop();
                }
                result?;
            }
        }
        Ok(())
    }

    /// The embedded migrations this database has not applied yet, as
    /// `0002 tokens`; empty when the schema is current. Changes nothing.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        let (migrator, table_exists) = match self.backend() {
            Backend::Sqlite => (
                &SQLITE_MIGRATIONS,
                "SELECT COUNT(*) FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres => (
                &POSTGRES_MIGRATIONS,
                "SELECT COUNT(*) FROM (SELECT to_regclass('_sqlx_migrations') AS t) m \
                 WHERE t IS NOT NULL",
            ),
        };
        let (tables,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as(table_exists).fetch_one(pool).await?
        });
        let applied: Vec<(i64,)> = if tables == 0 {
            Vec::new()
        } else {
            on_pool!(self, pool => {
                sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(pool)
                    .await?
            })
        };
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .filter(|m| !applied.iter().any(|(v,)| *v == m.version))
            .map(|m| format!("{:04} {}", m.version, m.description))
            .collect())
    }

    /// SQLite: copies committed WAL frames back into the database file
    /// without blocking writers (a PASSIVE checkpoint). Run periodically
    /// by the server, so that commits on the request path never pay for
    /// a checkpoint. Nothing to do on PostgreSQL.
    pub async fn checkpoint(&self) -> Result<()> {
        if let Db::Sqlite(pool) = &self.db {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// One round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Waits for checked-out connections to return, then closes the pool
    /// (for SQLite this also checkpoints the WAL).
    pub async fn close(&self) {
        on_pool!(writer self, pool => pool.close().await);
        on_pool!(self, pool => pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both dialects must carry the same numbered migrations: a schema
    /// change made for one engine only would break the other at start-up.
    #[test]
    fn migration_folders_are_twins() {
        let names = |m: &Migrator| {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&SQLITE_MIGRATIONS),
            names(&POSTGRES_MIGRATIONS),
            "migrations/sqlite and migrations/postgres differ"
        );
        assert!(!names(&SQLITE_MIGRATIONS).is_empty());
    }
}
