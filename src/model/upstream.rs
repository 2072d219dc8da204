//! Upstream providers (OpenID Connect, or GitHub: see [`ProviderKind`])
//! people may sign in through, the upstream accounts linked to local
//! ones, and the rules that need no I/O: provider names, e-mail domains,
//! usernames made from claims.
//!
//! A provider's client secret is a [`Secret`]: the code exchange sends it
//! to the provider, so it is kept as given (like a TOTP key, see
//! `model/totp.rs`), shown once when saved and never logged.

use super::Secret;
use super::time::UnixSecs;

/// The `password_hash` of an account created by an upstream sign-in: not
/// a PHC string, so no password ever verifies against it (argon2 refuses
/// to parse it) until an administrator sets one.
pub const NO_PASSWORD_HASH: &str = "!no-password";

/// Whether `password_hash` is one a password can match.
pub fn has_password(password_hash: &str) -> bool {
    password_hash.starts_with('$')
}

/// Which ID token claims give the username, e-mail and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub username: String,
    pub email: String,
    pub name: String,
}

impl Default for ClaimMapping {
    /// OpenID Connect Core §5.1's standard claims.
    fn default() -> Self {
        Self {
            username: "preferred_username".into(),
            email: "email".into(),
            name: "name".into(),
        }
    }
}

/// How AuthGate talks to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderKind {
    /// OpenID Connect: discovery under the issuer, a signed ID token.
    #[default]
    Oidc,
    /// GitHub (or GitHub Enterprise Server): OAuth 2 without OpenID
    /// Connect, the person read from its REST API.
    Github,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 2] = [ProviderKind::Oidc, ProviderKind::Github];

    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Oidc => "oidc",
            ProviderKind::Github => "github",
        }
    }

    /// The kind stored as `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One upstream provider as stored.
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub kind: ProviderKind,
    /// The slug in its URLs (`/login/upstream/{name}`).
    pub name: String,
    /// What its button says: "Sign in with {label}".
    pub label: String,
    /// The issuer URL its discovery document lives under; for GitHub, the
    /// web address (`https://github.com` or a GitHub Enterprise Server).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// Scopes asked for (always including `openid` for OpenID Connect).
    pub scopes: Vec<String>,
    pub claims: ClaimMapping,
    /// Whether a person unknown here gets an account at first sign-in.
    pub create_accounts: bool,
    /// When not empty, only e-mail addresses (verified upstream) in these
    /// domains may have accounts created.
    pub allowed_domains: Vec<String>,
    /// Whether the provider's `email_verified` is believed: then a
    /// verified upstream address links to the local account with the same
    /// verified address.
    pub trust_email: bool,
    /// E-mail domains whose people are sent straight here when an
    /// application's `login_hint` names one of their addresses.
    pub hint_domains: Vec<String>,
    pub enabled: bool,
    pub created_at: UnixSecs,
}

impl Provider {
    /// Whether `login_hint` is an address in one of this provider's
    /// sign-in domains (exactly, ignoring case).
    pub fn claims_hint(&self, login_hint: &str) -> bool {
        self.enabled
            && !self.hint_domains.is_empty()
            && login_hint.contains('@')
            && domain_allowed(Some(login_hint), &self.hint_domains)
    }
}

/// An upstream account linked to a local one.
#[derive(Debug, Clone)]
pub struct Identity {
    pub provider_id: String,
    /// The provider's label, for listing.
    pub provider_label: String,
    /// The provider's `sub` for the person.
    pub subject: String,
    pub user_id: String,
    pub created_at: UnixSecs,
    pub last_used_at: UnixSecs,
}

/// A sign-in sent to a provider, waiting for its callback.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub provider_id: String,
    pub nonce: Secret,
    pub pkce_verifier: Secret,
    /// Where to go afterwards (checked with `safe_next` when stored).
    pub next: String,
    pub expires_at: UnixSecs,
}

/// How long a sign-in may take at the provider.
pub const PENDING_SECS: i64 = 10 * 60;

/// Scopes asked for when none are given.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// Provider names: 1 to 32 lowercase letters, digits and `-`, starting
/// with a letter (they appear in redirect URIs registered upstream).
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The domain of `email`, lowercased, if it has one.
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.rsplit_once('@')?;
    (!domain.is_empty()).then(|| domain.to_ascii_lowercase())
}

/// Whether `email` is in one of `domains` (exactly, not subdomains);
/// every address is when the list is empty.
pub fn domain_allowed(email: Option<&str>, domains: &[String]) -> bool {
    if domains.is_empty() {
        return true;
    }
    email.and_then(email_domain).is_some_and(|d| {
        domains
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&d))
    })
}

/// A local username from an upstream one: letters, digits and `._@-`
/// kept, anything else dropped, at most 60 characters (room for a
/// `-NN` suffix); `None` if nothing is left.
pub fn username_from_claim(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
        .take(60)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("saml"), None);
    }

    #[test]
    fn names_are_url_slugs() {
        assert!(valid_name("corp"));
        assert!(valid_name("gitlab-2"));
        for bad in ["", "Corp", "2fa", "a/b", "a b", &"a".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn domains_match_exactly_and_ignore_case() {
        let corp = vec!["corp.example".to_owned()];
        assert!(domain_allowed(Some("ann@Corp.Example"), &corp));
        assert!(!domain_allowed(Some("ann@evil.corp.example"), &corp));
        assert!(!domain_allowed(Some("ann@corp.example.evil"), &corp));
        assert!(!domain_allowed(None, &corp));
        assert!(domain_allowed(None, &[]));
    }

    #[test]
    fn usernames_keep_only_allowed_characters() {
        assert_eq!(username_from_claim("Ann Lee!"), Some("AnnLee".into()));
        assert_eq!(username_from_claim("ann@corp"), Some("ann@corp".into()));
        assert_eq!(username_from_claim("日本"), None);
        assert_eq!(
            username_from_claim(&"x".repeat(80)).map(|u| u.len()),
            Some(60)
        );
    }

    #[test]
    fn hints_match_sign_in_domains_of_enabled_providers_only() {
        let mut p = Provider {
            id: "p".into(),
            kind: ProviderKind::Oidc,
            name: "corp".into(),
            label: "Corp".into(),
            issuer: "https://id.corp.example".into(),
            client_id: "c".into(),
            client_secret: Secret::new("s"),
            scopes: vec!["openid".into()],
            claims: ClaimMapping::default(),
            create_accounts: false,
            allowed_domains: vec![],
            trust_email: false,
            hint_domains: vec!["corp.example".into()],
            enabled: true,
            created_at: UnixSecs(0),
        };
        assert!(p.claims_hint("Ann@CORP.example"));
        assert!(!p.claims_hint("ann@sub.corp.example"));
        assert!(!p.claims_hint("corp.example"));
        p.enabled = false;
        assert!(!p.claims_hint("ann@corp.example"));
        p.enabled = true;
        p.hint_domains.clear();
        assert!(!p.claims_hint("ann@corp.example"));
    }

    #[test]
    fn only_phc_hashes_hold_a_password() {
        assert!(!has_password(NO_PASSWORD_HASH));
        assert!(has_password("$argon2id$v=19$m=7168,t=5,p=1$abc$def"));
    }
}
