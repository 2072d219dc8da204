//! The device authorization grant (RFC 8628) as a state machine.
//!
//! A device code is `Pending` until a signed-in user approves or denies it;
//! an approved code is redeemed exactly once for a token. Expiry is derived
//! from the clock, never stored as a state. Every transition in the store
//! names the state it leaves in its `WHERE` clause, so a lost race changes
//! zero rows and becomes an error instead of a second token.

use super::client::{self, Client, ClientCredentials};
use super::scope::Scopes;
use super::token::{self, IssuedToken};
use super::{Core, Error, Result, secs};
use crate::crypto::hash_secret;
use crate::crypto::random::{USER_CODE_ALPHABET, USER_CODE_LEN};
use crate::store::{self, LivePoll, NewDeviceCode};

mod decide;
pub use decide::*;

/// RFC 8628 §3.5: after `slow_down` the interval grows by 5 seconds, for
/// this and every later request.
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// Polls up to this much earlier than the interval are accepted: network
/// jitter and timer rounding must not push a polite client into `slow_down`.
pub const POLL_TOLERANCE_MS: i64 = 1_000;
/// One immediate repeat per polling tick is answered like the poll before it.
/// Go's `x/oauth2` retries a failed token request at once with the other
/// client-authentication style, so every tick arrives twice; without this
/// allowance such clients would slow down for ever.
pub const REPEAT_WINDOW_MS: i64 = 2_000;
/// Finished and expired codes are kept this long, so late polls still get
/// `expired_token` or `invalid_grant` (and the admin view shows history).
pub const RETENTION_SECS: i64 = 24 * 60 * 60;
/// The longest User-Agent kept with a request.
const MAX_USER_AGENT: usize = 512;

/// Where a device code is in its life. Each state carries only its own data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    Pending,
    Approved {
        user_id: String,
        decided_at: i64,
    },
    Denied {
        user_id: String,
        decided_at: i64,
    },
    Redeemed {
        user_id: String,
        decided_at: i64,
        redeemed_at: i64,
    },
}

impl DeviceState {
    pub fn name(&self) -> &'static str {
        match self {
            DeviceState::Pending => "pending",
            DeviceState::Approved { .. } => "approved",
            DeviceState::Denied { .. } => "denied",
            DeviceState::Redeemed { .. } => "redeemed",
        }
    }
}

/// A device authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub id: String,
    pub client_id: String,
    /// Normalised: eight letters, no separator.
    pub user_code: String,
    pub scope: String,
    pub interval_secs: i64,
    pub last_poll_at_ms: Option<i64>,
    pub poll_repeat_used: bool,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub state: DeviceState,
}

#[cfg(test)]
impl DeviceCode {
    /// A pending code of client `c` (user code `BCDFGHJK`, never polled,
    /// expiring at 100 s), for unit tests to vary.
    pub(crate) fn example() -> Self {
        Self {
            id: "d".into(),
            client_id: "c".into(),
            user_code: "BCDFGHJK".into(),
            scope: "read".into(),
            interval_secs: 5,
            last_poll_at_ms: None,
            poll_repeat_used: false,
            requester_ip: None,
            user_agent: None,
            created_at: 0,
            expires_at: 100,
            state: DeviceState::Pending,
        }
    }
}

impl DeviceCode {
    /// The code as `row` inserts it: pending, never polled.
    fn issued(row: NewDeviceCode) -> Self {
        Self {
            id: row.id,
            client_id: row.client_id,
            user_code: row.user_code,
            scope: row.scope,
            interval_secs: row.interval_secs,
            last_poll_at_ms: None,
            poll_repeat_used: false,
            requester_ip: row.requester_ip,
            user_agent: row.user_agent,
            created_at: row.created_at,
            expires_at: row.expires_at,
            state: DeviceState::Pending,
        }
    }

    pub fn is_expired(&self, now_secs: i64) -> bool {
        now_secs >= self.expires_at
    }
}

/// Turns what a person typed into a stored user code: case-insensitive,
/// ignoring spaces, dashes and other punctuation. `None` if what remains is
/// not eight letters of the user-code alphabet.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// The displayed form of a normalised user code: `XXXX-XXXX`.
pub fn format_user_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(a), Some(b)) if !b.is_empty() => format!("{a}-{b}"),
        _ => code.to_owned(),
    }
}

