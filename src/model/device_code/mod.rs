//! The device authorization grant (RFC 8628) as one model type.
//!
//! A [`DeviceCode`] is in exactly one [`DeviceState`]: `Pending` until a
//! signed-in person approves or denies it (an administrator's cancel is a
//! denial), then an approved code is redeemed exactly once. Expiry is
//! derived from the clock, never stored: [`DeviceCode::standing`] says
//! where a code stands at a given time, expired included.
//!
//! Each change of state is a [`Transition`] with a method here that returns
//! the new code or a typed [`Refusal`]. Which state a transition leaves and
//! which it enters is said once, by [`Transition::leaves`] and
//! [`Transition::enters`]; the store's guarded statements ask those (their
//! `WHERE` names the state left, so a lost race changes zero rows), and
//! [`DeviceStatus::as_str`] is the only place a status is spelled.

mod pacing;

pub use pacing::*;

use super::authn::Authentication;
use super::ids::{ClientId, DeviceCodeId, UserId};
use super::time::{UnixMs, UnixSecs};
use super::user_code::UserCode;

/// A stored state's name: the `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Redeemed,
}

impl DeviceStatus {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Approved, Self::Denied, Self::Redeemed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a device code is in its life. Each state carries only its own data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceState {
    Pending,
    Approved {
        user_id: UserId,
        decided_at: UnixSecs,
    },
    Denied {
        user_id: UserId,
        decided_at: UnixSecs,
    },
    Redeemed {
        user_id: UserId,
        decided_at: UnixSecs,
        redeemed_at: UnixSecs,
    },
}

impl DeviceState {
    pub fn status(&self) -> DeviceStatus {
        match self {
            DeviceState::Pending => DeviceStatus::Pending,
            DeviceState::Approved { .. } => DeviceStatus::Approved,
            DeviceState::Denied { .. } => DeviceStatus::Denied,
            DeviceState::Redeemed { .. } => DeviceStatus::Redeemed,
        }
    }

    /// Who approved or denied the code, once someone has.
    pub fn decided_by(&self) -> Option<&UserId> {
        match self {
            DeviceState::Pending => None,
            DeviceState::Approved { user_id, .. }
            | DeviceState::Denied { user_id, .. }
            | DeviceState::Redeemed { user_id, .. } => Some(user_id),
        }
    }

    /// When it was approved or denied, once it was.
    pub fn decided_at(&self) -> Option<UnixSecs> {
        match self {
            DeviceState::Pending => None,
            DeviceState::Approved { decided_at, .. }
            | DeviceState::Denied { decided_at, .. }
            | DeviceState::Redeemed { decided_at, .. } => Some(*decided_at),
        }
    }

    /// The state a row's columns describe, or `None` when they fit no state.
    pub fn from_columns(
        status: &str,
        user_id: Option<UserId>,
        decided_at: Option<UnixSecs>,
        redeemed_at: Option<UnixSecs>,
    ) -> Option<Self> {
        let state = match (
            DeviceStatus::parse(status)?,
            user_id,
            decided_at,
            redeemed_at,
        ) {
            (DeviceStatus::Pending, None, None, None) => DeviceState::Pending,
            (DeviceStatus::Approved, Some(user_id), Some(decided_at), None) => {
                DeviceState::Approved {
                    user_id,
                    decided_at,
                }
            }
            (DeviceStatus::Denied, Some(user_id), Some(decided_at), None) => DeviceState::Denied {
                user_id,
                decided_at,
            },
            (DeviceStatus::Redeemed, Some(user_id), Some(decided_at), Some(redeemed_at)) => {
                DeviceState::Redeemed {
                    user_id,
                    decided_at,
                    redeemed_at,
                }
            }
            _ => return None,
        };
        Some(state)
    }
}

/// A person's decision on a device request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    /// The decision a consent form's `decision` field names
    /// (`approve` or `deny`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Decision::Approve),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }

    pub fn transition(self) -> Transition {
        match self {
            Decision::Approve => Transition::Approve,
            Decision::Deny => Transition::Deny,
        }
    }
}

/// The stored changes of state a device code can go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A person lets the device in.
    Approve,
    /// A person refuses; the device gets `access_denied`.
    Deny,
    /// An administrator denies a pending request on the person's behalf.
    Cancel,
    /// The device exchanges its approved code for tokens, once.
    Redeem,
}

impl Transition {
    /// The state a code must be in (and live) to go through this.
    pub const fn leaves(self) -> DeviceStatus {
        match self {
            Transition::Approve | Transition::Deny | Transition::Cancel => DeviceStatus::Pending,
            Transition::Redeem => DeviceStatus::Approved,
        }
    }

