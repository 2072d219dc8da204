//! The authorization endpoint's rules (RFC 6749 §4.1.1, RFC 7636 §4.3):
//! checking an authorization request, and answering it.
//!
//! Which errors go where is RFC 6749 §4.1.2.1: while the client or the
//! redirect URI is in doubt (unknown or disabled client, a `redirect_uri`
//! it did not register, either parameter missing, repeated or malformed),
//! nothing may be sent to the redirect URI — that would make AuthGate an
//! open redirector — so the person sees a page
//! ([`Error::InvalidAuthorizationRequest`]). Every later error goes back
//! to the application at its redirect URI with `error`, `state` and `iss`
//! (RFC 9207) ([`Error::AuthorizationRefused`]).
//!
//! PKCE (RFC 7636) with `S256` is required of public clients; `plain` is
//! refused for everyone, and a confidential client that sends a challenge
//! must then send the verifier (the model's [`AuthorizationCode::redeem`]).
//!
//! [`AuthorizationCode::redeem`]: crate::model::authorization_code::AuthorizationCode::redeem

use super::client::{self, Client};
use super::{Core, Error, Result, device_flow};
use crate::model::authn::Acr;
use crate::model::authorization_code::valid_challenge;
use crate::model::client::{ClientStatus, GrantType};
use crate::model::scope::Scopes;
use crate::model::{redirect_uri, resource};

mod decision;
mod prompt;
mod remembered;
pub use decision::*;
pub use prompt::{MAX_LOGIN_HINT, Prompt, clean_login_hint, must_sign_in};
pub use remembered::*;

/// Longest accepted values, in bytes (a longer one is `invalid_request`).
const MAX_CLIENT_ID: usize = 255;
const MAX_SCOPE: usize = 1024;
const MAX_STATE: usize = 1024;
const MAX_NONCE: usize = 512;
const MAX_OTHER: usize = 64;

/// The authorization request's parameters as received. Empty values count
/// as absent (RFC 6749 §3.1); unknown parameters are ignored.
#[derive(Debug, Default, Clone)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Option<String>,
    /// RFC 8707 `resource`: the one parameter that may repeat (one per
    /// resource), in order.
    pub resources: Vec<String>,
    /// RFC 9449 §10: the thumbprint of the DPoP key the code is for.
    pub dpop_jkt: Option<String>,
    /// Known parameters sent more than once (RFC 6749 §3.1 forbids it).
    pub repeated: Vec<&'static str>,
}

impl AuthorizeParams {
    /// The parameters of a query string.
    pub fn parse(query: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let (name, slot) = match name.as_ref() {
                "response_type" => ("response_type", &mut params.response_type),
                "client_id" => ("client_id", &mut params.client_id),
                "redirect_uri" => ("redirect_uri", &mut params.redirect_uri),
                "scope" => ("scope", &mut params.scope),
                "state" => ("state", &mut params.state),
                "code_challenge" => ("code_challenge", &mut params.code_challenge),
                "code_challenge_method" => {
                    ("code_challenge_method", &mut params.code_challenge_method)
                }
                "nonce" => ("nonce", &mut params.nonce),
                "prompt" => ("prompt", &mut params.prompt),
                "max_age" => ("max_age", &mut params.max_age),
                "login_hint" => ("login_hint", &mut params.login_hint),
                "acr_values" => ("acr_values", &mut params.acr_values),
                "resource" => {
                    params.resources.push(value.into_owned());
                    continue;
                }
                "dpop_jkt" => ("dpop_jkt", &mut params.dpop_jkt),
                _ => continue,
            };
            if slot.is_some() {
                if !params.repeated.contains(&name) {
                    params.repeated.push(name);
                }
            } else {
                *slot = Some(value.into_owned());
            }
        }
        params
    }

    fn is_repeated(&self, name: &str) -> bool {
        self.repeated.contains(&name)
    }
}

/// A checked authorization request, ready for the person's decision.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    /// Where the answer goes: the request's, or the only registered one.
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: Scopes,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    /// OpenID Connect Core 1.0 §3.1.2.1.
    pub prompt: Prompt,
    /// The oldest sign-in accepted, in seconds (§3.1.2.1).
    pub max_age: Option<i64>,
    /// A username to prefill on the sign-in form.
    pub login_hint: Option<String>,
    /// The least class `acr_values` asked for (unknown values are
    /// ignored, §3.1.2.1); see `step_up.rs`.
    pub acr: Option<Acr>,
    /// RFC 8707: the resources (APIs) the tokens are to be for, each one
    /// the client registered; shown on the consent page.
    pub resources: Vec<String>,
    /// RFC 9449 §10: the code may only be exchanged with a DPoP proof of
    /// this key (its thumbprint).
    pub dpop_jkt: Option<String>,
}

impl AuthorizationRequest {
    /// `error` for the application at its redirect URI, with the state.
    pub fn refusal(&self, error: &'static str, description: &str) -> Error {
        Error::AuthorizationRefused(Box::new(ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: self.state.clone(),
        }))
    }
}

