//! Periodic background work. [`spawn_all`] starts every task a running
//! server has, so the binary and the tests run the same ones.
//!
//! - Every minute ([`CLEANUP_PERIOD`], `Config::cleanup_period`): device
//!   codes 24 h after expiry, token rows 7 days after expiry, audit events
//!   older than AUDIT_RETENTION and expired browser sessions are deleted;
//!   stale cache entries are pruned; the signing keys are reloaded, so a key
//!   rotated by `authgate keys rotate` or another instance is in force
//!   within a minute.
//! - Every second: the pacing of live polls is written behind, and on
//!   PostgreSQL other instances' changes are applied as they arrive.
//! - Every minute, too: the live pending codes per client are counted again
//!   from the database (MAX_PENDING_CODES_PER_CLIENT).
//! - On SQLite, every 100 ms: a WAL checkpoint, off the request path.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower_sessions::session_store::ExpiredDeletion;

use crate::domain::Core;
use crate::domain::device_flow::RETENTION_SECS;
use crate::state::AppState;
use crate::telemetry::Repeated;

/// How often the cleanup runs by default (`Config::cleanup_period`), and
/// how often the in-memory rate limits and metrics are tidied.
pub const CLEANUP_PERIOD: Duration = Duration::from_secs(60);
/// Expired token rows are kept this long for audit and listings.
pub const TOKEN_RETENTION_SECS: i64 = 7 * 24 * 60 * 60;

/// How often the pacing of live polls is written to the database.
pub const WRITE_BEHIND_PERIOD: Duration = Duration::from_secs(1);

/// How often SQLite's WAL is checkpointed in the background. The first
/// commit after a checkpoint that emptied the WAL syncs the WAL's header,
/// flushing what was written since: often and small stalls the writer
/// less than seldom and big (measured: 1 s or 3 s slowed complete flows by
/// a fifth; 100 ms against 250 ms halved the device-code p99).
pub const CHECKPOINT_PERIOD: Duration = Duration::from_millis(100);

/// Keeps the in-process caches honest until `stop`: on PostgreSQL it
/// applies the changes other instances announce, and on both engines it
/// writes live poll pacing behind every [`WRITE_BEHIND_PERIOD`], once more
/// when stopping. On SQLite it also checkpoints the WAL every
/// [`CHECKPOINT_PERIOD`], off the request path.
pub(crate) fn spawn_cache_upkeep(
    core: Core,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let listen = core.store.listen(stop.clone());
        let write_behind = async {
            let mut ticker = tokio::time::interval(WRITE_BEHIND_PERIOD);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = Repeated::new("writing poll pacing behind");
            loop {
                let stopping = tokio::select! {
                    () = stop.cancelled() => true,
                    _ = ticker.tick() => false,
                };
                // A failed write-behind keeps the pacing for the next one.
                match crate::domain::device_flow::write_behind_polls(&core).await {
                    Ok(_) => failing.succeeded(core.clock.now_ms()),
                    Err(e) => {
                        failing.failed(core.clock.now_ms(), &e);
                    }
                }
                if stopping {
                    break;
                }
            }
        };
        let checkpoint = async {
            // Only SQLite has a WAL to checkpoint.
            if core.store.backend() != crate::store::Backend::Sqlite {
                return;
            }
            let mut ticker = tokio::time::interval(CHECKPOINT_PERIOD);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = Repeated::new("the WAL checkpoint");
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticker.tick() => {
                        match core.store.checkpoint().await {
                            Ok(()) => failing.succeeded(core.clock.now_ms()),
                            Err(e) => {
                                failing.failed(core.clock.now_ms(), &e);
                            }
                        }
                    }
                }
            }
        };
        let recount = async {
            // Brings in the pending codes other instances issued and
            // decided (the first count was taken at start-up).
            let mut ticker = tokio::time::interval(RECOUNT_PERIOD);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            let mut failing = Repeated::new("recounting pending codes");
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = ticker.tick() => {
                        match core.store.recount_pending_codes().await {
                            Ok(()) => failing.succeeded(core.clock.now_ms()),
                            Err(e) => {
                                failing.failed(core.clock.now_ms(), &e);
                            }
                        }
                    }
                }
            }
        };
        tokio::join!(listen, write_behind, checkpoint, recount);
    })
}

/// How often the live pending codes per client are counted again from the
/// database (see `store/pending_counts.rs`).
const RECOUNT_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);

