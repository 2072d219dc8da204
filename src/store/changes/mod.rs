//! Telling in-process caches that the database changed under them.
//!
//! The hot paths (polls, client authentication, token checks) answer from
//! memory; this is what keeps those answers true. Every store method that
//! changes what a cache holds reports it here:
//!
//! - a **topic** (all tokens, clients or users) gets a new generation number, and
//!   a cached entry is only believed while it carries the current one;
//! - a **device code** that leaves `pending` is forgotten by key, so the
//!   next poll reads its new state from the database.
//!
//! On PostgreSQL each change is also sent with `NOTIFY` on one channel, and
//! every instance applies what the others send (see [`Store::listen`]); a
//! lost listener connection forgets everything, since notifications may
//! have been missed meanwhile — except what the database has not heard yet
//! (pacing not yet written behind, undelivered tokens), which is kept. Entries also age out after [`MAX_AGE_MS`], a
//! bound for writers that cannot notify (the `authgate user|client`
//! commands on a SQLite file used by a running server).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

use crate::model::device_code::Pacing;
use crate::model::ids::{ClientId, DeviceCodeId};
use crate::model::time::{UnixMs, UnixSecs};
use crate::model::{DeviceCode, UserCode};

use super::{Db, Result, Store};

/// The longest a cached answer is believed without news from the database.
pub const MAX_AGE_MS: i64 = 5_000;
/// The same for a live poll. Decisions always forget the code (locally or
/// by `NOTIFY`), so this only bounds the harm of a lost notification.
const POLL_MAX_AGE_MS: i64 = 30_000;
/// The PostgreSQL channel changes travel on.
pub(super) const CHANNEL: &str = "authgate_changes";
/// What a device code's notification starts with (then its hash).
pub(super) const CODE_PREFIX: &str = "code:";
/// What a browser session's notification starts with (then its id).
pub(super) const SESSION_PREFIX: &str = "session:";

/// What a generation number covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Whether access tokens are active: revocations, and users or clients
    /// being disabled or deleted.
    Tokens = 0,
    /// Client rows: secrets, scopes, names, disabling.
    Clients = 1,
    /// User rows: roles, disabling, passwords.
    Users = 2,
}

const TOPICS: [Topic; 3] = [Topic::Tokens, Topic::Clients, Topic::Users];

impl Topic {
    fn wire(self) -> &'static str {
        match self {
            Topic::Tokens => "tokens",
            Topic::Clients => "clients",
            Topic::Users => "users",
        }
    }
}

/// A pending device code's polling state, kept in memory so polls need no
/// database round trip (RFC 8628 §3.5 pacing is decided here).
#[derive(Debug, Clone)]
pub struct LivePoll {
    pub id: DeviceCodeId,
    pub client_id: ClientId,
    pub expires_at: UnixSecs,
    pub interval_secs: i64,
    pub last_poll_at_ms: Option<UnixMs>,
    pub repeat_used: bool,
    /// When the database last confirmed the code was pending.
    pub loaded_at_ms: i64,
    /// Changed since the last write-behind.
    pub dirty: bool,
}

impl LivePoll {
    /// The live state of the pending `code`, read from the database at
    /// `now_ms`.
    pub(super) fn of(code: &DeviceCode, now_ms: i64) -> Self {
        Self {
            id: code.id.clone(),
            client_id: code.client_id.clone(),
            expires_at: code.expires_at,
            interval_secs: code.interval_secs,
            last_poll_at_ms: code.last_poll_at_ms,
            repeat_used: code.poll_repeat_used,
            loaded_at_ms: now_ms,
            dirty: false,
        }
    }

    fn pacing(&self) -> Pacing {
        Pacing {
            interval_secs: self.interval_secs,
            last_poll_at_ms: self.last_poll_at_ms,
            repeat_used: self.repeat_used,
        }
    }
}

