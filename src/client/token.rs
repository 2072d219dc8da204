//! `authgate token`: prints a valid access token for scripts, renewing it
//! first when it expires within a minute (like `gh auth token`):
//!
//! ```sh
//! curl -H "Authorization: Bearer $(authgate token)" https://api.example.com/
//! ```
//!
//! Tokens bound to the CLI's DPoP key (RFC 9449) need a proof per request:
//! `authgate token --dpop GET https://api.example.com/items` prints the two
//! header lines for that request, ready for `curl -H @-`:
//!
//! ```text
//! Authorization: DPoP eyJ...
//! DPoP: eyJ...
//! ```

use std::io::Write as _;

use clap::Args;

use super::credentials::{CredentialStore, Credentials};
use super::dpop::Prover;
use super::oauth::Client;
use super::untrusted::clean;
use super::{Failure, Result, ServerChoice, now_secs};

/// Options of `authgate token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub server: ServerChoice,

    /// Print the `Authorization` and `DPoP` header lines for one request
    /// (its method and URL) instead of the bare token.
    #[arg(long, num_args = 2, value_names = ["METHOD", "URL"])]
    pub dpop: Option<Vec<String>>,
}

pub async fn run(args: TokenArgs) -> Result<()> {
    let store = CredentialStore::open()?;
    let creds = store.choose(args.server.server.as_deref())?;
    let creds = fresh(&store, creds, None).await?;
    let mut out = std::io::stdout().lock();
    // A real access token is printable ASCII (RFC 6749 §A.12) and passes
    // unchanged; a server's escapes do not reach the terminal through it.
    let token = clean(&creds.access_token);
    match args.dpop.as_deref() {
        None => writeln!(out, "{token}")?,
        Some([method, url]) => {
            let prover = prover_of(&store, &creds)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "the tokens for {} are not DPoP-bound: send them as Authorization: Bearer",
                    creds.server
                )
            })?;
            let url = url::Url::parse(url)
                .map_err(|_| anyhow::anyhow!("--dpop needs a METHOD and an absolute URL"))?;
            // RFC 9449 §4.2: htu without query and fragment.
            let mut htu = url.clone();
            htu.set_query(None);
            htu.set_fragment(None);
            let proof = prover.proof(
                &method.to_ascii_uppercase(),
                htu.as_str(),
                Some(&creds.access_token),
            )?;
            writeln!(out, "Authorization: DPoP {token}")?;
            writeln!(out, "DPoP: {proof}")?;
        }
        Some(_) => return Err(anyhow::anyhow!("--dpop needs a METHOD and a URL").into()),
    }
    Ok(())
}

/// The prover of `creds`' DPoP key, when its tokens are bound to one.
pub fn prover_of(store: &CredentialStore, creds: &Credentials) -> Result<Option<Prover>> {
    if !creds.dpop {
        return Ok(None);
    }
    let key = store.load_dpop_key(&creds.server)?.ok_or_else(|| {
        Failure::NotSignedIn(format!(
            "the DPoP key for {} is missing; run `authgate login --server {} --client-id {}` again",
            creds.server, creds.server, creds.client_id
        ))
    })?;
    Ok(Some(Prover::new(&key)?))
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
    let client = match prover_of(store, &creds)? {
        Some(prover) => Client::new(&server)?.with_dpop(prover),
        None => Client::new(&server)?,
    };
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
