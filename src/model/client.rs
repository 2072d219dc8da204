//! A registered OAuth client (RFC 6749 §2), as stored.

use super::ids::ClientId;

use crate::model::scope::Scopes;

/// A registered OAuth client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub name: String,
    /// SHA-256 of the secret for confidential clients; `None` for public ones.
    pub secret_hash: Option<String>,
    pub allowed_scopes: Scopes,
    pub disabled: bool,
    /// Whether the device grant also issues a refresh token.
    pub refresh_tokens: bool,
    pub created_at: i64,
}

impl Client {
    pub fn is_confidential(&self) -> bool {
        self.secret_hash.is_some()
    }
}
