//! Sign-in through GitHub, which speaks OAuth 2 but not OpenID Connect:
//! there is no discovery document and no ID token, so who signed in is
//! asked of its REST API with the access token.
//!
//! 1. [`authorization_url`]: `{web}/login/oauth/authorize` with `state`
//!    and PKCE S256 (RFC 7636; GitHub checks the verifier at the token
//!    endpoint). The nonce the caller keeps is not sent: without an ID
//!    token there is nothing to bind it to; `state` (kept server-side and
//!    tied to the browser, see mod.rs) and PKCE do that job.
//! 2. [`exchange`]: `POST {web}/login/oauth/access_token` with
//!    `Accept: application/json`. GitHub answers errors with **200** and
//!    `{"error": ...}`, so the body is read, not the status alone.
//! 3. `GET {api}/user` and `GET {api}/user/emails` with the token.
//!
//! The subject is the numeric `id`, never `login`: people rename their
//! account, and a freed login can be taken by someone else, who must not
//! inherit the link. The e-mail is the **primary** address with its own
//! `verified` flag, so an unverified address is never taken as verified
//! (and the public profile's `email` field, which has no such flag, is
//! not read at all).
//!
//! For github.com the API lives at `https://api.github.com`; a GitHub
//! Enterprise Server at `https://HOST` has it at `https://HOST/api/v3`.

use openidconnect::reqwest::{Client, StatusCode, header};
use openidconnect::{PkceCodeChallenge, PkceCodeVerifier};
use serde::Deserialize;

use super::Problem;
use super::relying::{Claims, Secrets, limited};
use crate::model::upstream::Provider;

/// Where a GitHub provider's web pages and API are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub web: String,
    pub api: String,
}

/// The endpoints for a provider whose issuer is `issuer`.
pub fn endpoints(issuer: &str) -> Endpoints {
    let web = issuer.trim_end_matches('/').to_owned();
    let api = if web == "https://github.com" {
        "https://api.github.com".to_owned()
    } else {
        format!("{web}/api/v3")
    };
    Endpoints { web, api }
}

