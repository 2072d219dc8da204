//! A refresh token (RFC 6749 §6) as one model type: `Active` until it is
//! rotated (exchanged for its successor, once) or revoked, alone or with
//! its grant. Expiry, a revoked grant and a disabled user or client are
//! derived, never stored as its state.
//!
//! Rotation is the single-use transition: [`RefreshToken::rotate`] says
//! whether it may happen and why not, and the store's `UPDATE` names the
//! state it leaves ([`Rotation::LEAVES`]), so of two concurrent rotations
//! of one token exactly one wins. Presenting a rotated token again is
//! [`RefreshRefusal::Reused`]: it has leaked, and the caller revokes the
//! grant (OAuth 2.0 Security BCP §4.14).

use super::authn::Authentication;
use super::ids::{ClientId, GrantId, RefreshTokenId, UserId};
use super::time::UnixSecs;

/// A stored state's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshStatus {
    Active,
    Rotated,
    Revoked,
}

/// Where a refresh token is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshState {
    Active,
    /// Exchanged for a successor at `at`.
    Rotated {
        at: UnixSecs,
    },
    /// Revoked at `at` (by its user, an administrator or a reuse).
    Revoked {
        at: UnixSecs,
    },
}

impl RefreshState {
    pub fn status(self) -> RefreshStatus {
        match self {
            RefreshState::Active => RefreshStatus::Active,
            RefreshState::Rotated { .. } => RefreshStatus::Rotated,
            RefreshState::Revoked { .. } => RefreshStatus::Revoked,
        }
    }

    /// The state the `consumed_at` and `revoked_at` columns describe. A
    /// token revoked after it was rotated counts as revoked.
    pub fn from_columns(consumed_at: Option<UnixSecs>, revoked_at: Option<UnixSecs>) -> Self {
        match (consumed_at, revoked_at) {
            (_, Some(at)) => RefreshState::Revoked { at },
            (Some(at), None) => RefreshState::Rotated { at },
            (None, None) => RefreshState::Active,
        }
    }
}

/// The rotation transition.
pub struct Rotation;

impl Rotation {
    /// The state a token must be in to be rotated.
    pub const LEAVES: RefreshStatus = RefreshStatus::Active;
    /// The state it is in afterwards.
    pub const ENTERS: RefreshStatus = RefreshStatus::Rotated;
}

/// Why a refresh token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// Issued to another client.
    ForeignClient,
    /// Already rotated, and its grant still stands: it has leaked.
    Reused,
    /// Revoked, or its grant was.
    Revoked,
    Expired,
    /// Its user is disabled.
    UserDisabled,
    /// Its client is disabled.
    ClientDisabled,
    /// Its grant started with DPoP and the request has no proof.
    DpopProofMissing,
    /// Bound to a DPoP key (a public client's) and proved with another.
    DpopKeyMismatch,
}

impl RefreshRefusal {
    /// What the token endpoint says (RFC 6749 §5.2 `invalid_grant`).
    pub fn describe(self) -> &'static str {
        match self {
            RefreshRefusal::ForeignClient => "the refresh token was issued to another client",
            RefreshRefusal::Reused => "the refresh token has already been used",
            RefreshRefusal::Revoked => "the refresh token has been revoked",
            RefreshRefusal::Expired => "the refresh token has expired",
            RefreshRefusal::UserDisabled => "the user is disabled",
            RefreshRefusal::ClientDisabled => "the client is disabled",
            RefreshRefusal::DpopProofMissing => {
                "the refresh token was issued with DPoP: send a DPoP proof to refresh it"
            }
            RefreshRefusal::DpopKeyMismatch => {
                "the refresh token is bound to another DPoP key than the proof's"
            }
        }
    }
}

/// A refresh token as stored, with what decides whether it may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub id: RefreshTokenId,
    pub grant_id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub username: String,
    pub scope: String,
    pub issued_at: UnixSecs,
    pub expires_at: UnixSecs,
    pub state: RefreshState,
    pub grant_revoked: bool,
    pub user_disabled: bool,
    pub client_disabled: bool,
    /// When and how the person behind the grant signed in (OpenID
    /// Connect `auth_time`, `amr`).
    pub authn: Authentication,
    /// RFC 8707: the resources the grant was approved for. A refresh may
    /// ask for a subset; rotation keeps them all (they are the grant's).
    pub resources: Vec<String>,
    /// The thumbprint of the DPoP key its tokens were bound to when it was
    /// issued (RFC 9449 §5); `None` for a bearer grant.
    pub dpop_jkt: Option<String>,
}

impl RefreshToken {
    /// The audience of the access token a refresh naming `requested`
    /// gets (RFC 8707 §2.2): a subset of the grant's resources, all of them
    /// when none is named — never one outside (`Err` says why, for
    /// `invalid_target`).
    pub fn resources_for(&self, requested: &[String]) -> Result<Vec<String>, String> {
        super::resource::narrow(requested, &self.resources)
    }