    /// The state it is in afterwards.
    pub const fn enters(self) -> DeviceStatus {
        match self {
            Transition::Approve => DeviceStatus::Approved,
            Transition::Deny | Transition::Cancel => DeviceStatus::Denied,
            Transition::Redeem => DeviceStatus::Redeemed,
        }
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The code outlived `expires_at`.
    Expired,
    /// The code is in another state than the transition leaves.
    WrongState {
        current: DeviceStatus,
        transition: Transition,
    },
}

/// Where a code stands at some moment: its stored state, or `Expired` when
/// a pending or approved code outlived `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    Pending,
    /// Approved; the device has not collected its token yet.
    Approved,
    /// Approved and exchanged for a token.
    Redeemed,
    Denied,
    Expired,
}

impl Standing {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Approved,
        Self::Redeemed,
        Self::Denied,
        Self::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => DeviceStatus::Pending.as_str(),
            Self::Approved => DeviceStatus::Approved.as_str(),
            Self::Redeemed => DeviceStatus::Redeemed.as_str(),
            Self::Denied => DeviceStatus::Denied.as_str(),
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A device authorization request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub id: DeviceCodeId,
    pub client_id: ClientId,
    pub user_code: UserCode,
    pub scope: String,
    /// The polling interval in seconds (RFC 8628 `interval`), grown by
    /// `slow_down`.
    pub interval_secs: i64,
    pub last_poll_at_ms: Option<UnixMs>,
    pub poll_repeat_used: bool,
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: UnixSecs,
    pub expires_at: UnixSecs,
    pub state: DeviceState,
    /// RFC 7636 on the device grant: the S256 challenge the device sent
    /// with its request; redeeming then needs the matching verifier.
    pub code_challenge: Option<String>,
    /// When and how the approving person signed in (OpenID Connect
    /// `auth_time`, `amr`); set with an approval.
    pub authn: Option<Authentication>,
    /// RFC 8707: the resources (APIs) the device request named, checked
    /// against the client's allowlist; what the person approves, and the
    /// most its tokens may be for. Empty: tokens for the issuer.
    pub resources: Vec<String>,
}

/// What a poll of a code gets (RFC 8628 §3.5), decided from the code and the
/// clock alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// Still pending and live: `authorization_pending` or `slow_down`.
    Paced(Paced),
    Denied,
    Expired,
    /// Approved and live: the device gets its tokens.
    Redeem {
        user_id: UserId,
    },
    /// Already exchanged for tokens: the code has leaked.
    Replayed,
}

impl DeviceCode {
    pub fn is_expired(&self, now_secs: UnixSecs) -> bool {
        now_secs >= self.expires_at
    }

    pub fn status(&self) -> DeviceStatus {
        self.state.status()
    }

    /// When it was approved or denied, once it was.
    pub fn decided_at(&self) -> Option<UnixSecs> {
        self.state.decided_at()
    }

    /// Where the code stands at `now_secs`.
    pub fn standing(&self, now_secs: UnixSecs) -> Standing {
        match self.state {
            DeviceState::Redeemed { .. } => Standing::Redeemed,
            DeviceState::Denied { .. } => Standing::Denied,
            _ if self.is_expired(now_secs) => Standing::Expired,
            DeviceState::Approved { .. } => Standing::Approved,
            DeviceState::Pending => Standing::Pending,
        }
    }

    /// The code's polling record.
    pub fn pacing(&self) -> Pacing {
        Pacing {
            interval_secs: self.interval_secs,
            last_poll_at_ms: self.last_poll_at_ms,
            repeat_used: self.poll_repeat_used,
        }
    }

    /// Whether `transition` may start from this code at `now_secs`.
    pub fn check(&self, transition: Transition, now_secs: UnixSecs) -> Result<(), Refusal> {
        let current = self.status();
        if current != transition.leaves() {
            return Err(Refusal::WrongState {
                current,
                transition,
            });
        }
        if self.is_expired(now_secs) {
            return Err(Refusal::Expired);
        }
        Ok(())
    }

    /// `user_id`'s approval at `now_secs`.
    pub fn approve(&self, user_id: &UserId, now_secs: UnixSecs) -> Result<Self, Refusal> {
        self.decide(Transition::Approve, user_id, now_secs)
    }

    /// `user_id`'s denial at `now_secs`.
    pub fn deny(&self, user_id: &UserId, now_secs: UnixSecs) -> Result<Self, Refusal> {
        self.decide(Transition::Deny, user_id, now_secs)
    }

