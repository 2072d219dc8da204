//! Checking an AuthGate access token locally, as a resource server would,
//! without asking AuthGate about each request (RFC 9068 §4):
//!
//! ```text
//! cargo run --example check_token -- http://localhost:8080 "$ACCESS_TOKEN"
//! ```
//!
//! The keys come from the JWK Set and are cached; an unknown `kid` means
//! AuthGate rotated its key, so the set is fetched again (at most now and
//! then). The algorithm is the key's, never the token header's, and the
//! header must say `at+jwt`, so that no other JWT AuthGate signs (an ID
//! token) passes for an access token. A local check cannot see a token
//! revoked before it expires: when that matters, ask
//! `/oauth/introspect` instead.

use std::io::Write as _;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

/// The claims a resource server usually needs (RFC 9068 §2.2).
#[derive(Debug, Deserialize)]
struct AccessToken {
    sub: String,
    client_id: String,
    scope: String,
    exp: i64,
}

/// Checks `token` against `keys` for `issuer`; `audience` is the API's
/// (AuthGate gives its issuer URL).
fn check(token: &str, keys: &JwkSet, issuer: &str, audience: &str) -> Result<AccessToken, String> {
    let header = decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
    if header.typ.as_deref() != Some("at+jwt") {
        return Err("not an access token (typ is not at+jwt)".into());
    }
    let kid = header.kid.ok_or("no kid")?;
    let jwk = keys
        .find(&kid)
        .ok_or("unknown kid: fetch the JWK Set again")?;
    let alg = jwk
        .common
        .key_algorithm
        .and_then(|a| Algorithm::try_from(a).ok())
        .ok_or("the key names no algorithm")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    decode::<AccessToken>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|e| format!("refused: {e}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(issuer), Some(token)) = (args.next(), args.next()) else {
        return Err("usage: check_token ISSUER ACCESS_TOKEN".into());
    };
    let keys: JwkSet = reqwest::get(format!("{issuer}/.well-known/jwks.json"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let claims = check(&token, &keys, &issuer, &issuer)?;
    writeln!(
        std::io::stdout(),
        "valid: sub {} client {} scope \"{}\" expires {}",
        claims.sub,
        claims.client_id,
        claims.scope,
        claims.exp
    )?;
    Ok(())
}
