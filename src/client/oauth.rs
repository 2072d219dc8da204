//! The client's side of the protocol, one function per request.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

use super::credentials::Credentials;
use super::dpop::Prover;
use super::untrusted::clean;

/// RFC 8628 §3.4 grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The endpoints a client needs, from the server's metadata (RFC 8414).
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// RFC 8414 §2: PKCE methods; the browser sign-in needs `S256`.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207 §3: whether authorization responses carry `iss`, which the
    /// browser sign-in requires (mix-up defence).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9449 §5.1: the server binds tokens to a key proved with these.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Vec<String>,
}

impl Endpoints {
    /// The authorization endpoint when the server offers what the browser
    /// sign-in needs (PKCE `S256`, `iss` in responses), else why not.
    pub fn browser_sign_in(&self) -> Result<&str, &'static str> {
        let endpoint = self
            .authorization_endpoint
            .as_deref()
            .ok_or("the server has no authorization endpoint")?;
        if !self
            .code_challenge_methods_supported
            .iter()
            .any(|m| m == "S256")
        {
            return Err("the server does not support PKCE S256");
        }
        if !self.authorization_response_iss_parameter_supported {
            return Err("the server does not put iss in its authorization responses (RFC 9207)");
        }
        Ok(endpoint)
    }
}

/// RFC 8628 §3.2 device authorization response.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    /// RFC 8628 §3.2: 5 seconds when absent.
    #[serde(default)]
    pub interval: Option<u64>,
}

/// RFC 6749 §5.1 token response.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// RFC 6749 §5.2 error response (AuthGate adds `interval` to `slow_down`).
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub interval: Option<u64>,
}

/// The server's words, [`clean`]ed: this ends up on a terminal.
impl std::fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let error = clean(&self.error);
        match &self.error_description {
            Some(d) => write!(f, "{error} ({})", clean(d)),
            None => f.write_str(&error),
        }
    }
}

/// What one poll of the token endpoint said (RFC 8628 §3.5).
#[derive(Debug, Clone)]
pub enum Poll {
    Granted(TokenResponse),
    Pending,
    /// Poll less often: the server's new interval when it sent one.
    SlowDown(Option<u64>),
    Denied,
    Expired,
    /// The server cannot answer now (503 `temporarily_unavailable`, or a
    /// proxy's 502/503/504): poll again later, after `Retry-After` seconds
    /// when it said so. The device code is still good.
    Unavailable(Option<u64>),
}

/// What `/oauth/tokeninfo` says about a valid access token.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenInfo {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
}

/// An HTTP client for one server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    /// Proves possession of the DPoP key on every token request.
    prover: Option<Prover>,
}