/// Generation counters and the live poll map; shared by every clone of a
/// [`Store`].
#[derive(Debug, Default)]
pub struct Changes {
    generations: [AtomicU64; 3],
    /// Bumped whenever a device code is forgotten, so a poll that read the
    /// database before the change does not put back what it read.
    codes_epoch: AtomicU64,
    polls: DashMap<String, LivePoll>,
    /// Codes this instance just decided, with when: the device's next
    /// poll redeems (or is denied) without reading the database.
    decided: DashMap<String, (DeviceCode, i64)>,
    /// Pending codes by user code, issued here or read while pending, with
    /// when: the verification pages and the decision need no database
    /// read. Only shown, never trusted: the decision's guarded `UPDATE`
    /// still finds out whether the code is pending.
    pending: DashMap<UserCode, (DeviceCode, i64)>,
    /// Live pending codes per client (see pending_counts.rs). Not cleared
    /// with the caches: recounted from the database every minute.
    pub(super) pending_counts: super::pending_counts::PendingCounts,
    /// Clients, users, checked tokens and scopes (see cache.rs).
    pub(super) caches: super::cache::Caches,
    /// Browser sessions as the database holds them (see sessions.rs).
    pub(super) sessions: super::sessions::SessionCache,
    /// Tokens of redemptions not yet handed out (see handoff.rs). Not a
    /// copy of the database: kept when caches are forgotten.
    pub(super) handoffs: super::handoff::Handoffs,
}

/// `loaded_at_ms` of a live poll the database has not confirmed since
/// this instance may have missed a change: its next poll reads again.
const UNCONFIRMED: i64 = i64::MIN;
/// The most live polls kept; beyond it polls read the database.
const MAX_LIVE_POLLS: usize = 200_000;
/// The most pending codes held by user code (a few hundred bytes each).
const MAX_PENDING: usize = 4_096;

impl Changes {
    pub fn generation(&self, topic: Topic) -> u64 {
        self.generations[topic as usize].load(Ordering::Acquire)
    }

    fn bump_local(&self, topic: Topic) {
        self.generations[topic as usize].fetch_add(1, Ordering::AcqRel);
    }

    pub(super) fn codes_epoch(&self) -> u64 {
        self.codes_epoch.load(Ordering::Acquire)
    }

    fn forget_code_local(&self, hash: &str) {
        self.codes_epoch.fetch_add(1, Ordering::AcqRel);
        self.polls.remove(hash);
        self.decided.remove(hash);
    }

    /// Forgets everything: after a lost listener connection. Pacing not
    /// yet written behind is kept — the database never heard of it, so
    /// nothing it says can be newer — but as unconfirmed, so the next poll
    /// of each of those codes reads the database again (a decision may have
    /// been missed) and merges.
    fn forget_all(&self) {
        for topic in TOPICS {
            self.bump_local(topic);
        }
        self.codes_epoch.fetch_add(1, Ordering::AcqRel);
        self.polls.retain(|_, poll| {
            poll.loaded_at_ms = UNCONFIRMED;
            poll.dirty
        });
        self.decided.clear();
        self.pending.clear();
        self.sessions.clear();
    }

    /// Keeps `code`, just decided by this instance (after its commit), for
    /// the device's next poll.
    pub(super) fn remember_decided(&self, hash: &str, code: DeviceCode, now_ms: i64) {
        if self.decided.len() < MAX_LIVE_POLLS {
            self.decided.insert(hash.to_owned(), (code, now_ms));
        }
    }

    /// Takes the code this instance decided, if it did so recently. The
    /// writer's guarded `UPDATE` still decides whether a redemption wins.
    pub(super) fn take_decided(&self, hash: &str, now_ms: i64) -> Option<DeviceCode> {
        let (_, (code, at)) = self.decided.remove(hash)?;
        (now_ms - at <= POLL_MAX_AGE_MS).then_some(code)
    }

