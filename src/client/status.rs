//! `authgate status`: who is signed in where, and until when, as the
//! server sees it (`/oauth/tokeninfo`).

use std::io::Write as _;

use clap::Args;

use super::credentials::CredentialStore;
use super::oauth::Client;
use super::token::fresh;
use super::untrusted::clean;
use super::{Failure, Result, ServerChoice, now_secs, relative, utc};
use crate::crypto::jwt::Audience;

/// Options of `authgate status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub server: ServerChoice,
}

pub async fn run(args: StatusArgs) -> Result<()> {
    let store = CredentialStore::open()?;
    let creds = store.choose(args.server.server.as_deref())?;
    let creds = fresh(&store, creds, None).await?;
    let client = Client::new(&creds.server)?;
    let (creds, info) = match client.tokeninfo(&creds.access_token).await? {
        Some(info) => (creds, info),
        None => {
            // Revoked, or our clock is behind the server's: one renewal.
            let rejected = creds.access_token.clone();
            let creds = fresh(&store, creds, Some(&rejected)).await?;
            let info = client
                .tokeninfo(&creds.access_token)
                .await?
                .ok_or_else(|| {
                    Failure::NotSignedIn(format!(
                        "{} no longer accepts the stored tokens; run `authgate login` again",
                        creds.server
                    ))
                })?;
            (creds, info)
        }
    };
    let now = now_secs();
    // Everything the server said is cleaned before it is printed.
    let who = info
        .username
        .or(info.user_id)
        .map_or_else(|| "an unnamed user".into(), |w| clean(&w));
    let mut out = std::io::stdout().lock();
    writeln!(out, "Signed in to {} as {who}", creds.server)?;
    writeln!(
        out,
        "  client:        {}",
        clean(&info.client_id.unwrap_or(creds.client_id))
    )?;
    let scope = clean(&info.scope.or(creds.scope).unwrap_or_default());
    writeln!(
        out,
        "  scope:         {}",
        if scope.is_empty() { "(none)" } else { &scope }
    )?;
    let apis = apis_of(&creds.access_token, &creds.server);
    if !apis.is_empty() {
        writeln!(out, "  for the APIs:  {}", clean(&apis.join(" ")))?;
    }
    if let Some(exp) = info.exp.or(creds.expires_at) {
        writeln!(
            out,
            "  access token:  valid until {} ({})",
            utc(exp),
            relative(exp - now)
        )?;
    }
    let refresh = if creds.refresh_token.is_some() {
        "stored; `authgate token` renews the access token"
    } else {
        "none; sign in again when the access token expires"
    };
    writeln!(out, "  refresh token: {refresh}")?;
    if creds.dpop {
        writeln!(
            out,
            "  bound to:      the DPoP key in {} (the tokens are useless without it)",
            store.dpop_key_path(&creds.server).display()
        )?;
    }
    writeln!(
        out,
        "  stored in:     {}",
        store.path_for(&creds.server).display()
    )?;
    Ok(())
}

/// The APIs (RFC 8707 resources) the access token is for, read from its
/// own `aud` (for display only: the server has just accepted the token);
/// none when it is for the server itself or cannot be read.
fn apis_of(access_token: &str, server: &str) -> Vec<String> {
    use base64::Engine as _;

    #[derive(serde::Deserialize)]
    struct Claims {
        aud: Audience,
    }
    let Some(claims) = access_token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Claims>(&b).ok())
    else {
        return Vec::new();
    };
    let audience = claims.aud.values();
    let own = |a: &&str| a.trim_end_matches('/') == server.trim_end_matches('/');
    if audience.iter().all(own) {
        Vec::new()
    } else {
        audience.into_iter().map(str::to_owned).collect()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::apis_of;

    fn token(claims: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", b64(b"{}"), b64(claims.to_string().as_bytes()))
    }

    #[test]
    fn apis_are_the_audience_unless_it_is_the_server() {
        let server = "https://auth.example";
        let own = token(serde_json::json!({"aud": "https://auth.example"}));
        assert!(apis_of(&own, server).is_empty());
        let one = token(serde_json::json!({"aud": "https://api.example"}));
        assert_eq!(apis_of(&one, server), ["https://api.example"]);
        let two = token(serde_json::json!({"aud": ["https://a.example", "https://b.example"]}));
        assert_eq!(
            apis_of(&two, server),
            ["https://a.example", "https://b.example"]
        );
        assert!(apis_of("not a jwt", server).is_empty());
        assert!(apis_of(&token(serde_json::json!({"aud": 5})), server).is_empty());
    }
}
