//! OpenID Connect's vocabulary: the claims about a user that a scope
//! releases (Core §5.4), and the `at_hash` that binds an ID token to its
//! access token (Core §3.1.3.6). No I/O: the domain signs and serves them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::scope::Scopes;
use super::user::User;

/// The scope that makes a request an OpenID Connect one.
pub const OPENID: &str = "openid";
/// The scopes OpenID Connect defines that AuthGate answers (Core §5.4).
pub const SCOPES: [&str; 3] = [OPENID, "profile", "email"];
/// The claims those scopes can release, with `sub` and the ID token's own.
pub const CLAIMS: [&str; 15] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "amr",
    "acr",
    "azp",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

/// What a scope releases about a user: `profile` → `name` (when set) and
/// `preferred_username`; `email` → `email` and `email_verified` (when an
/// address is set). Absent values are left out, never sent as null.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

impl UserClaims {
    pub fn of(user: &User, scopes: &Scopes) -> Self {
        let mut claims = Self::default();
        if scopes.contains("profile") {
            claims.name = user.profile.name.clone();
            claims.preferred_username = Some(user.username.clone());
        }
        if scopes.contains("email")
            && let Some(email) = &user.profile.email
        {
            claims.email = Some(email.clone());
            claims.email_verified = Some(user.profile.email_verified);
        }
        claims
    }
}

/// The hash an ID token's `at_hash` uses with its signing algorithm: the
/// one of the JWS algorithm (Core §3.1.3.6), which for EdDSA with Ed25519
/// is SHA-512 (the OpenID Foundation's reading, as relying-party libraries
/// implement it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtHash {
    Sha256,
    Sha512,
}

impl AtHash {
    /// `at_hash` of `access_token`: the left half of its hash, base64url.
    pub fn of(self, access_token: &str) -> String {
        match self {
            AtHash::Sha256 => {
                let digest = Sha256::digest(access_token.as_bytes());
                URL_SAFE_NO_PAD.encode(&digest[..16])
            }
            AtHash::Sha512 => {
                let digest = Sha512::digest(access_token.as_bytes());
                URL_SAFE_NO_PAD.encode(&digest[..32])
            }
        }
    }
}

/// The claims of an ID token (Core §2), with the user's claims its scope
/// releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    pub iss: String,
    /// The user id: stable, never reassigned (a public subject, Core §8).
    pub sub: String,
    /// The client the token is for.
    pub aud: String,
    /// The party it was issued to (the same client).
    pub azp: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub at_hash: String,
    /// RFC 8176 methods of the sign-in behind the grant.
    pub amr: Vec<String>,
    /// The class those methods reach (see `model/authn.rs`).
    pub acr: String,
    #[serde(flatten)]
    pub user: UserClaims,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::user::{Profile, Role};

    fn user() -> User {
        User {
            id: "u-1".into(),
            username: "alice".into(),
            password_hash: String::new(),
            role: Role::User,
            disabled: false,
            created_at: 0,
            profile: Profile {
                email: Some("alice@example.com".into()),
                email_verified: false,
                name: Some("Alice".into()),
            },
            require_second_factor: false,
            session_epoch: 0,
        }
    }

    #[test]
    fn each_scope_releases_its_claims_only() {
        let none = UserClaims::of(&user(), &Scopes::parse("openid").expect("valid"));
        assert_eq!(none, UserClaims::default());
        let profile = UserClaims::of(&user(), &Scopes::parse("openid profile").expect("valid"));
        assert_eq!(profile.name.as_deref(), Some("Alice"));
        assert_eq!(profile.preferred_username.as_deref(), Some("alice"));
        assert_eq!(profile.email, None);
        let email = UserClaims::of(&user(), &Scopes::parse("openid email").expect("valid"));
        assert_eq!(email.email.as_deref(), Some("alice@example.com"));
        assert_eq!(email.email_verified, Some(false));
        assert_eq!(email.name, None);
        let json = serde_json::to_value(&email).expect("json");
        assert_eq!(json.as_object().map(|o| o.len()), Some(2), "{json}");
    }

    /// OpenID Connect Core §3.1.3.6 with the example of its Appendix A.3:
    /// the access token `jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y`
    /// hashes (RS256, SHA-256) to `77QmUPtjPfzWtF2AnpK9RQ`.
    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        assert_eq!(
            AtHash::Sha256.of("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(AtHash::Sha512.of("x").len(), 43, "32 bytes in base64url");
    }
}
