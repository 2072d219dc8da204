//! Dynamic client registration (RFC 7591, RFC 7592): the metadata a client
//! registered itself with, as checked and stored, and the record of how it
//! registered.

use serde::{Deserialize, Serialize};

/// Client metadata as registered (RFC 7591 §2), after the checks of
/// `domain/registration`: what the registration answers echo, and what the
/// dashboard shows an administrator deciding on the client. Stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RegisteredMetadata {
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_basic`, `client_secret_post` or
    /// `private_key_jwt`.
    pub token_endpoint_auth_method: String,
    /// RFC 7591 values (`authorization_code`, `refresh_token`,
    /// `urn:ietf:params:oauth:grant-type:device_code`, `client_credentials`).
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    /// Space-separated scopes (RFC 6749 §3.3).
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// A JWK Set (RFC 7517 §5), as the client sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
}

impl RegisteredMetadata {
    /// Whether `other` differs in anything that decides what the client may
    /// do or how it proves itself: redirect URIs, grants, scope, the
    /// authentication method or its keys. Such a change sends an approved
    /// client back to pending (RFC 7592 §2.2 leaves the policy to the
    /// server); a new name, contacts or software version do not.
    pub fn security_relevant_change(&self, other: &Self) -> bool {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        let scopes = |s: &str| {
            let mut v: Vec<&str> = s.split(' ').filter(|t| !t.is_empty()).collect();
            v.sort_unstable();
            v.dedup();
            v.join(" ")
        };
        sorted(&self.redirect_uris) != sorted(&other.redirect_uris)
            || sorted(&self.grant_types) != sorted(&other.grant_types)
            || sorted(&self.response_types) != sorted(&other.response_types)
            || scopes(&self.scope) != scopes(&other.scope)
            || self.token_endpoint_auth_method != other.token_endpoint_auth_method
            || self.jwks_uri != other.jwks_uri
            || self.jwks != other.jwks
    }
}

/// How a client registered itself, as stored.
#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    /// SHA-256 of the registration access token (RFC 7592 §3).
    pub access_token_hash: String,
    /// The address and `User-Agent` the registration came from.
    pub requester_ip: Option<String>,
    pub user_agent: Option<String>,
    pub metadata: RegisteredMetadata,
    pub registered_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> RegisteredMetadata {
        RegisteredMetadata {
            client_name: "Agent".into(),
            redirect_uris: vec!["http://127.0.0.1/cb".into(), "https://a.example/cb".into()],
            token_endpoint_auth_method: "none".into(),
            grant_types: vec!["authorization_code".into()],
            response_types: vec!["code".into()],
            scope: "read write".into(),
            ..RegisteredMetadata::default()
        }
    }

    #[test]
    fn only_what_decides_access_counts_as_a_security_change() {
        let before = metadata();
        let mut cosmetic = before.clone();
        cosmetic.client_name = "Agent 2".into();
        cosmetic.software_version = Some("2.0".into());
        cosmetic.redirect_uris.reverse();
        cosmetic.scope = "write read".into();
        assert!(!before.security_relevant_change(&cosmetic));
        for change in [
            |m: &mut RegisteredMetadata| m.redirect_uris.push("https://b.example/cb".into()),
            |m: &mut RegisteredMetadata| m.grant_types.push("refresh_token".into()),
            |m: &mut RegisteredMetadata| m.scope = "read write admin".into(),
            |m: &mut RegisteredMetadata| m.token_endpoint_auth_method = "client_secret_post".into(),
            |m: &mut RegisteredMetadata| m.jwks_uri = Some("https://a.example/jwks".into()),
        ] {
            let mut changed = before.clone();
            change(&mut changed);
            assert!(before.security_relevant_change(&changed), "{changed:?}");
        }
    }
}
