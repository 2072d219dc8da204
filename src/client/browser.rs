//! The browser sign-in of `authgate login`: the authorization code grant
//! with PKCE for a native app (RFC 6749 §4.1, RFC 7636, RFC 8252).
//!
//! 1. Bind the loopback listener ([`Loopback`]) and draw `state` and the
//!    PKCE verifier from the operating system's randomness.
//! 2. Print the authorization URL (a person can copy it) and open it.
//! 3. Wait for the one answer; `state` and `iss` are checked there.
//! 4. Redeem the code with the verifier at the same redirect URI.
//!
//! When this cannot work here ([`Fallback`]) the caller runs the device
//! flow instead; a refusal by the person or the server, or a mix-up, ends
//! the login.

use std::time::Duration;

use super::choice::Fallback;
use super::loopback::{Answer, Loopback, Waited, mix_up_message};
use super::oauth::{Client, TokenResponse};
use super::untrusted::{check_page, clean};
use super::{Failure, Result, prompt};
use crate::crypto::random::Random;
use crate::model::authorization_code::s256_challenge;

/// What the browser sign-in came to.
#[derive(Debug)]
pub enum Outcome {
    Tokens(TokenResponse),
    /// It could not be done here: use the device flow.
    Fallback(Fallback),
}

/// What the sign-in asks for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub authorization_endpoint: &'a str,
    pub token_endpoint: &'a str,
    /// The issuer from the metadata, which every answer must name.
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub scope: Option<&'a str>,
    /// RFC 8707 resources to ask for; the code's exchange then names none
    /// and gets tokens for all of them.
    pub resources: &'a [String],
    /// How long to wait for the browser's answer.
    pub timeout: Duration,
}

/// Runs the browser sign-in against `client`'s server.
pub async fn sign_in(client: &Client, request: Request<'_>) -> Result<Outcome> {
    let loopback = match Loopback::bind().await {
        Ok(loopback) => loopback,
        Err(e) => return Ok(Outcome::Fallback(Fallback::CannotListen(e.to_string()))),
    };
    let random = Random::os();
    // 256 bits each; the verifier is 43 unreserved characters (RFC 7636 §4.1).
    let state = random.token(32);
    let verifier = random.token(32);
    let redirect_uri = loopback.redirect_uri.clone();
    let url = authorization_url(&request, &redirect_uri, &state, &verifier)?;
    let page = check_page(client.server(), &url).map_err(|e| {
        anyhow::anyhow!("the server's authorization_endpoint {e}: refusing to open it")
    })?;
    if let Some(origin) = &page.elsewhere {
        eprintln!(
            "warning: the sign-in page is on {origin}, not {}: sign in there only if you trust it",
            client.server()
        );
    }
    eprintln!(
        "To sign in to {}, open this page in a browser on this machine (opening it now):\n\n    {}\n",
        client.server(),
        page.url
    );
    if !prompt::open_browser(&page.url).await {
        return Ok(Outcome::Fallback(Fallback::CannotOpenBrowser));
    }
    eprintln!(
        "Waiting up to {} for the browser (then the device flow takes over).",
        humantime::format_duration(request.timeout)
    );
    let code = match loopback.wait(&state, request.issuer, request.timeout).await {
        Waited::Answer(Answer::Code(code)) => code,
        Waited::Answer(Answer::Refused { error, description }) => {
            let said = match description {
                Some(d) => format!("{} ({})", clean(&error), clean(&d)),
                None => clean(&error),
            };
            if error == "access_denied" {
                eprintln!("The server answered: {said}");
                return Err(Failure::Denied);
            }
            return Err(anyhow::anyhow!("the server refused the sign-in: {said}").into());
        }
        Waited::MixUp(iss) => {
            return Err(anyhow::anyhow!(mix_up_message(iss.as_deref(), request.issuer)).into());
        }
        Waited::TimedOut => return Ok(Outcome::Fallback(Fallback::NoAnswer(request.timeout))),
    };
    let tokens = client
        .exchange_code(
            request.token_endpoint,
            request.client_id,
            &code,
            &redirect_uri,
            &verifier,
        )
        .await?;
    Ok(Outcome::Tokens(tokens))
}

/// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) as a URL.
fn authorization_url(
    request: &Request<'_>,
    redirect_uri: &str,
    state: &str,
    verifier: &str,
) -> anyhow::Result<String> {
    let mut url = url::Url::parse(request.authorization_endpoint).map_err(|_| {
        anyhow::anyhow!(
            "the server's authorization_endpoint {:?} is not a URL",
            clean(request.authorization_endpoint)
        )
    })?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", request.client_id)
            .append_pair("redirect_uri", redirect_uri);
        if let Some(scope) = request.scope {
            query.append_pair("scope", scope);
        }
        for resource in request.resources {
            query.append_pair("resource", resource);
        }
        query
            .append_pair("state", state)
            .append_pair("code_challenge", &s256_challenge(verifier))
            .append_pair("code_challenge_method", "S256");
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_url_carries_pkce_and_state() {
        let request = Request {
            authorization_endpoint: "https://auth.example.com/oauth/authorize",
            token_endpoint: "https://auth.example.com/oauth/token",
            issuer: "https://auth.example.com",
            client_id: "cli",
            scope: Some("read write"),
            resources: &["https://a.example/api".into(), "https://b.example".into()],
            timeout: Duration::from_secs(1),
        };
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let url =
            authorization_url(&request, "http://127.0.0.1:5000/callback", "st", verifier).unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("cli"));
        assert_eq!(get("scope"), Some("read write"));
        let resources: Vec<&str> = q
            .iter()
            .filter(|(n, _)| n == "resource")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(resources, ["https://a.example/api", "https://b.example"]);
        assert_eq!(get("state"), Some("st"));
        // RFC 7636 Appendix B.
        assert_eq!(
            get("code_challenge"),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("redirect_uri"), Some("http://127.0.0.1:5000/callback"));
        assert!(!url.contains(verifier), "the verifier stays here");
    }
}
