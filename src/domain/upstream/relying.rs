//! AuthGate as a relying party of an upstream provider, through the
//! `openidconnect` crate: discovery (cached), the authorization URL, the
//! code exchange with the ID token's verification, and userinfo.
//!
//! Every call to a provider has a short deadline ([`UPSTREAM_TIMEOUT`]) and
//! follows no redirects (a discovery document or token endpoint that
//! redirects elsewhere is refused, not followed), so a slow or unreachable
//! provider becomes a clear page well within REQUEST_TIMEOUT.

use std::time::Duration;

use dashmap::DashMap;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use super::Problem;
use crate::model::upstream::Provider;

/// How long one request to a provider may take.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a provider's discovery document and keys are believed. A
/// signature that no cached key verifies refetches them at once (the
/// provider may have rotated its keys).
pub const METADATA_TTL_SECS: i64 = 60 * 60;

/// The HTTP client for providers and their cached metadata, by issuer.
pub struct Relying {
    http: openidconnect::reqwest::Client,
    metadata: DashMap<String, (i64, CoreProviderMetadata)>,
}

impl std::fmt::Debug for Relying {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relying")
            .field("cached", &self.metadata.len())
            .finish_non_exhaustive()
    }
}

/// What the ID token said, after its verification.
#[derive(Debug, Clone)]
pub struct Claims {
    pub subject: String,
    pub username: Option<String>,
    pub email: Option<String>,
    /// `email_verified` exactly `true` (a string or absence is false).
    pub email_verified: bool,
    pub name: Option<String>,
}

impl Relying {
    pub fn new() -> Result<Self, String> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(UPSTREAM_TIMEOUT)
            .connect_timeout(UPSTREAM_TIMEOUT)
            .user_agent(concat!("AuthGate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("upstream HTTP client: {e}"))?;
        Ok(Self {
            http,
            metadata: DashMap::new(),
        })
    }

    /// The HTTP client for providers (short deadlines, no redirects).
    pub fn http(&self) -> &openidconnect::reqwest::Client {
        &self.http
    }

    /// The provider's discovery document and keys, from memory when
    /// fetched within [`METADATA_TTL_SECS`] of `now`.
    async fn metadata(
        &self,
        provider: &Provider,
        now: i64,
    ) -> Result<CoreProviderMetadata, Problem> {
        if let Some(entry) = self.metadata.get(&provider.issuer) {
            let (at, ref metadata) = *entry;
            if now - at < METADATA_TTL_SECS {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|_| Problem::Unreachable(provider.label.clone()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %provider.name, error = %e, "upstream discovery failed");
                Problem::Unreachable(provider.label.clone())
            })?;
        self.metadata
            .insert(provider.issuer.clone(), (now, metadata.clone()));
        Ok(metadata)
    }

    fn client(
        provider: &Provider,
        metadata: CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        Problem,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| Problem::Internal(format!("redirect URI: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(
                provider.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's authorization URL for the code flow with PKCE S256
    /// (RFC 7636), `state` and `nonce` (OpenID Connect Core §3.1.2.1).
    pub async fn authorization_url(
        &self,
        provider: &Provider,
        redirect_uri: &str,
        secrets: &Secrets<'_>,
        login_hint: Option<&str>,
        now: i64,
    ) -> Result<String, Problem> {
        let metadata = self.metadata(provider, now).await?;
        let client = Self::client(provider, metadata, redirect_uri)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            secrets.verifier.to_owned(),
        ));
        let state = secrets.state.to_owned();
        let nonce = secrets.nonce.to_owned();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        );
        for scope in provider.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, _, _) = request.set_pkce_challenge(challenge).url();
        Ok(url.to_string())
    }