    /// Holds `code`, pending as of `now_ms`, for its verification pages.
    /// When full, the memory starts over: a flood of new codes then leaves
    /// the latest ones held rather than locking out those that come next.
    pub(super) fn remember_pending(&self, code: DeviceCode, now_ms: i64) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.clear();
        }
        self.pending.insert(code.user_code.clone(), (code, now_ms));
    }

    /// The pending code with this (normalised) user code, if held and
    /// confirmed pending within [`POLL_MAX_AGE_MS`]. A code decided through
    /// another instance may still show here as pending for that long; its
    /// decision then fails as it would after any race.
    pub(super) fn pending_code(&self, user_code: &UserCode, now_ms: i64) -> Option<DeviceCode> {
        let entry = self.pending.get(user_code)?;
        let (code, at) = &*entry;
        (now_ms - at <= POLL_MAX_AGE_MS && !code.is_expired(UnixMs(now_ms).as_secs()))
            .then(|| code.clone())
    }

    /// Drops the pending code with this user code (decided, or tried).
    pub(super) fn forget_pending(&self, user_code: &UserCode) {
        self.pending.remove(user_code);
    }

    /// Runs `f` on the live poll state of the code with this hash, if this
    /// instance holds a fresh one.
    pub(super) fn with_live_poll<R>(
        &self,
        hash: &str,
        now_ms: i64,
        f: impl FnOnce(&mut LivePoll) -> R,
    ) -> Option<R> {
        let mut entry = self.polls.get_mut(hash)?;
        if now_ms.saturating_sub(entry.loaded_at_ms) > POLL_MAX_AGE_MS {
            // Still pending in memory, but unconfirmed for too long: the
            // caller re-reads the database, and `remember_poll` merges the
            // pacing held here with what it read.
            return None;
        }
        Some(f(&mut entry))
    }

    /// Answers a poll by `client_id` from the live state of a pending code
    /// (RFC 8628 §3.5 pacing, recorded for the write-behind), or `None` when
    /// this instance holds no fresh state or the code has expired (the
    /// database then answers).
    pub(super) fn pace_live(
        &self,
        hash: &str,
        client_id: &str,
        now_ms: i64,
    ) -> Option<super::Polled> {
        self.with_live_poll(hash, now_ms, |live| {
            if UnixMs(now_ms) >= live.expires_at.as_ms() {
                return None;
            }
            if live.client_id != client_id {
                return Some(super::Polled::Foreign);
            }
            let paced = live.pacing().pace(UnixMs(now_ms));
            let update = paced.update();
            live.last_poll_at_ms = Some(update.last_poll_at_ms);
            live.interval_secs = update.interval_secs;
            live.repeat_used = update.repeat_used;
            live.dirty = true;
            Some(super::Polled::Paced(paced))
        })
        .flatten()
    }

    /// Keeps `poll` as the live state of `hash`, unless a code was forgotten
    /// since `epoch` (read before the database was) — then what the caller
    /// read may already be out of date. `true` when kept. Pacing held here
    /// merges with the database's: the later poll and the longer interval
    /// win (another instance may have written its own behind).
    pub(super) fn remember_poll(&self, hash: &str, epoch: u64, poll: LivePoll) -> bool {
        if self.codes_epoch() != epoch || self.polls.len() >= MAX_LIVE_POLLS {
            return false;
        }
        self.polls
            .entry(hash.to_owned())
            .and_modify(|held| {
                held.loaded_at_ms = poll.loaded_at_ms;
                held.interval_secs = held.interval_secs.max(poll.interval_secs);
                held.last_poll_at_ms = held.last_poll_at_ms.max(poll.last_poll_at_ms);
            })
            .or_insert(poll);
        true
    }

    /// Drops the live state of a code the database says is no longer
    /// pending.
    pub(super) fn drop_poll(&self, hash: &str) {
        self.polls.remove(hash);
    }

    /// Takes the pacing changes not yet written to the database (by code
    /// hash), and drops entries of codes that have expired.
    fn take_dirty_polls(&self, now_secs: i64) -> Vec<(String, LivePoll)> {
        // Decided codes whose device has not come back are dropped too.
        let now_ms = now_secs.saturating_mul(1000);
        self.decided
            .retain(|_, (_, at)| now_ms - *at <= POLL_MAX_AGE_MS);
        self.pending.retain(|_, (code, at)| {
            now_ms - *at <= POLL_MAX_AGE_MS && !code.is_expired(UnixSecs(now_secs))
        });
        self.handoffs.prune(now_ms);
        let mut dirty = Vec::new();
        self.polls.retain(|hash, poll| {
            if poll.dirty {
                poll.dirty = false;
                dirty.push((hash.clone(), poll.clone()));
            }
            poll.expires_at > UnixSecs(now_secs)
        });
        dirty
    }

    /// Marks pacing taken by [`Changes::take_dirty_polls`] unsaved again,
    /// after writing it failed: merged into what is held now (the later
    /// poll and the longer interval win), or held again, unconfirmed, if it
    /// was forgotten meanwhile.
    fn unsaved(&self, polls: Vec<(String, LivePoll)>) {
        for (hash, poll) in polls {
            if !self.polls.contains_key(&hash) && self.polls.len() >= MAX_LIVE_POLLS {
                continue;
            }
            self.polls
                .entry(hash)
                .and_modify(|held| {
                    held.interval_secs = held.interval_secs.max(poll.interval_secs);
                    held.last_poll_at_ms = held.last_poll_at_ms.max(poll.last_poll_at_ms);
                    held.dirty = true;
                })
                .or_insert(LivePoll {
                    loaded_at_ms: UNCONFIRMED,
                    dirty: true,
                    ..poll
                });
        }
    }

    pub fn live_polls(&self) -> usize {
        self.polls.len()
    }
}

