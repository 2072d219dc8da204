//! Ids as types of their own, so a user id cannot be passed where a client
//! id is expected. Ids are not secret: they print and serialise as the text
//! they are; the store binds them as text.

use std::fmt;
use std::ops::Deref;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type!(
    /// An OAuth client's `client_id`.
    ClientId
);
id_type!(
    /// A user's id (a UUID), never their username.
    UserId
);
id_type!(
    /// A device authorization request's row id (not the device code, which
    /// is a secret and is stored only as a hash).
    DeviceCodeId
);
id_type!(
    /// A grant: one approval of a client by a user.
    GrantId
);
id_type!(
    /// An authorization code's row id (not the code, which is a secret and
    /// is stored only as a hash).
    AuthorizationCodeId
);
id_type!(
    /// A refresh token's row id (not the token).
    RefreshTokenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_compare_as_their_text() {
        let id = ClientId::new("cli");
        assert_eq!(id.to_string(), "cli");
        assert_eq!(format!("{id:?}"), "ClientId(\"cli\")");
        assert_eq!(id, "cli");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"cli\"");
        let s: &str = &id;
        assert_eq!(s.len(), 3);
    }
}
