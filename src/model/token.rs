//! Tokens as the domain hands them out and the store keeps them.

use std::fmt;

/// A successful token response (RFC 6749 §5.1). Its `Debug` never shows
/// the tokens: a response logged by mistake must not leak a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
    pub scope: String,
    pub refresh_token: Option<String>,
    /// OpenID Connect: with `openid` in the scope.
    pub id_token: Option<String>,
    /// The access token is bound to a DPoP key (RFC 9449 §5): its
    /// `token_type` is `DPoP`. Kept with the tokens, so that a retry handed
    /// a lost answer's tokens is told what they are, proof or not.
    pub dpop_bound: bool,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("dpop_bound", &self.dpop_bound)
            .finish()
    }
}

/// What a valid access token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub jti: String,
    /// The person it was issued for; `None` for a machine token (the
    /// client credentials grant), whose subject is the client.
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub client_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// How the approval behind the token was authenticated.
    pub authn: Option<super::authn::Authentication>,
    /// The RFC 8707 resources it was issued for (its `aud`); empty when
    /// its audience is the issuer.
    pub audience: Vec<String>,
    /// The thumbprint of the DPoP key it is bound to (RFC 9449 §6).
    pub dpop_jkt: Option<String>,
}

impl TokenInfo {
    /// Its `sub`: the person, or the client for a machine token (as
    /// RFC 9068 §2.2 has it for the client credentials grant).
    pub fn subject(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.client_id)
    }
}

/// Where an access token stands; expiry is derived from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Revoked,
    Expired,
}

impl TokenStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Revoked, Self::Expired];

    pub fn of(revoked_at: Option<i64>, expires_at: i64, now: i64) -> Self {
        match revoked_at {
            Some(_) => Self::Revoked,
            None if now >= expires_at => Self::Expired,
            None => Self::Active,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_status_derives_expiry_from_the_clock() {
        assert_eq!(TokenStatus::of(None, 10, 9), TokenStatus::Active);
        assert_eq!(TokenStatus::of(None, 10, 10), TokenStatus::Expired);
        assert_eq!(TokenStatus::of(Some(1), 10, 5), TokenStatus::Revoked);
        for s in TokenStatus::ALL {
            assert_eq!(TokenStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn debug_never_shows_a_token() {
        let issued = IssuedToken {
            access_token: "eyJsecret".into(),
            expires_in: 60,
            scope: "read".into(),
            refresh_token: Some("refresh-secret".into()),
            id_token: Some("id-secret".into()),
            dpop_bound: true,
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