impl Store {
    /// How many pending codes' polls this instance answers from memory.
    pub fn live_polls(&self) -> usize {
        self.changes.live_polls()
    }

    /// Writes the pacing of live polls not yet saved (for the admin views,
    /// other instances, and so a restart keeps grown intervals), and drops
    /// the live state of expired codes; returns how many codes were
    /// written. When the write fails, the pacing stays unsaved for the
    /// next call: an interval announced with `slow_down` is not forgotten
    /// because the database was out for a while.
    pub async fn save_polls(&self, now_secs: i64) -> Result<usize> {
        let dirty = self.changes.take_dirty_polls(now_secs);
        if dirty.is_empty() {
            return Ok(0);
        }
        let polls: Vec<&LivePoll> = dirty.iter().map(|(_, poll)| poll).collect();
        match self.record_polls(&polls).await {
            Ok(()) => Ok(dirty.len()),
            Err(e) => {
                self.changes.unsaved(dirty);
                Err(e)
            }
        }
    }

    /// Reports a change of `topic`: local caches at once, other instances
    /// through `NOTIFY`. Called after the change committed.
    pub(super) async fn changed(&self, topic: Topic) {
        self.changes.bump_local(topic);
        self.notify(topic.wire()).await;
    }

    /// Reports that the device code with this hash left `pending` (it was
    /// decided): forgotten here at once; other instances hear of it from
    /// the writer, whose transaction sends the `NOTIFY` (see writer/).
    pub(super) fn code_decided(&self, hash: &str) {
        self.changes.forget_code_local(hash);
    }

    pub(super) async fn notify(&self, payload: &str) {
        if let Db::Postgres(pool) = &self.db {
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(pool)
                .await;
            if let Err(e) = sent {
                // The change itself committed; other instances see it when
                // their entries age out.
                tracing::warn!(error = %e, "could not notify other instances of a change");
            }
        }
    }

    /// On PostgreSQL, applies the changes other instances announce until
    /// `stop`; on SQLite there is nobody else to listen to.
    pub async fn listen(&self, stop: tokio_util::sync::CancellationToken) {
        let Db::Postgres(pool) = &self.db else {
            return;
        };
        let changes = self.changes.clone();
        // Retried every second while the database is down: logged once a
        // minute. (A steady clock, for the log only.)
        let mut failing = crate::telemetry::Repeated::new("the change listener's connection");
        let started = tokio::time::Instant::now();
        let now_ms = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
                Ok(l) => {
                    failing.succeeded(now_ms());
                    l
                }
                Err(e) => {
                    failing.failed(now_ms(), &e);
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "change listener: LISTEN failed; retrying");
                continue;
            }
            // Whatever happened while no listener ran is unknown.
            changes.forget_all();
            loop {
                let next = tokio::select! {
                    () = stop.cancelled() => return,
                    n = listener.try_recv() => n,
                };
                match next {
                    Ok(Some(n)) => apply(&changes, n.payload()),
                    // The connection dropped; notifications may be lost.
                    Ok(None) => changes.forget_all(),
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener failed; reconnecting");
                        changes.forget_all();
                        break;
                    }
                }
            }
        }
    }
}

pub(super) fn apply(changes: &Changes, payload: &str) {
    if let Some(hash) = payload.strip_prefix(CODE_PREFIX) {
        changes.forget_code_local(hash);
    } else if let Some(id) = payload
        .strip_prefix(SESSION_PREFIX)
        .and_then(|id| id.parse::<tower_sessions::session::Id>().ok())
    {
        changes.sessions.forget(&id);
    } else if let Some(topic) = TOPICS.into_iter().find(|t| t.wire() == payload) {
        changes.bump_local(topic);
    } else {
        changes.forget_all();
    }
}

#[cfg(test)]
mod tests;
