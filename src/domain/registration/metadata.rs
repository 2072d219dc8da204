//! Checking client metadata a client registers itself with (RFC 7591 §2):
//! each value alone, then each against the others. Problems are
//! `invalid_redirect_uri` or `invalid_client_metadata` with a description
//! a developer can act on (RFC 7591 §3.2.2).

use crate::domain::admin::client_keys;
use crate::domain::{Error, Result};
use crate::model::client::{ClientKeys, GrantType, GrantTypes};
use crate::model::redirect_uri;
use crate::model::registration::RegisteredMetadata;
use crate::model::scope::Scopes;

/// The most redirect URIs one client registers.
pub const MAX_REDIRECT_URIS: usize = 10;
/// The most contacts one client lists.
pub const MAX_CONTACTS: usize = 5;
/// The longest client name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest `software_id`, `software_version` or contact, in characters.
pub const MAX_SHORT_CHARS: usize = 255;
/// The most scopes one client registers.
pub const MAX_SCOPES: usize = 20;
/// The largest registered JWK Set, in bytes of JSON.
pub const MAX_JWKS_BYTES: usize = 8 * 1024;

/// Client metadata as sent, before any check. Members a client leaves out
/// are `None`; RFC 7591 §2 defaults apply to them.
#[derive(Debug, Clone, Default)]
pub struct MetadataRequest {
    pub redirect_uris: Option<Vec<String>>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub scope: Option<String>,
    pub contacts: Option<Vec<String>>,
    pub software_id: Option<String>,
    pub software_version: Option<String>,
    pub jwks_uri: Option<String>,
    pub jwks: Option<serde_json::Value>,
}

/// How a registered client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A public client: no secret (PKCE protects its codes).
    None,
    /// A secret, in HTTP Basic or the body.
    Secret,
    /// A signed JWT with its registered keys (RFC 7523).
    PrivateKeyJwt,
}

/// Metadata that passed every check, with what the client row needs.
#[derive(Debug, Clone)]
pub struct Checked {
    pub metadata: RegisteredMetadata,
    pub auth: AuthMethod,
    pub keys: Option<ClientKeys>,
    pub grants: GrantTypes,
    pub scopes: Scopes,
}

fn bad(why: impl Into<String>) -> Error {
    Error::InvalidClientMetadata(why.into())
}

/// Checks `req` against the rules and `known_scopes` (the scopes the server
/// knows: those of its approved clients). `default_scope` stands for a
/// missing `scope`, limited to the known ones.
pub fn check(
    req: &MetadataRequest,
    known_scopes: &[String],
    default_scope: &str,
) -> Result<Checked> {
    let redirect_uris = redirect_uris(req.redirect_uris.as_deref().unwrap_or_default())?;
    let method = req
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or("client_secret_basic");
    let auth = match method {
        "none" => AuthMethod::None,
        "client_secret_basic" | "client_secret_post" => AuthMethod::Secret,
        "private_key_jwt" => AuthMethod::PrivateKeyJwt,
        other => {
            return Err(bad(format!(
                "token_endpoint_auth_method {:?} is not supported: use none, client_secret_basic, client_secret_post or private_key_jwt",
                shown(other)
            )));
        }
    };
    let keys = keys(req, auth)?;
    let grant_values = req
        .grant_types
        .clone()
        .unwrap_or_else(|| vec![GrantType::AuthorizationCode.as_str().to_owned()]);
    let grants = grants(&grant_values)?;
    let response_types = req.response_types.clone().unwrap_or_else(|| {
        if grants.contains(GrantType::AuthorizationCode) {
            vec!["code".to_owned()]
        } else {
            Vec::new()
        }
    });
    consistent(&grants, &response_types, &redirect_uris, auth)?;
    let scopes = scopes(req.scope.as_deref(), known_scopes, default_scope)?;
    let client_name = text("client_name", req.client_name.as_deref(), MAX_NAME_CHARS)?
        .unwrap_or_else(|| "Unnamed application".to_owned());
    let client_uri = match req.client_uri.as_deref() {
        None | Some("") => None,
        Some(uri) => Some(web_url("client_uri", uri)?),
    };
    let contacts = contacts(req.contacts.as_deref().unwrap_or_default())?;
    let metadata = RegisteredMetadata {
        client_name,
        redirect_uris,
        token_endpoint_auth_method: method.to_owned(),
        grant_types: grants.iter().map(|g| g.as_str().to_owned()).collect(),
        response_types,
        scope: scopes.to_string(),
        client_uri,
        contacts,
        software_id: text("software_id", req.software_id.as_deref(), MAX_SHORT_CHARS)?,
        software_version: text(
            "software_version",
            req.software_version.as_deref(),
            MAX_SHORT_CHARS,
        )?,
        jwks_uri: req
            .jwks_uri
            .clone()
            .filter(|_| auth == AuthMethod::PrivateKeyJwt),
        jwks: req
            .jwks
            .clone()
            .filter(|_| auth == AuthMethod::PrivateKeyJwt),
    };
    Ok(Checked {
        metadata,
        auth,
        keys,
        grants,
        scopes,
    })
}