impl Client {
    /// `server` is normalised (no trailing slash).
    pub fn new(server: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("authgate-cli/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self {
            http,
            server: server.to_owned(),
            prover: None,
        })
    }

    /// This client, sending a DPoP proof of `prover`'s key with every
    /// token request (RFC 9449 §5).
    pub fn with_dpop(mut self, prover: Prover) -> Self {
        self.prover = Some(prover);
        self
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    /// RFC 8414 §3: `GET /.well-known/oauth-authorization-server`. The
    /// issuer must be the server asked (§3.3), or the metadata may be a
    /// forgery or the URL a wrong one.
    pub async fn discover(&self) -> anyhow::Result<Endpoints> {
        let url = format!("{}/.well-known/oauth-authorization-server", self.server);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.server))?;
        anyhow::ensure!(
            resp.status().is_success(),
            "{url} answered {}: is {} an AuthGate server?",
            resp.status(),
            self.server
        );
        let endpoints: Endpoints = resp
            .json()
            .await
            .with_context(|| format!("{url} did not return authorization server metadata"))?;
        let issuer = clean(endpoints.issuer.trim_end_matches('/'));
        anyhow::ensure!(
            issuer == self.server,
            "the server calls itself {issuer} (its BASE_URL), not {}: sign in with --server {issuer}",
            self.server
        );
        Ok(endpoints)
    }

    /// RFC 8628 §3.1: asks for a device code and a user code, for
    /// `resources` (RFC 8707) when there are any.
    pub async fn device_authorization(
        &self,
        endpoint: &str,
        client_id: &str,
        scope: Option<&str>,
        resources: &[String],
    ) -> anyhow::Result<DeviceAuthorization> {
        let mut form = vec![("client_id", client_id)];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        form.extend(resources.iter().map(|r| ("resource", r.as_str())));
        let resp = self.post(endpoint, &form).await?;
        if resp.status().is_success() {
            return resp
                .json()
                .await
                .context("the device authorization response is malformed");
        }
        Err(error_of(resp, "the device authorization request failed").await)
    }

    /// RFC 8628 §3.4: one poll of the token endpoint.
    pub async fn poll(
        &self,
        endpoint: &str,
        client_id: &str,
        device_code: &str,
    ) -> anyhow::Result<Poll> {
        let resp = self
            .post(
                endpoint,
                &[
                    ("grant_type", DEVICE_CODE_GRANT),
                    ("device_code", device_code),
                    ("client_id", client_id),
                ],
            )
            .await?;
        if resp.status().is_success() {
            return Ok(Poll::Granted(
                resp.json()
                    .await
                    .context("the token response is malformed")?,
            ));
        }
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let gateway = matches!(status.as_u16(), 502..=504);
        let body: ErrorResponse = match resp.json().await {
            Ok(body) => body,
            Err(_) if gateway => return Ok(Poll::Unavailable(retry_after)),
            Err(_) => anyhow::bail!("the token endpoint answered {status} without an OAuth error"),
        };
        Ok(match body.error.as_str() {
            "temporarily_unavailable" => Poll::Unavailable(retry_after),
            _ if gateway => Poll::Unavailable(retry_after),
            "authorization_pending" => Poll::Pending,
            "slow_down" => Poll::SlowDown(body.interval),
            "access_denied" => Poll::Denied,
            "expired_token" => Poll::Expired,
            _ => anyhow::bail!("the token request failed: {body}"),
        })
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.5: redeems an authorization code
    /// with the PKCE verifier, at the `redirect_uri` it was issued for.
    pub async fn exchange_code(
        &self,
        endpoint: &str,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> anyhow::Result<TokenResponse> {
        let resp = self
            .post(
                endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                    ("code_verifier", verifier),
                    ("client_id", client_id),
                ],
            )
            .await?;
        if resp.status().is_success() {
            return resp.json().await.context("the token response is malformed");
        }
        Err(error_of(resp, "the code exchange failed").await)
    }

    /// RFC 6749 §6: a new access token (and refresh token) for `creds`.
    /// `Ok(Err(_))` when the server refused the refresh token itself
    /// (`invalid_grant`: revoked, expired, or used twice).
    pub async fn refresh(
        &self,
        creds: &Credentials,
    ) -> anyhow::Result<Result<TokenResponse, ErrorResponse>> {
        let Some(refresh_token) = creds.refresh_token.as_deref() else {
            return Ok(Err(ErrorResponse {
                error: "invalid_grant".into(),
                error_description: Some("no refresh token is stored".into()),
                interval: None,
            }));
        };
        let resp = self
            .post(
                &creds.token_endpoint,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                    ("client_id", creds.client_id.as_str()),
                ],
            )
            .await?;
        if resp.status().is_success() {
            return Ok(Ok(resp
                .json()
                .await
                .context("the token response is malformed")?));
        }
        let status = resp.status();
        match resp.json::<ErrorResponse>().await {
            Ok(body) if body.error == "invalid_grant" => Ok(Err(body)),
            Ok(body) => anyhow::bail!("the refresh failed: {body}"),
            Err(_) => anyhow::bail!("the token endpoint answered {status}"),
        }
    }

    /// RFC 7009: revokes `token` (the server answers 200 for unknown ones).
    pub async fn revoke(
        &self,
        endpoint: &str,
        client_id: &str,
        token: &str,
        hint: &str,
    ) -> anyhow::Result<()> {
        let resp = self
            .post(
                endpoint,
                &[
                    ("token", token),
                    ("token_type_hint", hint),
                    ("client_id", client_id),
                ],
            )
            .await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(error_of(resp, "the revocation failed").await)
        }
    }

    /// `GET /oauth/tokeninfo`; `Ok(None)` when the token is not valid (401).
    pub async fn tokeninfo(&self, access_token: &str) -> anyhow::Result<Option<TokenInfo>> {
        let resp = self
            .http
            .get(format!("{}/oauth/tokeninfo", self.server))
            .bearer_auth(access_token)
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.server))?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        if resp.status().is_success() {
            return Ok(Some(
                resp.json()
                    .await
                    .context("the tokeninfo answer is malformed")?,
            ));
        }
        Err(error_of(resp, "the token check failed").await)
    }

    async fn post(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<reqwest::Response> {
        let send = || async {
            let mut request = self.http.post(endpoint).form(form);
            if let Some(prover) = &self.prover {
                request = request.header("DPoP", prover.proof("POST", endpoint, None)?);
            }
            request
                .send()
                .await
                .with_context(|| format!("cannot reach {endpoint}"))
        };
        let resp = send().await?;
        let Some(prover) = &self.prover else {
            return Ok(resp);
        };
        let fresh_nonce = resp
            .headers()
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|nonce| prover.remember_nonce(nonce));
        if !(fresh_nonce && resp.status() == reqwest::StatusCode::BAD_REQUEST) {
            return Ok(resp);
        }
        // RFC 9449 §8: `use_dpop_nonce` asks for the proof again with the
        // nonce just sent; once.
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = resp
            .bytes()
            .await
            .context("the token endpoint's answer broke off")?;
        let asks_nonce = serde_json::from_slice::<ErrorResponse>(&body)
            .is_ok_and(|e| e.error == "use_dpop_nonce");
        if asks_nonce {
            return send().await;
        }
        let mut rebuilt = axum::http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }
}

/// An error for a non-success answer, with the OAuth error when present.
async fn error_of(resp: reqwest::Response, what: &str) -> anyhow::Error {
    let status = resp.status();
    match resp.json::<ErrorResponse>().await {
        Ok(body) => anyhow::anyhow!("{what}: {body}"),
        Err(_) => anyhow::anyhow!("{what}: the server answered {status}"),
    }
}
