//! People who sign in and approve devices, as stored.

use super::ids::UserId;

/// What a user may do: approve devices, or also administer the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct User {
    pub id: UserId,
    pub username: String,
    /// The argon2 PHC string; never printed (see the `Debug` below).
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    pub profile: Profile,
    /// An administrator requires a second factor of this person (see
    /// `domain/step_up.rs`).
    pub require_second_factor: bool,
    /// Moves on to end every browser session of the user at once (an
    /// administrator resetting their second factors); sessions remember
    /// the value they signed in under.
    pub session_epoch: i64,
}

/// What an ID token or UserInfo may say about a user beyond their id and
/// username (OpenID Connect Core §5.1): `email` and `email_verified` for
/// the `email` scope, `name` for `profile`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub email: Option<String>,
    /// Set only by an administrator; cleared when the address changes.
    pub email_verified: bool,
    /// The display name.
    pub name: Option<String>,
}

/// The longest e-mail address accepted (RFC 5321 §4.5.3.1.3's path limit).
pub const MAX_EMAIL: usize = 254;
/// The longest display name accepted, in characters.
pub const MAX_NAME: usize = 100;

/// Why a profile value is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileRefusal {
    BadEmail,
    BadName,
}

impl ProfileRefusal {
    pub fn describe(self) -> &'static str {
        match self {
            ProfileRefusal::BadEmail => {
                "Enter an e-mail address like name@example.com (254 characters at most)."
            }
            ProfileRefusal::BadName => "Use at most 100 characters, without control characters.",
        }
    }
}

/// A typed e-mail address: trimmed; empty means none.
pub fn parse_email(input: &str) -> Result<Option<String>, ProfileRefusal> {
    use validator::ValidateEmail as _;
    let email = input.trim();
    if email.is_empty() {
        return Ok(None);
    }
    if email.len() > MAX_EMAIL || !email.validate_email() {
        return Err(ProfileRefusal::BadEmail);
    }
    Ok(Some(email.to_owned()))
}

/// A typed display name: trimmed; empty means none.
pub fn parse_name(input: &str) -> Result<Option<String>, ProfileRefusal> {
    let name = input.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ProfileRefusal::BadName);
    }
    Ok(Some(name.to_owned()))
}

impl Profile {
    /// The profile after an edit: `email_verified` is the administrator's
    /// word when given (`Some`), else kept only while the address stays the
    /// same (a new address has not been verified by anyone).
    pub fn edited(
        &self,
        email: Option<String>,
        email_verified: Option<bool>,
        name: Option<String>,
    ) -> Profile {
        let same_email = email == self.email;
        let verified = match email_verified {
            Some(v) => v,
            None => same_email && self.email_verified,
        };
        Profile {
            email_verified: verified && email.is_some(),
            email,
            name,
        }
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("created_at", &self.created_at)
            .field("profile", &self.profile)
            .field("session_epoch", &self.session_epoch)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_names_are_checked() {
        assert_eq!(parse_email(" a@b.example "), Ok(Some("a@b.example".into())));
        assert_eq!(parse_email(""), Ok(None));
        assert_eq!(parse_email("not-an-address"), Err(ProfileRefusal::BadEmail));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(parse_email(&long), Err(ProfileRefusal::BadEmail));
        assert_eq!(
            parse_name(" Alice  Liddell "),
            Ok(Some("Alice  Liddell".into()))
        );
        assert_eq!(parse_name("a\u{7}b"), Err(ProfileRefusal::BadName));
        assert_eq!(parse_name(&"é".repeat(101)), Err(ProfileRefusal::BadName));
        assert_eq!(parse_name(&"é".repeat(100)).map(|n| n.is_some()), Ok(true));
    }

    #[test]
    fn a_new_address_is_unverified_unless_an_administrator_says_otherwise() {
        let verified = Profile {
            email: Some("a@example.com".into()),
            email_verified: true,
            name: None,
        };
        let kept = verified.edited(Some("a@example.com".into()), None, Some("A".into()));
        assert!(kept.email_verified);
        let moved = verified.edited(Some("b@example.com".into()), None, None);
        assert!(!moved.email_verified);
        let vouched = verified.edited(Some("b@example.com".into()), Some(true), None);
        assert!(vouched.email_verified);
        let removed = verified.edited(None, Some(true), None);
        assert!(!removed.email_verified, "no address, nothing verified");
    }
}
