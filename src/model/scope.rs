//! OAuth scopes (RFC 6749 §3.3): space-delimited, case-sensitive tokens.

use std::fmt;

/// A validated, de-duplicated set of scope tokens in request order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a `scope` parameter. Empty input yields an empty set.
    ///
    /// Errors when a token holds a character outside RFC 6749 §3.3's
    /// `%x21 / %x23-5B / %x5D-7E` (no quotes, backslashes or controls).
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut out: Vec<String> = Vec::new();
        for token in input.split(' ').filter(|t| !t.is_empty()) {
            if let Some(bad) = token.chars().find(|c| !is_scope_char(*c)) {
                return Err(format!("scope contains an invalid character {bad:?}"));
            }
            if !out.iter().any(|t| t == token) {
                out.push(token.to_owned());
            }
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// True when every scope here is also in `other`.
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.iter().all(|s| other.contains(s))
    }

    /// `self` followed by the scopes of `other` it lacks.
    pub fn union(&self, other: &Scopes) -> Scopes {
        let mut out = self.0.clone();
        out.extend(other.missing_from(self).map(str::to_owned));
        Scopes(out)
    }

    /// The scopes of `self` that `other` lacks.
    pub fn missing_from<'a>(&'a self, other: &'a Scopes) -> impl Iterator<Item = &'a str> {
        self.iter().filter(|s| !other.contains(s))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// What a scope lets an application do, in plain words for the consent page.
pub fn describe(scope: &str) -> String {
    match scope {
        "read" => "Read your data".to_owned(),
        "write" => "Create and change data on your behalf".to_owned(),
        "openid" => "Confirm your identity".to_owned(),
        "profile" => "See your username and profile".to_owned(),
        "email" => "See your email address".to_owned(),
        "offline_access" => "Stay signed in until you revoke it".to_owned(),
        "admin" => "Administer AuthGate with your rights".to_owned(),
        other => format!("Use the \u{201c}{other}\u{201d} permission"),
    }
}

fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_dedups() {
        let s = Scopes::parse("read  write read").expect("valid");
        assert_eq!(s.to_string(), "read write");
        assert!(Scopes::parse("").expect("valid").is_empty());
    }

    #[test]
    fn rejects_quotes_and_backslashes() {
        assert!(Scopes::parse("read \"x\"").is_err());
        assert!(Scopes::parse("a\\b").is_err());
        assert!(Scopes::parse("caf\u{e9}").is_err());
    }

    #[test]
    fn subset() {
        let all = Scopes::parse("read write").expect("valid");
        assert!(Scopes::parse("read").expect("valid").is_subset_of(&all));
        let wide = Scopes::parse("read admin").expect("valid");
        assert!(!wide.is_subset_of(&all));
        assert_eq!(wide.missing_from(&all).collect::<Vec<_>>(), vec!["admin"]);
    }
}