/// At most 80 characters of a value, for a description.
fn shown(value: &str) -> String {
    value.chars().take(80).collect()
}

/// RFC 7591 §2: the model's rules for redirect URIs (absolute, no
/// fragment, no wildcard, http only on a loopback IP), and for a client
/// nobody vouched for only `https` or loopback `http`: a private scheme
/// could be claimed by any app on the person's device.
fn redirect_uris(uris: &[String]) -> Result<Vec<String>> {
    if uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::InvalidRedirectUri(format!(
            "register at most {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for uri in uris {
        if let Some(problem) = redirect_uri::problem(uri) {
            return Err(Error::InvalidRedirectUri(format!(
                "the redirect URI {:?} {problem}",
                shown(uri)
            )));
        }
        if !(uri.starts_with("https://") || uri.starts_with("http://")) {
            return Err(Error::InvalidRedirectUri(format!(
                "the redirect URI {:?} must use https (http only on 127.0.0.1 or [::1])",
                shown(uri)
            )));
        }
        if !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    Ok(out)
}

/// The keys of a `private_key_jwt` client: exactly one of `jwks` and
/// `jwks_uri`, checked as `authgate client add --jwks-file/--jwks-uri`
/// checks them; other methods may not send keys.
fn keys(req: &MetadataRequest, auth: AuthMethod) -> Result<Option<ClientKeys>> {
    let jwks = match &req.jwks {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => {
            let json = value.to_string();
            if json.len() > MAX_JWKS_BYTES {
                return Err(bad(format!("jwks is larger than {MAX_JWKS_BYTES} bytes")));
            }
            Some(json)
        }
    };
    let jwks_uri = req.jwks_uri.as_deref().filter(|u| !u.is_empty());
    if auth != AuthMethod::PrivateKeyJwt {
        if jwks.is_some() || jwks_uri.is_some() {
            return Err(bad(
                "jwks and jwks_uri are only for token_endpoint_auth_method private_key_jwt",
            ));
        }
        return Ok(None);
    }
    if jwks_uri.is_some_and(|u| u.len() > redirect_uri::MAX_LEN) {
        return Err(bad("jwks_uri is too long"));
    }
    match client_keys(jwks.as_deref(), jwks_uri) {
        Ok(Some(keys)) => Ok(Some(keys)),
        Ok(None) => Err(bad(
            "private_key_jwt needs the client's public keys: jwks or jwks_uri",
        )),
        Err(Error::InvalidRequest(why)) => Err(bad(why)),
        Err(other) => Err(other),
    }
}

fn grants(values: &[String]) -> Result<GrantTypes> {
    let mut grants = Vec::new();
    for value in values {
        let grant = GrantType::ALL
            .into_iter()
            .find(|g| g.as_str() == value)
            .ok_or_else(|| {
                bad(format!(
                    "grant type {:?} is not supported: use authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:device_code",
                    shown(value)
                ))
            })?;
        grants.push(grant);
    }
    let grants = GrantTypes::new(grants);
    if grants.is_empty() {
        return Err(bad("grant_types must name at least one grant type"));
    }
    Ok(grants)
}

/// RFC 7591 §2.1: `response_types` must match `grant_types`; and what
/// each grant needs (a redirect URI for the code grant, a grant that
/// issues refresh tokens for `refresh_token`, a way to authenticate for
/// client credentials).
fn consistent(
    grants: &GrantTypes,
    response_types: &[String],
    redirect_uris: &[String],
    auth: AuthMethod,
) -> Result<()> {
    if let Some(other) = response_types.iter().find(|r| *r != "code") {
        return Err(bad(format!(
            "response type {:?} is not supported: only code",
            shown(other)
        )));
    }
    let code = grants.contains(GrantType::AuthorizationCode);
    let wants_code = !response_types.is_empty();
    if code != wants_code {
        return Err(bad(if code {
            "grant type authorization_code needs response type code"
        } else {
            "response type code needs grant type authorization_code"
        }));
    }
    if code && redirect_uris.is_empty() {
        return Err(Error::InvalidRedirectUri(
            "grant type authorization_code needs at least one redirect URI".into(),
        ));
    }
    if grants.contains(GrantType::RefreshToken) && !(code || grants.contains(GrantType::DeviceCode))
    {
        return Err(bad(
            "grant type refresh_token needs authorization_code or the device_code grant, which issue refresh tokens",
        ));
    }
    if grants.contains(GrantType::ClientCredentials) && auth == AuthMethod::None {
        return Err(bad(
            "grant type client_credentials needs a confidential client (token_endpoint_auth_method other than none)",
        ));
    }
    Ok(())
}

fn scopes(given: Option<&str>, known: &[String], default_scope: &str) -> Result<Scopes> {
    let is_known = |s: &str| known.iter().any(|k| k == s);
    let scopes = match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(given) => {
            let scopes = Scopes::parse(given)
                .map_err(|_| bad("scope must be scope tokens separated by spaces"))?;
            if let Some(unknown) = scopes.iter().find(|s| !is_known(s)) {
                return Err(bad(format!(
                    "scope {:?} is not one this server knows (see scopes_supported in its metadata)",
                    shown(unknown)
                )));
            }
            scopes
        }
        None => {
            let wanted: Vec<&str> = default_scope.split(' ').filter(|s| is_known(s)).collect();
            Scopes::parse(&wanted.join(" ")).map_err(|_| bad("scope is malformed"))?
        }
    };
    if scopes.is_empty() {
        return Err(bad("scope must name at least one scope this server knows"));
    }
    if scopes.iter().count() > MAX_SCOPES {
        return Err(bad(format!("register at most {MAX_SCOPES} scopes")));
    }
    Ok(scopes)
}

/// A free-text member: trimmed, at most `max` characters, no control
/// characters; empty counts as absent.
fn text(member: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(bad(format!("{member} must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(format!("{member} must not contain control characters")));
    }
    Ok(Some(value.to_owned()))
}

/// An `http(s)` URL people may be shown (never fetched).
fn web_url(member: &str, value: &str) -> Result<String> {
    let parsed = url::Url::parse(value).ok();
    let ok = value.len() <= redirect_uri::MAX_LEN
        && parsed
            .as_ref()
            .is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(bad(format!("{member} must be an http or https URL")))
    }
}

fn contacts(values: &[String]) -> Result<Vec<String>> {
    if values.len() > MAX_CONTACTS {
        return Err(bad(format!("list at most {MAX_CONTACTS} contacts")));
    }
    let mut out = Vec::new();
    for value in values {
        let Some(contact) = text("contacts", Some(value), MAX_SHORT_CHARS)? else {
            continue;
        };
        if contact.chars().any(char::is_whitespace) {
            return Err(bad("a contact must not contain spaces"));
        }
        out.push(contact);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        vec!["read".into(), "write".into()]
    }

    fn mcp() -> MetadataRequest {
        MetadataRequest {
            redirect_uris: Some(vec!["http://127.0.0.1:33418/callback".into()]),
            token_endpoint_auth_method: Some("none".into()),
            client_name: Some("Agent".into()),
            ..MetadataRequest::default()
        }
    }

    #[test]
    fn a_public_loopback_client_gets_the_code_grant_and_the_default_scope() {
        let checked = check(&mcp(), &known(), "read write").expect("valid");
        assert_eq!(checked.auth, AuthMethod::None);
        assert_eq!(checked.metadata.grant_types, ["authorization_code"]);
        assert_eq!(checked.metadata.response_types, ["code"]);
        assert_eq!(checked.metadata.scope, "read write");
    }

    #[test]
    fn each_inconsistency_is_named() {
        let cases: Vec<(MetadataRequest, &str)> = vec![
            (
                MetadataRequest {
                    redirect_uris: Some(vec!["http://app.example/cb".into()]),
                    ..mcp()
                },
                "invalid_redirect_uri",
            ),
            (
                MetadataRequest {
                    redirect_uris: Some(vec!["myapp:/cb".into()]),
                    ..mcp()
                },
                "invalid_redirect_uri",
            ),
            (
                MetadataRequest {
                    response_types: Some(vec!["token".into()]),
                    ..mcp()
                },
                "response type",
            ),
            (
                MetadataRequest {
                    grant_types: Some(vec!["refresh_token".into()]),
                    response_types: Some(vec![]),
                    ..mcp()
                },
                "refresh_token needs",
            ),
            (
                MetadataRequest {
                    grant_types: Some(vec!["client_credentials".into()]),
                    response_types: Some(vec![]),
                    ..mcp()
                },
                "confidential",
            ),
            (
                MetadataRequest {
                    scope: Some("read admin".into()),
                    ..mcp()
                },
                "\"admin\"",
            ),
            (
                MetadataRequest {
                    token_endpoint_auth_method: Some("private_key_jwt".into()),
                    ..mcp()
                },
                "jwks or jwks_uri",
            ),
        ];
        for (req, expected) in cases {
            let err = check(&req, &known(), "read").expect_err("refused");
            let said = match &err {
                Error::InvalidRedirectUri(_) => "invalid_redirect_uri".to_owned(),
                other => other.to_string(),
            };
            assert!(said.contains(expected), "{said} lacks {expected}");
        }
    }
}
