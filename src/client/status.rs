//! `authgate status`: who is signed in where, and until when, as the
//! server sees it (`/oauth/tokeninfo`).

use std::io::Write as _;

use clap::Args;

use super::credentials::CredentialStore;
use super::oauth::Client;
use super::token::fresh;
use super::untrusted::clean;
use super::{Failure, Result, ServerChoice, now_secs, relative, utc};

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
