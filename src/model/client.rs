//! A registered OAuth client (RFC 6749 §2), as stored.

use super::ids::ClientId;

use crate::model::scope::Scopes;

/// A registered OAuth client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    /// SHA-256 of the secret for confidential clients that have one.
    pub secret_hash: Option<String>,
    /// The public keys of a client that authenticates with a signed JWT
    /// (RFC 7523 `private_key_jwt`) instead of a secret.
    pub keys: Option<ClientKeys>,
    pub allowed_scopes: Scopes,
    pub disabled: bool,
    /// Whether the device grant also issues a refresh token.
    pub refresh_tokens: bool,
    /// The grants it may use (RFC 7591 §2 `grant_types`).
    pub grant_types: GrantTypes,
    /// Approving this client's requests needs a recent second factor
    /// (see `domain/step_up.rs`).
    pub require_second_factor: bool,
    /// RFC 8707: the resources (APIs) it may ask tokens for, as absolute
    /// URIs; a token for one of them has it as its `aud`.
    pub resources: Vec<String>,
    /// Whether an administrator let it be used (a client that registered
    /// itself waits as [`ClientStatus::Pending`]).
    pub status: ClientStatus,
    pub created_at: i64,
}

impl Client {
    /// Whether it must authenticate: with a secret, or with its keys.
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some() || self.keys.is_some()
    }

    /// Whether it may do anything at all: enabled, and approved by an
    /// administrator. Every endpoint refuses a client that is not.
    pub fn is_usable(&self) -> bool {
        !self.disabled && self.status == ClientStatus::Approved
    }

    /// Whether it may use `grant`.
    pub fn may_use(&self, grant: GrantType) -> bool {
        self.grant_types.contains(grant)
    }
}

/// Where a client stands with the administrators. Clients an administrator
/// made are approved at creation; one that registered itself (RFC 7591)
/// waits as pending until an administrator approves or rejects it, and
/// goes back to pending when it changes something security-relevant (RFC
/// 7592 update, see `domain/registration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientStatus {
    Pending,
    Approved,
    Rejected,
}

impl ClientStatus {
    /// The stored form (the `status` column).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    /// The states an administrator's decision may leave: only a pending
    /// client is approved or rejected (so two administrators deciding at
    /// once cannot both win).
    pub const fn decidable_from() -> Self {
        Self::Pending
    }
}

/// Where a `private_key_jwt` client's public keys are (RFC 7591 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKeys {
    /// A JWK Set registered with the client (`jwks`), as JSON.
    Jwks(String),
    /// A URL the client publishes its JWK Set at (`jwks_uri`): https, or
    /// http on a loopback address.
    JwksUri(String),
}

impl ClientKeys {
    /// The stored pair (`jwks`, `jwks_uri`); both set is not a client
    /// AuthGate registers.
    pub fn from_stored(
        jwks: Option<String>,
        jwks_uri: Option<String>,
    ) -> Result<Option<Self>, String> {
        match (jwks, jwks_uri) {
            (None, None) => Ok(None),
            (Some(set), None) => Ok(Some(Self::Jwks(set))),
            (None, Some(uri)) => Ok(Some(Self::JwksUri(uri))),
            (Some(_), Some(_)) => Err("both jwks and jwks_uri are set".into()),
        }
    }

    /// The stored pair.
    pub fn to_stored(keys: Option<&Self>) -> (Option<&str>, Option<&str>) {
        match keys {
            None => (None, None),
            Some(Self::Jwks(set)) => (Some(set), None),
            Some(Self::JwksUri(uri)) => (None, Some(uri)),
        }
    }
}

/// A grant a client may be allowed (RFC 7591 §2 `grant_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// RFC 8628.
    DeviceCode,
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4: a confidential client's token for itself.
    ClientCredentials,
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        Self::DeviceCode,
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
    ];

    /// The `grant_type` value of the token endpoint, as stored.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// The short name people type (`device_code`, `authorization_code`,
    /// `refresh_token`).
    pub const fn short(self) -> &'static str {
        match self {
            Self::DeviceCode => "device_code",
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
        }
    }

    /// A grant by its stored value or its short name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str() == s || g.short() == s)
    }
}

/// A set of [`GrantType`]s, stored as their values separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GrantTypes(Vec<GrantType>);

impl GrantTypes {
    /// `grants` without repeats, in [`GrantType::ALL`]'s order.
    pub fn new(grants: impl IntoIterator<Item = GrantType>) -> Self {
        let given: Vec<GrantType> = grants.into_iter().collect();
        Self(
            GrantType::ALL
                .into_iter()
                .filter(|g| given.contains(g))
                .collect(),
        )
    }

    /// What a client registered without naming its grants gets: the device
    /// grant, refresh tokens when it has them, and the authorization code
    /// grant when it has redirect URIs (as clients had before grants were
    /// registered).
    pub fn default_for(refresh_tokens: bool, has_redirect_uris: bool) -> Self {
        let mut grants = vec![GrantType::DeviceCode];
        if refresh_tokens {
            grants.push(GrantType::RefreshToken);
        }
        if has_redirect_uris {
            grants.push(GrantType::AuthorizationCode);
        }
        Self::new(grants)
    }

    /// Parses the stored form; an unknown value is `Err` with it.
    pub fn parse(stored: &str) -> Result<Self, String> {
        stored
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| GrantType::parse(s).ok_or_else(|| format!("unknown grant type {s:?}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    pub fn contains(&self, grant: GrantType) -> bool {
        self.0.contains(&grant)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = GrantType> + '_ {
        self.0.iter().copied()
    }
}

impl std::fmt::Display for GrantTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values: Vec<&str> = self.0.iter().map(|g| g.as_str()).collect();
        f.write_str(&values.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_types_round_trip_and_refuse_unknown_values() {
        let all = GrantTypes::new([GrantType::RefreshToken, GrantType::DeviceCode]);
        assert_eq!(
            all.to_string(),
            "urn:ietf:params:oauth:grant-type:device_code refresh_token"
        );
        assert_eq!(GrantTypes::parse(&all.to_string()), Ok(all));
        assert_eq!(GrantType::parse("device_code"), Some(GrantType::DeviceCode));
        assert!(GrantTypes::parse("implicit").is_err());
        for status in [
            ClientStatus::Pending,
            ClientStatus::Approved,
            ClientStatus::Rejected,
        ] {
            assert_eq!(ClientStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ClientStatus::parse("deleted"), None);
        assert_eq!(
            GrantTypes::default_for(false, true),
            GrantTypes::new([GrantType::DeviceCode, GrantType::AuthorizationCode])
        );
    }
}