/// An error answered at the application's redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    /// The RFC 6749 §4.1.2.1 error code.
    pub error: &'static str,
    pub description: String,
    pub state: Option<String>,
}

/// `value` when it is usable: absent or empty is `Ok(None)`; control
/// characters (NUL included) or more than `max` bytes is `Err`.
fn clean<'a>(
    name: &str,
    value: Option<&'a String>,
    max: usize,
) -> std::result::Result<Option<&'a str>, String> {
    let Some(value) = value.map(String::as_str).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.len() > max {
        return Err(format!("{name} must be at most {max} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{name} must not contain control characters"));
    }
    Ok(Some(value))
}

fn page(message: &str) -> Error {
    Error::InvalidAuthorizationRequest(message.to_owned())
}

/// The client and where to answer it, or a page's reason why there is no
/// safe place to answer.
async fn client_and_redirect(core: &Core, p: &AuthorizeParams) -> Result<(Client, String, bool)> {
    if p.is_repeated("client_id") || p.is_repeated("redirect_uri") {
        return Err(page(
            "The application's request is malformed: it repeats client_id or redirect_uri.",
        ));
    }
    let client_id = clean("client_id", p.client_id.as_ref(), MAX_CLIENT_ID)
        .map_err(|_| page("The application's request names no valid application (client_id)."))?
        .ok_or_else(|| page("The application's request does not say which application it is (client_id is missing)."))?;
    let client = client::find(core, client_id)
        .await?
        .filter(|c| !c.disabled)
        .ok_or_else(|| page("The application that sent you here is unknown or disabled."))?;
    // A client that registered itself proves nothing about its redirect
    // URIs until an administrator approves it: tell the person, never
    // redirect to it.
    match client.status {
        ClientStatus::Approved => {}
        ClientStatus::Pending => {
            return Err(page(
                "The application that sent you here registered itself and is waiting for an administrator's approval. It cannot sign you in yet.",
            ));
        }
        ClientStatus::Rejected => {
            return Err(page(
                "The application that sent you here was rejected by an administrator. It cannot sign you in.",
            ));
        }
    }
    let registered = core.store.client_redirect_uris(&client.id).await?;
    let given = clean(
        "redirect_uri",
        p.redirect_uri.as_ref(),
        redirect_uri::MAX_LEN,
    )
    .map_err(|_| page("The address the application asked to return to is malformed."))?;
    let (uri, given) = match given {
        Some(uri) if redirect_uri::is_registered(&registered, uri) => (uri.to_owned(), true),
        Some(_) => {
            return Err(page(
                "The address the application asked to return to is not registered for it.",
            ));
        }
        None => match registered.as_slice() {
            [only] => (only.clone(), false),
            [] => return Err(page("This application has no registered redirect URI.")),
            _ => {
                return Err(page(
                    "The application's request must name its redirect_uri: it has several.",
                ));
            }
        },
    };
    Ok((client, uri, given))
}

/// The parameters besides the client and the redirect URI, cleaned.
struct Fields<'a> {
    response_type: Option<&'a str>,
    scope: Option<&'a str>,
    challenge: Option<&'a str>,
    method: Option<&'a str>,
    nonce: Option<&'a str>,
    prompt: Prompt,
    max_age: Option<i64>,
}

/// [`Fields`] of `p`, or why one is unusable (`state` included).
fn fields(p: &AuthorizeParams) -> std::result::Result<Fields<'_>, String> {
    clean("state", p.state.as_ref(), MAX_STATE)?;
    Ok(Fields {
        response_type: clean("response_type", p.response_type.as_ref(), MAX_OTHER)?,
        scope: clean("scope", p.scope.as_ref(), MAX_SCOPE)?,
        challenge: clean("code_challenge", p.code_challenge.as_ref(), MAX_OTHER)?,
        method: clean(
            "code_challenge_method",
            p.code_challenge_method.as_ref(),
            MAX_OTHER,
        )?,
        nonce: clean("nonce", p.nonce.as_ref(), MAX_NONCE)?,
        prompt: Prompt::parse(clean("prompt", p.prompt.as_ref(), MAX_OTHER)?)?,
        max_age: prompt::parse_max_age(clean("max_age", p.max_age.as_ref(), MAX_OTHER)?)?,
    })
}

