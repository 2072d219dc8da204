//! Presets for well-known providers: the kind, issuer, scopes, claims and
//! label each needs, so an operator gives only what differs (a client id
//! and secret, a tenant, a self-hosted instance's URL). Anything given
//! explicitly wins over the preset's value.
//!
//! | preset      | kind   | issuer                                        | scopes                 | username claim       |
//! |-------------|--------|-----------------------------------------------|------------------------|----------------------|
//! | `github`    | github | `https://github.com` (or a GHE server)         | `read:user user:email` | `login` (API)        |
//! | `gitlab`    | oidc   | `https://gitlab.com` (or self-managed)         | `openid profile email` | `nickname`           |
//! | `gitea`     | oidc   | required: the instance, ending with `/`        | `openid profile email` | `preferred_username` |
//! | `microsoft` | oidc   | `https://login.microsoftonline.com/{tenant}/v2.0` | `openid profile email` | `preferred_username` |
//!
//! Microsoft Entra ID needs one tenant: the multi-tenant endpoints
//! (`common`, `organizations`, `consumers`) publish an issuer template,
//! `.../{tenantid}/v2.0`, that no ID token's `iss` equals. Trusting its
//! `email` claim for linking is refused in providers.rs, for every Entra
//! issuer, preset or not.

use crate::model::upstream::{ClaimMapping, DEFAULT_SCOPES, ProviderKind};

/// A well-known provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Github,
    Gitlab,
    Gitea,
    Microsoft,
}

/// GitHub's scopes: the profile, and the addresses with their `verified`
/// and `primary` flags (`GET /user/emails`).
pub const GITHUB_SCOPES: &str = "read:user user:email";

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Github,
        Preset::Gitlab,
        Preset::Gitea,
        Preset::Microsoft,
    ];

    /// Its name on the command line and in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Github => "github",
            Preset::Gitlab => "gitlab",
            Preset::Gitea => "gitea",
            Preset::Microsoft => "microsoft",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What its button says after "Sign in with".
    pub fn label(self) -> &'static str {
        match self {
            Preset::Github => "GitHub",
            Preset::Gitlab => "GitLab",
            Preset::Gitea => "Gitea",
            Preset::Microsoft => "Microsoft",
        }
    }
}

/// What the operator gave beside the preset; `None` takes the preset's.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub issuer: Option<String>,
    /// Microsoft Entra ID's tenant (directory) ID.
    pub tenant: Option<String>,
    pub label: Option<String>,
    pub scopes: Option<String>,
    pub username_claim: Option<String>,
    pub email_claim: Option<String>,
    pub name_claim: Option<String>,
}

/// A preset with the operator's choices applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub kind: ProviderKind,
    pub issuer: String,
    pub label: Option<String>,
    pub scopes: Option<String>,
    pub claims: ClaimMapping,
}

/// Applies `preset` (none: a generic OpenID Connect provider) under
/// `choices`. The error says what is missing or refused.
pub fn resolve(preset: Option<Preset>, choices: Choices) -> Result<Resolved, String> {
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let issuer = given(choices.issuer);
    let tenant = given(choices.tenant);
    if tenant.is_some() && preset != Some(Preset::Microsoft) {
        return Err("a tenant goes only with the microsoft preset".into());
    }
    let defaults = ClaimMapping::default();
    let (kind, issuer, scopes, username) = match preset {
        None => (
            ProviderKind::Oidc,
            issuer.ok_or("an issuer URL is needed (or a preset)")?,
            None,
            defaults.username.clone(),
        ),
        Some(Preset::Github) => (
            ProviderKind::Github,
            issuer.unwrap_or_else(|| "https://github.com".into()),
            Some(GITHUB_SCOPES),
            "login".into(),
        ),
        Some(Preset::Gitlab) => (
            ProviderKind::Oidc,
            issuer.unwrap_or_else(|| "https://gitlab.com".into()),
            Some(DEFAULT_SCOPES),
            "nickname".into(),
        ),
        Some(Preset::Gitea) => {
            let mut issuer = issuer.ok_or("the gitea preset needs the instance's URL as issuer")?;
            // Gitea's discovery document says `{ROOT_URL}` with its slash,
            // and ID tokens must match it exactly.
            if !issuer.ends_with('/') {
                issuer.push('/');
            }
            (
                ProviderKind::Oidc,
                issuer,
                Some(DEFAULT_SCOPES),
                defaults.username.clone(),
            )
        }
        Some(Preset::Microsoft) => {
            if issuer.is_some() {
                return Err("the microsoft preset takes a tenant ID, not an issuer".into());
            }
            let tenant = tenant.ok_or("the microsoft preset needs the tenant ID")?;
            (
                ProviderKind::Oidc,
                microsoft_issuer(&tenant)?,
                Some(DEFAULT_SCOPES),
                defaults.username.clone(),
            )
        }
    };
    Ok(Resolved {
        kind,
        issuer,
        label: given(choices.label).or_else(|| preset.map(|p| p.label().to_owned())),
        scopes: given(choices.scopes).or_else(|| scopes.map(str::to_owned)),
        claims: ClaimMapping {
            username: given(choices.username_claim).unwrap_or(username),
            email: given(choices.email_claim).unwrap_or(defaults.email),
            name: given(choices.name_claim).unwrap_or(defaults.name),
        },
    })
}