    /// Whether `client_id` may use this token at `now_secs`, in the order
    /// the checks matter: a reuse is reported before anything else about a
    /// live grant, so the caller can revoke it.
    pub fn usable_by(&self, client_id: &str, now_secs: UnixSecs) -> Result<(), RefreshRefusal> {
        if self.client_id != client_id {
            return Err(RefreshRefusal::ForeignClient);
        }
        self.usable(now_secs)
    }

    /// Whether the token is live at `now_secs`, whoever asks
    /// (introspection); see [`RefreshToken::usable_by`].
    pub fn usable(&self, now_secs: UnixSecs) -> Result<(), RefreshRefusal> {
        match self.state {
            RefreshState::Rotated { .. } if !self.grant_revoked => {
                return Err(RefreshRefusal::Reused);
            }
            RefreshState::Active if !self.grant_revoked => {}
            _ => return Err(RefreshRefusal::Revoked),
        }
        if now_secs >= self.expires_at {
            return Err(RefreshRefusal::Expired);
        }
        if self.user_disabled {
            return Err(RefreshRefusal::UserDisabled);
        }
        if self.client_disabled {
            return Err(RefreshRefusal::ClientDisabled);
        }
        Ok(())
    }

    /// Whether a request proving the DPoP key `proven` (if any) may
    /// refresh this token (RFC 9449 §5): a grant started with DPoP stays
    /// DPoP, and a public client's token is bound to its key — a
    /// confidential client authenticates anyway, so it may change keys.
    pub fn proof_fits(
        &self,
        proven: Option<&str>,
        public_client: bool,
    ) -> Result<(), RefreshRefusal> {
        match (&self.dpop_jkt, proven) {
            (None, _) => Ok(()),
            (Some(_), None) => Err(RefreshRefusal::DpopProofMissing),
            (Some(bound), Some(proven)) if public_client && bound != proven => {
                Err(RefreshRefusal::DpopKeyMismatch)
            }
            (Some(_), Some(_)) => Ok(()),
        }
    }

    /// The token after `client_id` exchanged it at `now_secs`.
    pub fn rotate(&self, client_id: &str, now_secs: UnixSecs) -> Result<Self, RefreshRefusal> {
        self.usable_by(client_id, now_secs)?;
        Ok(Self {
            state: RefreshState::Rotated { at: now_secs },
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::authn::Amr;

    fn token() -> RefreshToken {
        RefreshToken {
            id: "r".into(),
            grant_id: "g".into(),
            client_id: "c".into(),
            user_id: "u".into(),
            username: "ada".into(),
            scope: "read".into(),
            issued_at: UnixSecs(0),
            expires_at: UnixSecs(100),
            state: RefreshState::Active,
            grant_revoked: false,
            user_disabled: false,
            client_disabled: false,
            authn: Authentication {
                time: UnixSecs(0),
                amr: Amr::password(),
            },
            resources: Vec::new(),
            dpop_jkt: None,
        }
    }

    #[test]
    fn a_token_rotates_once_and_a_second_use_is_a_reuse() {
        let rotated = token().rotate("c", UnixSecs(10)).unwrap();
        assert_eq!(rotated.state, RefreshState::Rotated { at: UnixSecs(10) });
        assert_eq!(
            rotated.rotate("c", UnixSecs(11)),
            Err(RefreshRefusal::Reused)
        );
        assert_eq!(rotated.state.status(), Rotation::ENTERS);
        assert_eq!(token().state.status(), Rotation::LEAVES);
    }

    #[test]
    fn refusals_in_the_order_that_matters() {
        assert_eq!(
            token().rotate("x", UnixSecs(10)),
            Err(RefreshRefusal::ForeignClient)
        );
        assert_eq!(
            token().rotate("c", UnixSecs(100)),
            Err(RefreshRefusal::Expired)
        );
        let revoked_grant = RefreshToken {
            state: RefreshState::Rotated { at: UnixSecs(5) },
            grant_revoked: true,
            ..token()
        };
        assert_eq!(
            revoked_grant.rotate("c", UnixSecs(10)),
            Err(RefreshRefusal::Revoked),
            "a reuse after the grant went is only a revoked token"
        );
        let disabled = RefreshToken {
            user_disabled: true,
            ..token()
        };
        assert_eq!(
            disabled.rotate("c", UnixSecs(10)),
            Err(RefreshRefusal::UserDisabled)
        );
        assert_eq!(
            RefreshState::from_columns(Some(UnixSecs(1)), Some(UnixSecs(2))),
            RefreshState::Revoked { at: UnixSecs(2) }
        );
        assert_eq!(
            RefreshState::from_columns(Some(UnixSecs(1)), None),
            RefreshState::Rotated { at: UnixSecs(1) }
        );
    }
}