/// The URL the browser is sent to.
pub fn authorization_url(
    provider: &Provider,
    redirect_uri: &str,
    secrets: &Secrets<'_>,
    login_hint: Option<&str>,
) -> Result<String, Problem> {
    let web = endpoints(&provider.issuer).web;
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
        secrets.verifier.to_owned(),
    ));
    let scopes = provider.scopes.join(" ");
    let url = url::Url::parse_with_params(
        &format!("{web}/login/oauth/authorize"),
        [
            ("client_id", provider.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", scopes.as_str()),
            ("state", secrets.state),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .map_err(|e| Problem::Internal(format!("GitHub authorization URL: {e}")))?;
    let mut url = url;
    if let Some(hint) = login_hint {
        // GitHub's name for it: the account to suggest.
        url.query_pairs_mut().append_pair("login", hint);
    }
    Ok(url.to_string())
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    #[serde(default)]
    primary: bool,
    #[serde(default)]
    verified: bool,
}

/// Exchanges `code` and reads the person from the API.
pub async fn exchange(
    http: &Client,
    provider: &Provider,
    redirect_uri: &str,
    code: &str,
    secrets: &Secrets<'_>,
) -> Result<Claims, Problem> {
    let at = endpoints(&provider.issuer);
    let call = Call { provider };
    let answer: TokenAnswer = call
        .json(
            http.post(format!("{}/login/oauth/access_token", at.web))
                .header(header::ACCEPT, "application/json")
                .form(&[
                    ("client_id", provider.client_id.as_str()),
                    ("client_secret", provider.client_secret.expose()),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                    ("code_verifier", secrets.verifier),
                ]),
            "token endpoint",
        )
        .await?;
    let token = match (answer.access_token, answer.error) {
        (Some(token), None) if !token.is_empty() => token,
        (_, error) => {
            // Its own words (bad_verification_code, ...): ASCII words only.
            let code: String = error
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            tracing::warn!(provider = %provider.name, error = %code, "GitHub refused the code");
            return Err(Problem::Unverified);
        }
    };
    let api = |path: &str| {
        http.get(format!("{}{path}", at.api))
            .bearer_auth(&token)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    };
    let user: User = call.json(api("/user"), "user").await?;
    let emails: Vec<Email> = call.json(api("/user/emails"), "e-mail addresses").await?;
    let Some(primary) = emails.into_iter().find(|e| e.primary) else {
        tracing::warn!(provider = %provider.name, "GitHub gave no primary e-mail address");
        return Err(Problem::Refused(format!(
            "{} did not say which e-mail address is yours, so you cannot sign in with it. \
             Check that AuthGate may read your e-mail addresses there.",
            provider.label
        )));
    };
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let Some(login) = text(&user.login) else {
        tracing::warn!(provider = %provider.name, "GitHub user without a login");
        return Err(Problem::Unreachable(provider.label.clone()));
    };
    let email = text(&primary.email);
    Ok(Claims {
        subject: user.id.to_string(),
        username: Some(login),
        email_verified: primary.verified && email.is_some(),
        email,
        name: user.name.as_deref().and_then(text),
    })
}

/// One provider's requests, failing the same way.
struct Call<'a> {
    provider: &'a Provider,
}

impl Call<'_> {
    /// Sends `request` and decodes its JSON answer: a network failure,
    /// a 5xx, an oversized or malformed answer is [`Problem::Unreachable`];
    /// a refused token (401, 403, any other 4xx) is [`Problem::Unverified`].
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: openidconnect::reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, Problem> {
        let name = &self.provider.name;
        let unreachable = || Problem::Unreachable(self.provider.label.clone());
        let response = request.send().await.map_err(|e| {
            tracing::warn!(provider = %name, error = %e, "GitHub {what} not answering");
            unreachable()
        })?;
        let status = response.status();
        if status.is_client_error() {
            tracing::warn!(provider = %name, %status, "GitHub {what} refused the request");
            return Err(Problem::Unverified);
        }
        if status != StatusCode::OK {
            tracing::warn!(provider = %name, %status, "GitHub {what} failed");
            return Err(unreachable());
        }
        let body = limited(response).await.ok_or_else(|| {
            tracing::warn!(provider = %name, "GitHub {what}: answer unreadable or too large");
            unreachable()
        })?;
        serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(provider = %name, error = %e, "GitHub {what}: malformed answer");
            unreachable()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_com_has_its_own_api_host_and_enterprise_servers_a_path() {
        assert_eq!(
            endpoints("https://github.com"),
            Endpoints {
                web: "https://github.com".into(),
                api: "https://api.github.com".into()
            }
        );
        assert_eq!(
            endpoints("https://ghe.example.com/"),
            Endpoints {
                web: "https://ghe.example.com".into(),
                api: "https://ghe.example.com/api/v3".into()
            }
        );
    }

    #[test]
    fn the_authorization_url_carries_pkce_state_and_the_login_hint() {
        use crate::model::Secret;
        use crate::model::time::UnixSecs;
        use crate::model::upstream::{ClaimMapping, ProviderKind};
        let provider = Provider {
            id: "p".into(),
            kind: ProviderKind::Github,
            name: "github".into(),
            label: "GitHub".into(),
            issuer: "https://github.com".into(),
            client_id: "Iv1.abc".into(),
            client_secret: Secret::new("s"),
            scopes: vec!["read:user".into(), "user:email".into()],
            claims: ClaimMapping::default(),
            create_accounts: false,
            allowed_domains: vec![],
            trust_email: false,
            hint_domains: vec![],
            enabled: true,
            created_at: UnixSecs(0),
        };
        let secrets = Secrets {
            state: "st",
            nonce: "n",
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        };
        let url = authorization_url(
            &provider,
            "https://auth.example/cb",
            &secrets,
            Some("octocat"),
        )
        .expect("a URL");
        let url = url::Url::parse(&url).expect("parses");
        assert_eq!(url.path(), "/login/oauth/authorize");
        let get = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(get("login").as_deref(), Some("octocat"));
        assert_eq!(get("state").as_deref(), Some("st"));
        assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(
            get("code_challenge").as_deref(),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
        assert_eq!(get("scope").as_deref(), Some("read:user user:email"));
        let without =
            authorization_url(&provider, "https://auth.example/cb", &secrets, None).expect("a URL");
        assert!(!without.contains("login="));
    }
}