/// A device's request for authorization (RFC 8628 §3.1).
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub client: ClientCredentials,
    pub scope: Option<String>,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The answer to a device (RFC 8628 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub device_code: String,
    /// Display form, `XXXX-XXXX`.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Issues a device code and user code to an authenticated client.
pub async fn start(core: &Core, req: StartRequest) -> Result<Started> {
    let client = client::authenticate(core, &req.client).await?;
    let scope = resolve_scope(&client, req.scope.as_deref())?;
    let device_code = core.random.token(32);
    let now = core.clock.now_secs();
    let expires_in = secs(core.policy.device_code_ttl);
    let interval = secs(core.policy.poll_interval);
    let user_agent = req.user_agent.map(|ua| truncate(ua, MAX_USER_AGENT));
    // A clash among 20^8 codes is rare but possible; try a few fresh ones.
    for _ in 0..8 {
        let user_code = core.random.user_code();
        let row = NewDeviceCode {
            id: core.random.ordered_id(core.clock.now_ms()),
            device_code_hash: hash_secret(&device_code),
            user_code: user_code.clone(),
            client_id: client.id.clone(),
            scope: scope.to_string(),
            interval_secs: interval,
            requester_ip: req.requester_ip.clone(),
            user_agent: user_agent.clone(),
            created_at: now,
            expires_at: now + expires_in,
        };
        match core.store.insert_device_code(&row).await {
            Ok(()) => {
                core.store
                    .changes()
                    .remember_pending(DeviceCode::issued(row), core.clock.now_ms());
                tracing::info!(client_id = %client.id, "device code issued");
                core.metrics
                    .device_code(crate::metrics::DeviceCodeEvent::Issued);
                let verification_uri = core.policy.verification_uri();
                let display = format_user_code(&user_code);
                return Ok(Started {
                    device_code,
                    verification_uri_complete: format!("{verification_uri}?user_code={display}"),
                    verification_uri,
                    user_code: display,
                    expires_in,
                    interval,
                });
            }
            Err(store::Error::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Internal(
        "could not allocate a unique user code".into(),
    ))
}

/// The requested scope, or all the client may have when none is requested.
fn resolve_scope(client: &Client, requested: Option<&str>) -> Result<Scopes> {
    let requested = Scopes::parse(requested.unwrap_or("")).map_err(Error::InvalidScope)?;
    if requested.is_empty() {
        return Ok(client.allowed_scopes.clone());
    }
    let missing: Vec<&str> = requested.missing_from(&client.allowed_scopes).collect();
    if missing.is_empty() {
        Ok(requested)
    } else {
        Err(Error::InvalidScope(format!(
            "scope not allowed for this client: {}",
            missing.join(" ")
        )))
    }
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// What a poll's bookkeeping writes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollUpdate {
    pub last_poll_at_ms: i64,
    pub interval_secs: i64,
    pub repeat_used: bool,
}

/// The outcome of one poll, decided from the stored code and the clock alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollVerdict {
    Pending(PollUpdate),
    SlowDown(PollUpdate),
    Denied,
    Expired,
    Redeem {
        user_id: String,
    },
    /// The code was already exchanged for a token: it has leaked.
    Replayed,
}

/// How a pending code has been polled: the RFC 8628 §3.5 bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    pub interval_secs: i64,
    pub last_poll_at_ms: Option<i64>,
    pub repeat_used: bool,
}

/// Applies RFC 8628 §3.5 to one poll at `now_ms`.
pub fn judge_poll(code: &DeviceCode, now_ms: i64) -> PollVerdict {
    match &code.state {
        DeviceState::Redeemed { .. } => return PollVerdict::Replayed,
        DeviceState::Denied { .. } => return PollVerdict::Denied,
        DeviceState::Pending | DeviceState::Approved { .. } => {}
    }
    if now_ms >= code.expires_at.saturating_mul(1000) {
        return PollVerdict::Expired;
    }
    if let DeviceState::Approved { user_id, .. } = &code.state {
        return PollVerdict::Redeem {
            user_id: user_id.clone(),
        };
    }
    pace(
        Pacing {
            interval_secs: code.interval_secs,
            last_poll_at_ms: code.last_poll_at_ms,
            repeat_used: code.poll_repeat_used,
        },
        now_ms,
    )
}

/// The pacing rule alone, for a live pending code: `Pending` or `SlowDown`.
pub fn pace(pacing: Pacing, now_ms: i64) -> PollVerdict {
    let accepted = PollUpdate {
        last_poll_at_ms: now_ms,
        interval_secs: pacing.interval_secs,
        repeat_used: false,
    };
    let Some(last) = pacing.last_poll_at_ms else {
        // The first poll is never throttled.
        return PollVerdict::Pending(accepted);
    };
    let elapsed = now_ms - last;
    if elapsed >= pacing.interval_secs * 1000 - POLL_TOLERANCE_MS {
        PollVerdict::Pending(accepted)
    } else if elapsed < REPEAT_WINDOW_MS && !pacing.repeat_used {
        PollVerdict::Pending(PollUpdate {
            last_poll_at_ms: last,
            interval_secs: pacing.interval_secs,
            repeat_used: true,
        })
    } else {
        PollVerdict::SlowDown(PollUpdate {
            last_poll_at_ms: now_ms,
            interval_secs: pacing.interval_secs + SLOW_DOWN_STEP_SECS,
            repeat_used: false,
        })
    }
}

/// Answers a poll from the live state of a pending code, or `None` when
/// it has expired (the database path then answers).
fn answer_live(live: &mut LivePoll, client_id: &str, now_ms: i64) -> Option<Result<IssuedToken>> {
    if now_ms >= live.expires_at.saturating_mul(1000) {
        return None;
    }
    if live.client_id != client_id {
        return Some(Err(foreign_code()));
    }
    let pacing = Pacing {
        interval_secs: live.interval_secs,
        last_poll_at_ms: live.last_poll_at_ms,
        repeat_used: live.repeat_used,
    };
    let (update, answer) = match pace(pacing, now_ms) {
        PollVerdict::SlowDown(u) => (
            u,
            Error::SlowDown {
                interval: u.interval_secs,
            },
        ),
        PollVerdict::Pending(u) => (u, Error::AuthorizationPending),
        _ => return None,
    };
    live.last_poll_at_ms = Some(update.last_poll_at_ms);
    live.interval_secs = update.interval_secs;
    live.repeat_used = update.repeat_used;
    live.dirty = true;
    Some(Err(answer))
}

fn foreign_code() -> Error {
    Error::InvalidGrant("the device code was issued to another client".into())
}

/// A device's token request with the device-code grant (RFC 8628 §3.4).
#[derive(Debug, Clone)]
pub struct PollRequest {
    pub client: ClientCredentials,
    pub device_code: String,
}

/// Answers one poll: an error that speaks RFC 8628 §3.5, or the token.
///
/// A pending code's polls are answered from memory (see
/// [`crate::store::Changes`]): the first poll loads it, later ones only
/// pace it, and the pacing is written behind ([`write_behind_polls`]). A
/// decision makes the store forget the code, so the next poll reads the
/// database again and meets the approval or denial.
pub async fn poll(core: &Core, req: PollRequest) -> Result<IssuedToken> {
    let client = client::authenticate(core, &req.client).await?;
    let hash = hash_secret(&req.device_code);
    let changes = core.store.changes();
    let now_ms = core.clock.now_ms();
    let from_memory = || {
        changes
            .with_live_poll(&hash, now_ms, |live| answer_live(live, &client.id, now_ms))
            .flatten()
    };
    if let Some(answer) = from_memory() {
        return answer;
    }
    if let Some(code) = changes.take_decided(&hash, now_ms)
        && code.client_id == client.id
        && let PollVerdict::Redeem { user_id } = judge_poll(&code, now_ms)
    {
        // Decided here a moment ago. A lost redemption falls through to the
        // database, which tells a replay (tokens revoked) from a race.
        match token::redeem_device_code(core, &client, &code, &user_id).await {
            Err(Error::InvalidGrant(_)) => {}
            answer => return answer,
        }
    }
    // Read before the database, so a decision racing this read is noticed.
    let epoch = changes.codes_epoch();
    let code = core
        .store
        .find_device_code_by_hash(&hash)
        .await?
        .ok_or_else(|| Error::InvalidGrant("unknown device code".into()))?;
    if code.client_id != client.id {
        return Err(foreign_code());
    }
    if code.state == DeviceState::Pending && !code.is_expired(now_ms.div_euclid(1000)) {
        let live = LivePoll {
            id: code.id.clone(),
            client_id: code.client_id.clone(),
            expires_at: code.expires_at,
            interval_secs: code.interval_secs,
            last_poll_at_ms: code.last_poll_at_ms,
            repeat_used: code.poll_repeat_used,
            loaded_at_ms: now_ms,
            dirty: false,
        };
        if changes.remember_poll(&hash, epoch, live)
            && let Some(answer) = from_memory()
        {
            return answer;
        }
    } else {
        changes.drop_poll(&hash);
    }
    match judge_poll(&code, now_ms) {
        PollVerdict::Pending(update) => {
            core.store.record_poll(&code.id, &update).await?;
            Err(Error::AuthorizationPending)
        }
        PollVerdict::SlowDown(update) => {
            core.store.record_poll(&code.id, &update).await?;
            Err(Error::SlowDown {
                interval: update.interval_secs,
            })
        }
        PollVerdict::Denied => Err(Error::AccessDenied),
        PollVerdict::Expired => {
            core.metrics
                .device_code(crate::metrics::DeviceCodeEvent::Expired);
            Err(Error::ExpiredToken)
        }
        PollVerdict::Redeem { user_id } => {
            token::redeem_device_code(core, &client, &code, &user_id).await
        }
        PollVerdict::Replayed => {
            // Unless its redemption's answer was lost: see domain/token.rs.
            if let Some(tokens) = token::retried(core, &client, &code).await? {
                return Ok(tokens);
            }
            let now = core.clock.now_secs();
            let mut revoked = core
                .store
                .revoke_tokens_of_device_code(&code.id, now)
                .await?;
            if let Some(grant) = core.store.grant_of_device_code(&code.id).await? {
                revoked += u64::from(core.store.revoke_grant(&grant, None, now).await?);
            }
            tracing::warn!(
                client_id = %client.id,
                revoked,
                "redeemed device code presented again; its tokens are revoked"
            );
            if revoked > 0 {
                core.metrics.tokens_revoked(crate::metrics::Revoker::Replay);
            }
            Err(Error::InvalidGrant(
                "the device code has already been used".into(),
            ))
        }
    }
}

/// Writes the pacing of live polls to the database: for the admin views,
/// for other instances, and so a restart keeps grown intervals. Returns how
/// many codes were written. Run every second and at shutdown.
pub async fn write_behind_polls(core: &Core) -> Result<usize> {
    Ok(core.store.save_polls(core.clock.now_secs()).await?)
}

#[cfg(test)]
mod tests;
