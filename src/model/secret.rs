//! Credentials as values that never print: a device code, a refresh token,
//! a client secret or a password, as presented by a caller or issued to one.
//!
//! `Debug` shows `Secret([redacted])`, so a request, row or error printed by
//! mistake (`tracing`'s `?value`, a panic message) cannot leak one. The text
//! is reached only through [`Secret::expose`], which names every place that
//! needs it; it is wiped from memory when dropped (`secrecy`).

use std::fmt;

use secrecy::{ExposeSecret as _, SecretString};

/// A credential; see the module doc.
#[derive(Clone, serde::Deserialize)]
#[serde(from = "String")]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(SecretString::from(text.into()))
    }

    /// The text itself: to hash it, compare it or hand it to its owner.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

/// Empty: a form field left out.
impl Default for Secret {
    fn default() -> Self {
        Self::new(String::new())
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

/// Serialises as `[redacted]`: form validation records the value of a field
/// it refuses, and a secret must not travel into an error that way. A
/// response that hands a secret to its owner serialises its text instead.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("[redacted]")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Request {
            device_code: Secret,
            client_secret: Option<Secret>,
        }
        let request = Request {
            device_code: Secret::new("dc-hunter2"),
            client_secret: Some(Secret::new("cs-hunter2")),
        };
        let shown = format!("{request:?} {request:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(request.device_code.expose(), "dc-hunter2");
        let parsed: Secret = serde_json::from_str("\"from-json\"").unwrap();
        assert_eq!(parsed.expose(), "from-json");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"[redacted]\"");
    }
}
