//! `authgate token`: prints a valid access token for scripts, renewing it
//! first when it expires within a minute (like `gh auth token`):
//!
//! ```sh
//! curl -H "Authorization: Bearer $(authgate token)" https://api.example.com/
//! ```

use std::io::Write as _;

use clap::Args;

use super::credentials::{CredentialStore, Credentials};
use super::oauth::Client;
use super::untrusted::clean;
use super::{Failure, Result, ServerChoice, now_secs};

/// Options of `authgate token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub server: ServerChoice,
}

pub async fn run(args: TokenArgs) -> Result<()> {
    let store = CredentialStore::open()?;
    let creds = store.choose(args.server.server.as_deref())?;
    let creds = fresh(&store, creds, None).await?;
    let mut out = std::io::stdout().lock();
    // A real access token is printable ASCII (RFC 6749 §A.12) and passes
    // unchanged; a server's escapes do not reach the terminal through it.
    writeln!(out, "{}", clean(&creds.access_token))?;
    Ok(())
}

/// `creds` with an access token good for at least a minute more: renewed
/// with the refresh token when it is not, or when the server just
/// `rejected` it. The renewal happens under the store's lock, after
/// re-reading the file: another process may have renewed it meanwhile,
/// and presenting the refresh token it replaced would revoke everything.
pub async fn fresh(
    store: &CredentialStore,
    creds: Credentials,
    rejected: Option<&str>,
) -> Result<Credentials> {
    let due = |c: &Credentials| c.needs_refresh(now_secs()) || rejected == Some(&c.access_token);
    if !due(&creds) {
        return Ok(creds);
    }
    let server = creds.server.clone();
    let _lock = store.lock(&server).await?;
    let creds = store
        .load(&server)?
        .ok_or_else(|| Failure::NotSignedIn(format!("signed out of {server} meanwhile")))?;
    if !due(&creds) {
        return Ok(creds);
    }
    let client = Client::new(&server)?;
    match client.refresh(&creds).await? {
        Ok(tokens) => {
            let renewed = Credentials {
                access_token: tokens.access_token,
                refresh_token: tokens.refresh_token.or(creds.refresh_token),
                expires_at: tokens.expires_in.map(|s| now_secs() + s),
                scope: tokens.scope.or(creds.scope),
                ..creds
            };
            store.save(&renewed)?;
            Ok(renewed)
        }
        Err(refused) => Err(Failure::NotSignedIn(format!(
            "the session with {server} has ended ({refused}); run `authgate login --server {server} --client-id {}` again",
            creds.client_id
        ))),
    }
}
