//! The authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636) as
//! one model type.
//!
//! An [`AuthorizationCode`] is `Issued` when a signed-in person approves an
//! application, and is redeemed for tokens exactly once. Expiry is derived
//! from the clock, never stored. [`AuthorizationCode::redeem`] says whether
//! a token request may redeem it and why not; the store's guarded `UPDATE`
//! names the state it leaves ([`CodeTransition::leaves`]), so of concurrent
//! redemptions exactly one wins. A code presented again after its
//! redemption is [`CodeRefusal::AlreadyRedeemed`]: it has leaked, and the
//! caller revokes what it produced (RFC 6749 §4.1.2).
//!
//! The PKCE check is a pure function here ([`pkce_matches`]): a verifier
//! of 43 to 128 unreserved characters whose SHA-256, in unpadded
//! base64url, equals the challenge (RFC 7636 §4.1, §4.6), compared in
//! constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::authn::Authentication;
use super::ids::{AuthorizationCodeId, ClientId, GrantId, UserId};
use super::time::UnixSecs;

/// A stored state's name: the `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeStatus {
    Issued,
    Redeemed,
}

impl CodeStatus {
    pub const ALL: [Self; 2] = [Self::Issued, Self::Redeemed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Redeemed => "redeemed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a code is in its life. Each state carries only its own data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeState {
    Issued,
    /// Exchanged for the tokens of grant `grant_id` at `redeemed_at`.
    Redeemed {
        redeemed_at: UnixSecs,
        grant_id: GrantId,
    },
}

impl CodeState {
    pub fn status(&self) -> CodeStatus {
        match self {
            CodeState::Issued => CodeStatus::Issued,
            CodeState::Redeemed { .. } => CodeStatus::Redeemed,
        }
    }

    /// The state a row's columns describe, or `None` when they fit no state.
    pub fn from_columns(
        status: &str,
        redeemed_at: Option<UnixSecs>,
        grant_id: Option<GrantId>,
    ) -> Option<Self> {
        match (CodeStatus::parse(status)?, redeemed_at, grant_id) {
            (CodeStatus::Issued, None, None) => Some(CodeState::Issued),
            (CodeStatus::Redeemed, Some(redeemed_at), Some(grant_id)) => {
                Some(CodeState::Redeemed {
                    redeemed_at,
                    grant_id,
                })
            }
            _ => None,
        }
    }
}

/// The stored changes of state a code can go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTransition {
    /// The client exchanges the code for tokens, once.
    Redeem,
}

impl CodeTransition {
    /// The state a code must be in (and live) to go through this.
    pub const fn leaves(self) -> CodeStatus {
        match self {
            CodeTransition::Redeem => CodeStatus::Issued,
        }
    }

    /// The state it is in afterwards.
    pub const fn enters(self) -> CodeStatus {
        match self {
            CodeTransition::Redeem => CodeStatus::Redeemed,
        }
    }
}

/// Why a token request may not redeem a code. Each is `invalid_grant`
/// (RFC 6749 §5.2); [`CodeRefusal::AlreadyRedeemed`] also revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Already exchanged: the tokens of `grant_id` must be revoked.
    AlreadyRedeemed {
        grant_id: GrantId,
    },
    /// Issued to another client.
    WrongClient,
    Expired,
    /// The token request's `redirect_uri` is not the authorization
    /// request's (RFC 6749 §4.1.3).
    RedirectUriMismatch,
    /// The verifier is missing, malformed or does not match the challenge,
    /// or was sent for a code issued without one (RFC 7636 §4.6).
    PkceMismatch,
}

impl CodeRefusal {
    /// What the token endpoint says.
    pub fn describe(&self) -> &'static str {
        match self {
            CodeRefusal::AlreadyRedeemed { .. } => "the authorization code has already been used",
            CodeRefusal::WrongClient => "the authorization code was issued to another client",
            CodeRefusal::Expired => "the authorization code has expired",
            CodeRefusal::RedirectUriMismatch => {
                "redirect_uri does not match the authorization request"
            }
            CodeRefusal::PkceMismatch => "code_verifier does not match the code_challenge",
        }
    }
}

