//! How and when a person proved who they are, as tokens report it.
//!
//! A sign-in records its methods (RFC 8176 `amr` values) and its time in
//! the session; an approval copies both onto the device code or
//! authorization code it decides, the redemption onto the grant, and every
//! ID token, refresh and introspection of that grant reports them. So a
//! relying party sees how the approval was made, not how its own client
//! authenticated, and an approval made with a password alone can be told
//! from one made with a passkey long after the session ended.
//!
//! `acr` is not stored: it follows from the methods ([`Amr::acr`]), so the
//! two can never disagree.

use std::fmt;

use super::time::UnixSecs;

/// RFC 8176 method values AuthGate itself records.
pub mod method {
    /// A password.
    pub const PWD: &str = "pwd";
    /// A one-time password (TOTP code, recovery code).
    pub const OTP: &str = "otp";
    /// Proof of possession of a hardware-protected key (a passkey).
    pub const HWK: &str = "hwk";
    /// More than one factor.
    pub const MFA: &str = "mfa";
}

/// The methods of one sign-in, in the order they were used, without
/// repeats. Stored as one space-separated column.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Amr(Vec<String>);

impl Amr {
    /// A password alone: what a session or row from before methods were
    /// recorded stands for.
    pub fn password() -> Self {
        Self(vec![method::PWD.to_owned()])
    }

    /// From a list of values; blanks and repeats are dropped.
    pub fn of<S: AsRef<str>>(values: &[S]) -> Self {
        let mut amr = Self::default();
        for v in values {
            amr.add(v.as_ref());
        }
        amr
    }

    /// From the stored column; none (an older row) is a password.
    pub fn from_stored(stored: Option<&str>) -> Self {
        match stored {
            Some(s) if !s.trim().is_empty() => Self::of(&s.split(' ').collect::<Vec<_>>()),
            _ => Self::password(),
        }
    }

    /// The stored column.
    pub fn to_stored(&self) -> String {
        self.0.join(" ")
    }

    /// Adds `value` unless present (a step-up adds `otp` and `mfa` to the
    /// session's `pwd`).
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if !value.is_empty() && !value.contains(' ') && !self.contains(value) {
            self.0.push(value.to_owned());
        }
    }

    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    pub fn values(&self) -> &[String] {
        &self.0
    }

    /// The assurance these methods reach.
    pub fn acr(&self) -> Acr {
        let key = self.contains(method::HWK) || self.contains("swk");
        match (self.contains(method::MFA), key) {
            (true, true) => Acr::PhishingResistant,
            (true, false) => Acr::MultiFactor,
            (false, _) => Acr::OneFactor,
        }
    }

    /// Words for a person: "password and authenticator code".
    pub fn describe(&self) -> String {
        let words: Vec<&str> = self
            .0
            .iter()
            .filter_map(|m| match m.as_str() {
                method::PWD => Some("password"),
                method::OTP => Some("one-time code"),
                method::HWK | "swk" => Some("passkey"),
                "fed" | "ext" => Some("another provider"),
                _ => None,
            })
            .collect();
        if words.is_empty() {
            return "unknown".to_owned();
        }
        words.join(" and ")
    }
}

impl fmt::Display for Amr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_stored())
    }
}

/// Authentication context classes, weakest first (OpenID Connect Core
/// §2 `acr`). `phr` is the OpenID EAP ACR value for phishing-resistant
/// authentication; the other two are AuthGate's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Acr {
    /// One factor: a password, or an upstream provider's word.
    OneFactor,
    /// A password and a second factor.
    MultiFactor,
    /// A passkey with user verification: bound to this origin, so a
    /// phishing page cannot relay it.
    PhishingResistant,
}

impl Acr {
    pub const ALL: [Self; 3] = [Self::OneFactor, Self::MultiFactor, Self::PhishingResistant];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneFactor => "urn:authgate:acr:1fa",
            Self::MultiFactor => "urn:authgate:acr:mfa",
            Self::PhishingResistant => "phr",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The weakest class among the known values of an `acr_values`
    /// request (space-separated, in order of preference): reaching it
    /// satisfies the request. `None` when no value is known (the request
    /// is then answered with whatever the session has, Core §3.1.2.1).
    pub fn least_requested(acr_values: &str) -> Option<Self> {
        acr_values.split(' ').filter_map(Self::parse).min()
    }
}

/// When and how the person behind an approval signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// OpenID Connect `auth_time`.
    pub time: UnixSecs,
    pub amr: Amr,
}

/// What a signed-in session brings to an approval: how it signed in, and
/// when it last proved a second factor (what a step-up policy asks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionProof {
    pub authentication: Authentication,
    /// Unix seconds; none if the session never proved one.
    pub factor_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_methods_round_trip_and_old_rows_read_as_a_password() {
        let amr = Amr::of(&["pwd", "otp", "mfa", "otp", "", "a b"]);
        assert_eq!(amr.to_stored(), "pwd otp mfa");
        assert_eq!(Amr::from_stored(Some("pwd otp mfa")), amr);
        assert_eq!(Amr::from_stored(None), Amr::password());
        assert_eq!(Amr::from_stored(Some(" ")), Amr::password());
    }

    #[test]
    fn acr_follows_the_methods() {
        assert_eq!(Amr::password().acr(), Acr::OneFactor);
        assert_eq!(Amr::of(&["pwd", "otp", "mfa"]).acr(), Acr::MultiFactor);
        assert_eq!(Amr::of(&["hwk", "mfa"]).acr(), Acr::PhishingResistant);
        // A key without user verification is one factor.
        assert_eq!(Amr::of(&["hwk"]).acr(), Acr::OneFactor);
    }

    #[test]
    fn the_least_requested_class_is_what_must_be_reached() {
        assert_eq!(
            Acr::least_requested("phr urn:authgate:acr:mfa"),
            Some(Acr::MultiFactor)
        );
        assert_eq!(Acr::least_requested("phr"), Some(Acr::PhishingResistant));
        assert_eq!(Acr::least_requested("urn:other gold"), None);
        assert!(Acr::MultiFactor < Acr::PhishingResistant);
    }

    #[test]
    fn methods_read_as_words() {
        assert_eq!(
            Amr::of(&["pwd", "otp", "mfa"]).describe(),
            "password and one-time code"
        );
        assert_eq!(Amr::of(&["hwk", "mfa"]).describe(), "passkey");
    }
}