    /// Administrator `admin_id`'s denial at `now_secs` on a person's behalf.
    pub fn cancel(&self, admin_id: &UserId, now_secs: UnixSecs) -> Result<Self, Refusal> {
        self.decide(Transition::Cancel, admin_id, now_secs)
    }

    /// The code after `decision` by `user_id`, who signed in as `authn`
    /// says (kept with an approval for the ID token).
    pub fn decided(
        &self,
        decision: Decision,
        user_id: &UserId,
        now_secs: UnixSecs,
        authn: Authentication,
    ) -> Result<Self, Refusal> {
        let decided = self.decide(decision.transition(), user_id, now_secs)?;
        Ok(match decision {
            Decision::Approve => Self {
                authn: Some(authn),
                ..decided
            },
            Decision::Deny => decided,
        })
    }

    /// Whether `verifier` satisfies the code's PKCE challenge (RFC 7636
    /// §4.6): a code issued with a challenge needs its verifier; one
    /// issued without refuses a verifier, so PKCE cannot be stripped or
    /// faked (RFC 9700 §2.1.1).
    pub fn pkce_satisfied(&self, verifier: Option<&str>) -> bool {
        match (&self.code_challenge, verifier) {
            (Some(challenge), Some(verifier)) => {
                super::authorization_code::pkce_matches(verifier, challenge)
            }
            (None, None) => true,
            _ => false,
        }
    }

    /// The audience of a token for a redemption that names `requested`
    /// (RFC 8707 §2.2): a subset of the approved resources, all of them
    /// when none is named. `Err` says why, for `invalid_target`.
    pub fn resources_for(&self, requested: &[String]) -> Result<Vec<String>, String> {
        super::resource::narrow(requested, &self.resources)
    }

    fn decide(
        &self,
        transition: Transition,
        user_id: &UserId,
        now: UnixSecs,
    ) -> Result<Self, Refusal> {
        self.check(transition, now)?;
        let user_id = user_id.clone();
        let state = match transition.enters() {
            DeviceStatus::Approved => DeviceState::Approved {
                user_id,
                decided_at: now,
            },
            _ => DeviceState::Denied {
                user_id,
                decided_at: now,
            },
        };
        Ok(Self {
            state,
            ..self.clone()
        })
    }

    /// The approved code after its exchange for tokens at `now_secs`.
    pub fn redeem(&self, now_secs: UnixSecs) -> Result<Self, Refusal> {
        self.check(Transition::Redeem, now_secs)?;
        let DeviceState::Approved {
            user_id,
            decided_at,
        } = &self.state
        else {
            return Err(Refusal::WrongState {
                current: self.status(),
                transition: Transition::Redeem,
            });
        };
        Ok(Self {
            state: DeviceState::Redeemed {
                user_id: user_id.clone(),
                decided_at: *decided_at,
                redeemed_at: now_secs,
            },
            ..self.clone()
        })
    }

    /// Applies RFC 8628 §3.5 to a poll at `now_ms`. A denial is final even
    /// after expiry; a pending or approved code that expired is `Expired`.
    pub fn judge_poll(&self, now_ms: UnixMs) -> PollOutcome {
        match &self.state {
            DeviceState::Redeemed { .. } => return PollOutcome::Replayed,
            DeviceState::Denied { .. } => return PollOutcome::Denied,
            DeviceState::Pending | DeviceState::Approved { .. } => {}
        }
        if now_ms >= self.expires_at.as_ms() {
            return PollOutcome::Expired;
        }
        match &self.state {
            DeviceState::Approved { user_id, .. } => PollOutcome::Redeem {
                user_id: user_id.clone(),
            },
            _ => PollOutcome::Paced(self.pacing().pace(now_ms)),
        }
    }
}

#[cfg(test)]
impl DeviceCode {
    /// A pending code of client `c` (user code `BCDF-GHJK`, never polled,
    /// expiring at 100 s), for unit tests to vary.
    pub(crate) fn example() -> Self {
        Self {
            id: "d".into(),
            client_id: "c".into(),
            user_code: UserCode::parse("BCDFGHJK").unwrap_or_else(|| unreachable!()),
            scope: "read".into(),
            interval_secs: 5,
            last_poll_at_ms: None,
            poll_repeat_used: false,
            requester_ip: None,
            user_agent: None,
            created_at: UnixSecs(0),
            expires_at: UnixSecs(100),
            state: DeviceState::Pending,
            code_challenge: None,
            authn: None,
            resources: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