/// Entra's multi-tenant endpoints: their issuer is a template.
pub const ENTRA_SHARED_TENANTS: [&str; 3] = ["common", "organizations", "consumers"];

/// The v2.0 issuer of one Entra tenant, given by its ID (a GUID: a
/// tenant's domain name discovers a document whose issuer is the ID, so
/// it would never match).
fn microsoft_issuer(tenant: &str) -> Result<String, String> {
    if ENTRA_SHARED_TENANTS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(tenant))
    {
        return Err(format!(
            "the tenant {tenant} is shared by many directories: its ID tokens never match its \
             issuer; give your tenant's ID"
        ));
    }
    if !is_guid(tenant) {
        return Err(
            "the tenant is its ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        );
    }
    Ok(format!(
        "https://login.microsoftonline.com/{}/v2.0",
        tenant.to_ascii_lowercase()
    ))
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn with(f: impl FnOnce(&mut Choices)) -> Choices {
        let mut c = Choices::default();
        f(&mut c);
        c
    }

    #[test]
    fn names_round_trip() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.as_str()), Some(p));
        }
        assert_eq!(Preset::parse("GitHub"), None);
    }

    #[test]
    fn github_defaults_to_github_com_and_can_point_at_an_enterprise_server() {
        let r = resolve(Some(Preset::Github), Choices::default()).unwrap();
        assert_eq!(r.kind, ProviderKind::Github);
        assert_eq!(r.issuer, "https://github.com");
        assert_eq!(r.scopes.as_deref(), Some("read:user user:email"));
        assert_eq!(r.label.as_deref(), Some("GitHub"));
        let r = resolve(
            Some(Preset::Github),
            with(|c| c.issuer = Some("https://ghe.example.com".into())),
        )
        .unwrap();
        assert_eq!(r.issuer, "https://ghe.example.com");
    }

    #[test]
    fn gitlab_reads_the_nickname_and_explicit_values_win() {
        let r = resolve(Some(Preset::Gitlab), Choices::default()).unwrap();
        assert_eq!(r.kind, ProviderKind::Oidc);
        assert_eq!(r.issuer, "https://gitlab.com");
        assert_eq!(r.claims.username, "nickname");
        assert_eq!(r.scopes.as_deref(), Some("openid profile email"));
        let r = resolve(
            Some(Preset::Gitlab),
            with(|c| {
                c.issuer = Some("https://git.corp.example".into());
                c.label = Some("Corp Git".into());
                c.username_claim = Some("preferred_username".into());
                c.scopes = Some("openid email".into());
            }),
        )
        .unwrap();
        assert_eq!(r.issuer, "https://git.corp.example");
        assert_eq!(r.label.as_deref(), Some("Corp Git"));
        assert_eq!(r.claims.username, "preferred_username");
        assert_eq!(r.scopes.as_deref(), Some("openid email"));
    }

    #[test]
    fn gitea_needs_its_url_and_gets_the_trailing_slash() {
        assert!(resolve(Some(Preset::Gitea), Choices::default()).is_err());
        let r = resolve(
            Some(Preset::Gitea),
            with(|c| c.issuer = Some("https://gitea.example".into())),
        )
        .unwrap();
        assert_eq!(r.issuer, "https://gitea.example/");
        assert_eq!(r.claims.username, "preferred_username");
        assert_eq!(r.label.as_deref(), Some("Gitea"));
    }

    #[test]
    fn microsoft_needs_one_tenant_by_its_id() {
        let r = resolve(
            Some(Preset::Microsoft),
            with(|c| c.tenant = Some(TENANT.to_uppercase())),
        )
        .unwrap();
        assert_eq!(
            r.issuer,
            format!("https://login.microsoftonline.com/{TENANT}/v2.0")
        );
        assert_eq!(r.label.as_deref(), Some("Microsoft"));
        for bad in ["common", "Organizations", "consumers", "contoso.com", ""] {
            let err = resolve(
                Some(Preset::Microsoft),
                with(|c| c.tenant = Some(bad.into())),
            );
            assert!(err.is_err(), "{bad}");
        }
        assert!(
            resolve(
                Some(Preset::Microsoft),
                with(|c| c.tenant = Some("common".into()))
            )
            .unwrap_err()
            .contains("shared")
        );
        // An issuer instead of (or beside) the tenant is refused.
        assert!(
            resolve(
                Some(Preset::Microsoft),
                with(|c| {
                    c.tenant = Some(TENANT.into());
                    c.issuer = Some("https://login.microsoftonline.com/common/v2.0".into());
                })
            )
            .is_err()
        );
    }

    #[test]
    fn without_a_preset_the_issuer_is_needed_and_a_tenant_refused() {
        assert!(resolve(None, Choices::default()).is_err());
        assert!(
            resolve(
                None,
                with(|c| {
                    c.issuer = Some("https://id.example".into());
                    c.tenant = Some(TENANT.into());
                })
            )
            .is_err()
        );
        let r = resolve(None, with(|c| c.issuer = Some("https://id.example".into()))).unwrap();
        assert_eq!(r.kind, ProviderKind::Oidc);
        assert_eq!(r.label, None);
        assert_eq!(r.scopes, None);
        assert_eq!(r.claims, ClaimMapping::default());
    }
}