/// An authorization code as stored (the code itself only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub id: AuthorizationCodeId,
    pub client_id: ClientId,
    pub user_id: UserId,
    /// Where the code was sent: the request's `redirect_uri`, or the
    /// client's only registered one when the request named none.
    pub redirect_uri: String,
    /// Whether the request named it; then the token request must repeat it.
    pub redirect_uri_given: bool,
    pub scope: String,
    /// The S256 challenge; `None` only for a confidential client that sent
    /// none.
    pub code_challenge: Option<String>,
    /// OpenID Connect's `nonce`, kept for the ID token.
    pub nonce: Option<String>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the exchange must
    /// prove, when the request named one.
    pub dpop_jkt: Option<String>,
    /// When and how the person signed in.
    pub authn: Authentication,
    pub created_at: UnixSecs,
    pub expires_at: UnixSecs,
    pub state: CodeState,
    /// RFC 8707: the resources the request named and the person approved;
    /// the most the tokens may be for. Empty: tokens for the issuer.
    pub resources: Vec<String>,
}

impl AuthorizationCode {
    pub fn is_expired(&self, now: UnixSecs) -> bool {
        now >= self.expires_at
    }

    /// The audience of the token for an exchange naming `requested` (RFC
    /// 8707 §2.2): a subset of the approved resources, all of them when
    /// none is named. `Err` says why, for `invalid_target`.
    pub fn resources_for(&self, requested: &[String]) -> Result<Vec<String>, String> {
        super::resource::narrow(requested, &self.resources)
    }

    pub fn status(&self) -> CodeStatus {
        self.state.status()
    }

    /// The code after `client_id` exchanged it at `now` for the tokens of
    /// grant `grant_id`, presenting `redirect_uri` and `code_verifier`.
    /// Checked in the order that matters: a second use is reported before
    /// anything else, so the caller can revoke.
    pub fn redeem(
        &self,
        now: UnixSecs,
        client_id: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        grant_id: GrantId,
    ) -> Result<Self, CodeRefusal> {
        if let CodeState::Redeemed { grant_id, .. } = &self.state {
            return Err(CodeRefusal::AlreadyRedeemed {
                grant_id: grant_id.clone(),
            });
        }
        if self.client_id != client_id {
            return Err(CodeRefusal::WrongClient);
        }
        if self.is_expired(now) {
            return Err(CodeRefusal::Expired);
        }
        let redirect_ok = match redirect_uri {
            Some(presented) => presented == self.redirect_uri,
            None => !self.redirect_uri_given,
        };
        if !redirect_ok {
            return Err(CodeRefusal::RedirectUriMismatch);
        }
        let pkce_ok = match (&self.code_challenge, code_verifier) {
            (Some(challenge), Some(verifier)) => pkce_matches(verifier, challenge),
            (None, None) => true,
            // A verifier for a code issued without a challenge would let
            // an attacker strip PKCE from the request (RFC 9700 §2.1.1).
            _ => false,
        };
        if !pkce_ok {
            return Err(CodeRefusal::PkceMismatch);
        }
        Ok(Self {
            state: CodeState::Redeemed {
                redeemed_at: now,
                grant_id,
            },
            ..self.clone()
        })
    }
}

/// RFC 3986 §2.3 unreserved characters, what a verifier is made of.
fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// Whether `verifier` is a well-formed RFC 7636 §4.1 code verifier: 43 to
/// 128 unreserved characters.
pub fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len()) && verifier.bytes().all(is_unreserved)
}