    /// Exchanges `code` and verifies the ID token: its signature with the
    /// provider's published keys, `iss`, `aud`, `exp` (at `now`) and
    /// `nonce`, as OpenID Connect Core §3.1.3.7 asks. Mapped claims the ID
    /// token lacks are asked of the userinfo endpoint, when there is one
    /// (many providers, Gitea and GitLab among them, keep the profile
    /// there).
    pub async fn exchange(
        &self,
        provider: &Provider,
        redirect_uri: &str,
        code: &str,
        secrets: &Secrets<'_>,
        now: i64,
    ) -> Result<Claims, Problem> {
        let metadata = self.metadata(provider, now).await?;
        let userinfo = metadata.userinfo_endpoint().map(|u| u.url().clone());
        let client = Self::client(provider, metadata, redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| Problem::Internal(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %provider.name, error = %e, "upstream code exchange failed");
                match e {
                    openidconnect::RequestTokenError::Request(_) => {
                        Problem::Unreachable(provider.label.clone())
                    }
                    _ => Problem::Unverified,
                }
            })?;
        let id_token = tokens.id_token().ok_or(Problem::Unverified)?;
        let nonce = Nonce::new(secrets.nonce.to_owned());
        let at = chrono::DateTime::from_timestamp(now, 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        let verifier = client.id_token_verifier().set_time_fn(move || at);
        let verified: Result<&CoreIdTokenClaims, _> = id_token.claims(&verifier, &nonce);
        let claims = match verified {
            Ok(claims) => claims,
            Err(e) => {
                if matches!(
                    e,
                    openidconnect::ClaimsVerificationError::SignatureVerification(_)
                ) {
                    // Perhaps rotated keys: the next sign-in fetches them anew.
                    self.metadata.remove(&provider.issuer);
                }
                tracing::warn!(provider = %provider.name, error = %e, "upstream ID token refused");
                return Err(Problem::Unverified);
            }
        };
        let subject = claims.subject().as_str().to_owned();
        // Verified above; read the mapped claims from the same payload.
        let payload = payload(&id_token.to_string()).ok_or(Problem::Unverified)?;
        let mut found = mapped(provider, subject, &payload);
        let missing = found.username.is_none() || found.email.is_none() || found.name.is_none();
        if let (true, Some(endpoint)) = (missing, userinfo) {
            let info = self
                .userinfo(provider, endpoint, tokens.access_token().secret())
                .await?;
            // OpenID Connect Core §5.3.4: the userinfo `sub` must be the
            // ID token's, or the answer is about someone else (or was
            // substituted) and nothing of it may be used.
            if info.get("sub").and_then(|v| v.as_str()) != Some(found.subject.as_str()) {
                tracing::warn!(provider = %provider.name, "userinfo sub is not the ID token's");
                return Err(Problem::Unverified);
            }
            let more = mapped(provider, found.subject.clone(), &info);
            found.username = found.username.or(more.username);
            found.name = found.name.or(more.name);
            if found.email.is_none() {
                // email_verified from the source that gave the address.
                found.email = more.email;
                found.email_verified = more.email_verified;
            }
        }
        Ok(found)
    }

    /// The provider's userinfo answer (OpenID Connect Core §5.3) for
    /// `access_token`, as a JSON object. Signed or encrypted answers
    /// (`application/jwt`) are not read: refused as unverifiable.
    async fn userinfo(
        &self,
        provider: &Provider,
        endpoint: url::Url,
        access_token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Problem> {
        let unreachable = |why: &str| {
            tracing::warn!(provider = %provider.name, reason = why, "upstream userinfo failed");
            Problem::Unreachable(provider.label.clone())
        };
        let response = self
            .http
            .get(endpoint)
            .bearer_auth(access_token)
            .header(openidconnect::reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unreachable(&e.to_string()))?;
        let status = response.status();
        if status.is_client_error() {
            tracing::warn!(provider = %provider.name, %status, "upstream userinfo refused the token");
            return Err(Problem::Unverified);
        }
        if !status.is_success() {
            return Err(unreachable(status.as_str()));
        }
        let json = response
            .headers()
            .get(openidconnect::reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            tracing::warn!(provider = %provider.name, "upstream userinfo is not plain JSON");
            return Err(Problem::Unverified);
        }
        let body = limited(response)
            .await
            .ok_or_else(|| unreachable("unreadable or too large"))?;
        serde_json::from_slice(&body).map_err(|_| unreachable("malformed JSON"))
    }
}

/// The most an answer read by hand (userinfo, GitHub's API) may weigh.
const MAX_BODY: usize = 256 * 1024;

/// The body of `response`, if it is at most [`MAX_BODY`] bytes.
pub(super) async fn limited(mut response: openidconnect::reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if body.len() + chunk.len() > MAX_BODY {
            return None;
        }
        body.extend_from_slice(&chunk);
    }
    Some(body)
}

/// The mapped claims of a verified ID token's (or userinfo's) `map`.
/// `email_verified` counts only beside an address from the same map.
fn mapped(
    provider: &Provider,
    subject: String,
    map: &serde_json::Map<String, serde_json::Value>,
) -> Claims {
    let text = |claim: &str| {
        map.get(claim)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let email = text(&provider.claims.email);
    Claims {
        subject,
        username: text(&provider.claims.username),
        email_verified: email.is_some()
            && map.get("email_verified") == Some(&serde_json::Value::Bool(true)),
        email,
        name: text(&provider.claims.name),
    }
}

/// The per-sign-in secrets: `state`, the nonce and the PKCE verifier.
#[derive(Debug, Clone, Copy)]
pub struct Secrets<'a> {
    pub state: &'a str,
    pub nonce: &'a str,
    pub verifier: &'a str,
}

/// The JSON payload of a compact JWS (its signature checked by the caller).
fn payload(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