/// Deletes device and authorization codes, token rows and audit events past
/// their retention.
/// Returns the numbers of codes and tokens deleted.
pub async fn cleanup_once(core: &Core) -> crate::store::Result<(u64, u64)> {
    let now = core.clock.now_secs();
    // Redeemed authorization codes stay as long, so a late second use
    // still revokes what the first produced.
    let codes = core
        .store
        .delete_stale_device_codes(now, RETENTION_SECS)
        .await?
        + core
            .store
            .delete_stale_authorization_codes(now, RETENTION_SECS)
            .await?;
    let tokens = core
        .store
        .delete_stale_access_tokens(now, TOKEN_RETENTION_SECS)
        .await?
        + core
            .store
            .delete_stale_refresh_tokens(now, TOKEN_RETENTION_SECS)
            .await?;
    let audit_events = core
        .store
        .delete_audit_events_before(now - crate::domain::secs(core.policy.audit_retention))
        .await?;
    let sign_in_counts = core
        .store
        .delete_stale_login_failures(
            now - crate::domain::throttle::FORGET_AFTER_SECS,
            now - crate::domain::throttle::KNOWN_ORIGIN_SECS,
        )
        .await?;
    // Answered passkey challenges only matter until they expire.
    let passkey_challenges = core.store.delete_expired_passkey_challenges(now).await?;
    // So do the ids of accepted client assertions.
    let client_assertions = core.store.delete_expired_client_assertions(now).await?;
    // And the ids of DPoP proofs.
    let dpop_proofs = core.store.delete_expired_dpop_proofs(now).await?;
    if codes
        + tokens
        + audit_events
        + sign_in_counts
        + passkey_challenges
        + client_assertions
        + dpop_proofs
        > 0
    {
        tracing::info!(
            codes,
            tokens,
            audit_events,
            sign_in_counts,
            passkey_challenges,
            client_assertions,
            dpop_proofs,
            "removed expired rows"
        );
    }
    Ok((codes, tokens))
}

/// Runs [`cleanup_once`] (and expired-session deletion) every `period`
/// until `stop` is cancelled, the first time one `period` after the start.
///
/// Not at once: start-up has just loaded the keys, nothing it removes is
/// urgent, and a start (of several instances together, or of a test) is
/// busy enough. A run at once also opened database connections while a
/// short test ended, and a PostgreSQL connection caught half-open there
/// held up the test database's `DROP DATABASE` for a minute.
pub(crate) fn spawn_cleanup(
    core: Core,
    period: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let sessions = core.store.sessions();
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + period;
        let mut ticker = tokio::time::interval_at(first, period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = ticker.tick() => {
                    if let Err(e) = cleanup_once(&core).await {
                        tracing::error!(error = %e, "cleanup failed");
                    }
                    let now_ms = core.clock.now_ms();
                    core.store.prune_caches(now_ms);
                    core.guesses.prune(now_ms);
                    if let Err(e) = sessions.delete_expired().await {
                        tracing::error!(error = %e, "session cleanup failed");
                    }
                    // Pick up keys rotated by `authgate keys rotate` or
                    // another instance, and drop fully expired ones.
                    match crate::domain::keys::load_ring(&core.store, &core.keys, core.clock.as_ref()).await {
                        Ok(ring) => core.signer.replace(ring),
                        Err(e) => tracing::error!(error = %e, "signing key reload failed"),
                    }
                    if let Err(e) = crate::domain::keys::prune(&core.store, &core.keys, core.clock.now_secs()).await {
                        tracing::error!(error = %e, "signing key pruning failed");
                    }
                }
            }
        }
    })
}

/// Tidies the device-code rate limiter and the metrics every
/// [`CLEANUP_PERIOD`] until `stop`: both only hold memory, so this runs
/// whatever the cleanup setting.
pub(crate) fn spawn_limits_upkeep(state: &AppState, stop: CancellationToken) -> JoinHandle<()> {
    let limits = state.limits.clone();
    let metrics = state.core.metrics.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CLEANUP_PERIOD);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {
                    limits.retain_recent();
                    metrics.upkeep();
                }
            }
        }
    })
}

/// The background tasks of one running server.
#[derive(Debug)]
pub(crate) struct Upkeep {
    tasks: Vec<JoinHandle<()>>,
}

/// Starts every background task of a server on `state` until `stop`: the
/// limits upkeep, the cache upkeep and, unless `cleanup_period` is `None`,
/// the cleanup every `cleanup_period`.
pub(crate) fn spawn_all(
    state: &AppState,
    cleanup_period: Option<Duration>,
    stop: &CancellationToken,
) -> Upkeep {
    let core = &*state.core;
    let mut tasks = vec![
        spawn_limits_upkeep(state, stop.clone()),
        spawn_cache_upkeep(core.clone(), stop.clone()),
    ];
    // A zero period would make `tokio::time::interval` panic.
    if let Some(period) = cleanup_period.filter(|p| !p.is_zero()) {
        tasks.push(spawn_cleanup(core.clone(), period, stop.clone()));
    }
    Upkeep { tasks }
}

impl Upkeep {
    /// Waits for every task to end (after `stop` was cancelled). A task
    /// that panicked is logged; the others are still waited for.
    pub(crate) async fn join(self) {
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a background task failed");
            }
        }
    }
}