/// Whether `challenge` can be an S256 challenge: the unpadded base64url of
/// a SHA-256, 43 characters.
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// The S256 challenge of `verifier`: BASE64URL(SHA256(ASCII(verifier))).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.6 with `S256`: a well-formed verifier whose challenge
/// equals `challenge`, compared in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    if !valid_verifier(verifier) {
        return false;
    }
    let computed = s256_challenge(verifier);
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::authn::Amr;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn code() -> AuthorizationCode {
        AuthorizationCode {
            id: "a".into(),
            client_id: "c".into(),
            user_id: "u".into(),
            redirect_uri: "https://app.example/cb".into(),
            redirect_uri_given: true,
            scope: "read".into(),
            code_challenge: Some(CHALLENGE.into()),
            nonce: None,
            dpop_jkt: None,
            authn: Authentication {
                time: UnixSecs(0),
                amr: Amr::password(),
            },
            created_at: UnixSecs(0),
            expires_at: UnixSecs(60),
            state: CodeState::Issued,
            resources: Vec::new(),
        }
    }

    fn redeem(
        code: &AuthorizationCode,
        now: i64,
        client: &str,
        uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<AuthorizationCode, CodeRefusal> {
        code.redeem(UnixSecs(now), client, uri, verifier, "g".into())
    }

    #[test]
    fn pkce_s256_follows_rfc_7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert!(pkce_matches(VERIFIER, CHALLENGE));
        assert!(!pkce_matches(VERIFIER, &CHALLENGE.replace('E', "F")));
        assert!(
            !pkce_matches("short", &s256_challenge("short")),
            "too short"
        );
        let long = "a".repeat(129);
        assert!(!pkce_matches(&long, &s256_challenge(&long)), "too long");
        let spaced = format!("{} ", &VERIFIER[..43]);
        assert!(!pkce_matches(&spaced, &s256_challenge(&spaced)), "reserved");
        assert!(valid_verifier(&"~._-".repeat(11)));
        assert!(valid_challenge(CHALLENGE));
        assert!(!valid_challenge(&format!("{CHALLENGE}=")));
        assert!(!valid_challenge("plain-challenge"));
    }

    #[test]
    fn a_code_redeems_once_and_a_second_use_names_its_grant() {
        let redeemed = redeem(
            &code(),
            10,
            "c",
            Some("https://app.example/cb"),
            Some(VERIFIER),
        )
        .expect("redeems");
        assert_eq!(
            redeemed.state,
            CodeState::Redeemed {
                redeemed_at: UnixSecs(10),
                grant_id: "g".into()
            }
        );
        assert_eq!(
            redeem(&redeemed, 11, "other", None, None),
            Err(CodeRefusal::AlreadyRedeemed {
                grant_id: "g".into()
            }),
            "reuse is reported first, whoever presents it"
        );
        assert_eq!(CodeTransition::Redeem.leaves(), code().status());
        assert_eq!(CodeTransition::Redeem.enters(), redeemed.status());
    }

    #[test]
    fn refusals_in_the_order_that_matters() {
        let uri = Some("https://app.example/cb");
        let c = code();
        assert_eq!(
            redeem(&c, 10, "x", uri, Some(VERIFIER)),
            Err(CodeRefusal::WrongClient)
        );
        assert_eq!(
            redeem(&c, 60, "c", uri, Some(VERIFIER)),
            Err(CodeRefusal::Expired)
        );
        for wrong in [
            None,
            Some("https://app.example/cb/"),
            Some("https://evil/cb"),
        ] {
            assert_eq!(
                redeem(&c, 10, "c", wrong, Some(VERIFIER)),
                Err(CodeRefusal::RedirectUriMismatch),
                "{wrong:?}"
            );
        }
        let wrong_verifier = VERIFIER.replace('d', "e");
        for verifier in [None, Some(wrong_verifier.as_str())] {
            assert_eq!(
                redeem(&c, 10, "c", uri, verifier),
                Err(CodeRefusal::PkceMismatch)
            );
        }
        // Without a challenge (a confidential client): no verifier either.
        let no_pkce = AuthorizationCode {
            code_challenge: None,
            redirect_uri_given: false,
            ..code()
        };
        assert!(redeem(&no_pkce, 10, "c", None, None).is_ok());
        assert!(redeem(&no_pkce, 10, "c", uri, None).is_ok());
        assert_eq!(
            redeem(&no_pkce, 10, "c", Some("https://app.example/other"), None),
            Err(CodeRefusal::RedirectUriMismatch)
        );
        assert_eq!(
            redeem(&no_pkce, 10, "c", None, Some(VERIFIER)),
            Err(CodeRefusal::PkceMismatch),
            "a verifier without a challenge is a downgrade"
        );
    }

    #[test]
    fn rows_decode_into_exactly_one_state() {
        assert_eq!(
            CodeState::from_columns("issued", None, None),
            Some(CodeState::Issued)
        );
        assert_eq!(
            CodeState::from_columns("issued", Some(UnixSecs(1)), None),
            None
        );
        assert_eq!(
            CodeState::from_columns("redeemed", Some(UnixSecs(1)), None),
            None
        );
        assert_eq!(
            CodeState::from_columns("redeemed", Some(UnixSecs(1)), Some("g".into())),
            Some(CodeState::Redeemed {
                redeemed_at: UnixSecs(1),
                grant_id: "g".into()
            })
        );
        assert_eq!(CodeState::from_columns("expired", None, None), None);
        for s in CodeStatus::ALL {
            assert_eq!(CodeStatus::parse(s.as_str()), Some(s));
        }
    }
}
