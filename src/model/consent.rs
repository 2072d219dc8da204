//! Remembered consent: what a person let an application have
//! (OpenID Connect Core 1.0 §3.1.2.4 leaves it to the server whether to ask
//! again; AuthGate asks only for scopes not yet granted).

use super::ids::{ClientId, UserId};
use super::scope::Scopes;
use super::time::UnixSecs;

/// A person's standing consent for one application. There is at most one
/// per person and application; approving again widens its scope to the
/// union of what was granted before and what is approved now, so an
/// application asking for less later does not take back what it had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub user_id: UserId,
    pub client_id: ClientId,
    pub scope: Scopes,
    /// The RFC 8707 resources (APIs) approved for it, kept like the scope
    /// (the union of every approval): a request naming another one asks
    /// the person again.
    pub resources: Vec<String>,
    /// The last approval that changed the scope or the resources.
    pub granted_at: UnixSecs,
    /// The last authorization request it answered without asking.
    pub last_used_at: UnixSecs,
}

impl Consent {
    /// Whether a request for `requested` scopes and `resources` may skip
    /// the consent page: both must be within what was approved before.
    pub fn covers(&self, requested: &Scopes, resources: &[String]) -> bool {
        requested.is_subset_of(&self.scope)
            && super::resource::all_within(resources, &self.resources)
    }
}

/// A consent as the person sees it on /account: with the application's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentView {
    pub client_id: ClientId,
    pub client_name: String,
    pub scope: Scopes,
    /// RFC 8707: the APIs approved with the scopes.
    pub resources: Vec<String>,
    pub granted_at: UnixSecs,
    pub last_used_at: UnixSecs,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &str) -> Scopes {
        Scopes::parse(s).unwrap()
    }

    #[test]
    fn a_consent_covers_subsets_only() {
        let consent = Consent {
            user_id: UserId::from("u".to_owned()),
            client_id: ClientId::from("c".to_owned()),
            scope: scopes("read write"),
            resources: vec!["https://a.example".to_owned()],
            granted_at: UnixSecs(1),
            last_used_at: UnixSecs(1),
        };
        assert!(consent.covers(&scopes("read"), &[]));
        assert!(consent.covers(&scopes("write read"), &[]));
        assert!(consent.covers(&scopes(""), &[]));
        assert!(!consent.covers(&scopes("read admin"), &[]));
        assert!(consent.covers(&scopes("read"), &["https://a.example".to_owned()]));
        assert!(
            !consent.covers(&scopes("read"), &["https://b.example".to_owned()]),
            "a new resource is asked for again"
        );
    }

    #[test]
    fn union_keeps_order_and_adds_what_is_new() {
        assert_eq!(
            scopes("read").union(&scopes("write read")).to_string(),
            "read write"
        );
    }
}