/// Checks an authorization request. Errors are
/// [`Error::InvalidAuthorizationRequest`] (a page for the person) or
/// [`Error::AuthorizationRefused`] (back to the application), or the
/// store's.
pub async fn check(core: &Core, p: &AuthorizeParams) -> Result<AuthorizationRequest> {
    let (client, redirect_uri, redirect_uri_given) = client_and_redirect(core, p).await?;
    let state = match clean("state", p.state.as_ref(), MAX_STATE) {
        Ok(state) if !p.is_repeated("state") => state.map(str::to_owned),
        _ => None,
    };
    let refuse = |error: &'static str, description: String| {
        Error::AuthorizationRefused(Box::new(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description,
            state: state.clone(),
        }))
    };
    if let Some(name) = p.repeated.first() {
        return Err(refuse(
            "invalid_request",
            format!("parameter {name} must not be repeated"),
        ));
    }
    let Fields {
        response_type,
        scope,
        challenge,
        method,
        nonce,
        prompt,
        max_age,
    } = fields(p).map_err(|why| refuse("invalid_request", why))?;
    match response_type {
        None => {
            return Err(refuse(
                "invalid_request",
                "response_type is required".into(),
            ));
        }
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    if !client.may_use(GrantType::AuthorizationCode) {
        return Err(refuse(
            "unauthorized_client",
            "this client may not use the authorization code grant".into(),
        ));
    }
    let scope = device_flow::resolve_scope(&client, scope)
        .map_err(|e| refuse("invalid_scope", e.to_string()))?;
    super::oidc::check_available(core, &scope)
        .map_err(|e| refuse("invalid_scope", e.to_string()))?;
    // RFC 8707 §2: an unusable resource goes back as invalid_target.
    let resources = resource::check_requested(&p.resources, &client.resources)
        .map_err(|why| refuse("invalid_target", why))?;
    let code_challenge =
        pkce(&client, challenge, method).map_err(|why| refuse("invalid_request", why.into()))?;
    let dpop_jkt = match p.dpop_jkt.as_deref() {
        Some(jkt) if !crate::model::dpop::is_thumbprint(jkt) => {
            return Err(refuse(
                "invalid_request",
                "dpop_jkt must be a SHA-256 JWK thumbprint (43 base64url characters)".into(),
            ));
        }
        jkt => jkt.map(str::to_owned),
    };
    Ok(AuthorizationRequest {
        client,
        redirect_uri,
        redirect_uri_given,
        scope,
        state,
        code_challenge,
        nonce: nonce.map(str::to_owned),
        prompt,
        max_age,
        login_hint: prompt::clean_login_hint(p.login_hint.as_deref()),
        acr: p.acr_values.as_deref().and_then(Acr::least_requested),
        resources,
        dpop_jkt,
    })
}

/// RFC 7636 §4.3 and §4.4.1: the challenge to keep, or why the request
/// is refused.
fn pkce(
    client: &Client,
    challenge: Option<&str>,
    method: Option<&str>,
) -> std::result::Result<Option<String>, &'static str> {
    match (challenge, method) {
        (None, Some(_)) => Err("code_challenge_method was sent without code_challenge"),
        (None, None) if client.is_confidential() => Ok(None),
        (None, None) => Err("code_challenge is required (PKCE with S256) for public clients"),
        // Without a method RFC 7636 means `plain`, which is refused too.
        (Some(_), method) if method != Some("S256") => {
            Err("code_challenge_method must be S256; plain is not supported")
        }
        (Some(c), _) if !valid_challenge(c) => {
            Err("code_challenge must be 43 base64url characters (an S256 challenge)")
        }
        (Some(c), _) => Ok(Some(c.to_owned())),
    }
}

/// `redirect_uri` with `pairs` added to its query (RFC 6749 §4.1.2: the
/// registered URI's own query is kept).
pub fn answer_uri(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in pairs {
                    query.append_pair(name, value);
                }
            }
            url.into()
        }
        // Registered URIs parse (see `redirect_uri::problem`); keep going
        // with a plain join rather than fail.
        Err(_) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.extend_pairs(pairs);
            let sep = if redirect_uri.contains('?') { '&' } else { '?' };
            format!("{redirect_uri}{sep}{}", query.finish())
        }
    }
}

/// Where an error goes: `redirect` with `error`, `error_description`,
/// `state` (when the request had one) and `iss` (RFC 9207).
pub fn error_location(core: &Core, redirect: &ErrorRedirect) -> String {
    let mut pairs = vec![
        ("error", redirect.error),
        ("error_description", redirect.description.as_str()),
    ];
    if let Some(state) = &redirect.state {
        pairs.push(("state", state.as_str()));
    }
    pairs.push(("iss", core.policy.issuer.as_str()));
    answer_uri(&redirect.redirect_uri, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_once_and_repeats_noted() {
        let p = AuthorizeParams::parse(
            "response_type=code&client_id=c&state=a&state=b&scope=&x=1&code_challenge=%00\
             &resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example",
        );
        assert_eq!(p.resources, ["https://a.example", "https://b.example"]);
        assert_eq!(p.response_type.as_deref(), Some("code"));
        assert_eq!(p.client_id.as_deref(), Some("c"));
        assert_eq!(p.state.as_deref(), Some("a"));
        assert_eq!(p.repeated, ["state"]);
        assert_eq!(clean("scope", p.scope.as_ref(), 10), Ok(None));
        assert!(clean("code_challenge", p.code_challenge.as_ref(), 64).is_err());
        assert!(clean("x", Some(&"a".repeat(11)), 10).is_err());
    }

    #[test]
    fn answers_keep_the_registered_query() {
        assert_eq!(
            answer_uri(
                "https://app.example/cb?x=1",
                &[("code", "a b"), ("state", "s&t")]
            ),
            "https://app.example/cb?x=1&code=a+b&state=s%26t"
        );
        assert_eq!(
            answer_uri("com.example.app:/oauth", &[("code", "c")]),
            "com.example.app:/oauth?code=c"
        );
    }
}
