//! `authgate logout`: revokes the stored tokens at the server (RFC 7009)
//! and deletes them.

use clap::Args;

use super::credentials::CredentialStore;
use super::oauth::Client;
use super::{Result, ServerChoice};

/// Options of `authgate logout`.
#[derive(Debug, Clone, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub server: ServerChoice,
}

pub async fn run(args: LogoutArgs) -> Result<()> {
    let store = CredentialStore::open()?;
    let creds = store.choose(args.server.server.as_deref())?;
    let client = Client::new(&creds.server)?;
    let revoked = revoke(&client, &creds).await;
    // The local copy goes whatever the server said: the person asked to
    // be signed out of this machine.
    store.delete(&creds.server)?;
    match revoked {
        Ok(true) => {
            eprintln!(
                "Signed out of {}: the tokens are revoked and deleted.",
                creds.server
            );
            Ok(())
        }
        Ok(false) => {
            eprintln!(
                "Signed out of {}: the tokens are deleted; the server offers no revocation, \
                 so they stay valid until they expire.",
                creds.server
            );
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!(
            "the tokens are deleted here, but {} did not revoke them ({e:#}); they stay valid until they expire",
            creds.server
        )
        .into()),
    }
}

/// Revokes the refresh token (which on AuthGate ends the whole grant) and
/// the access token; `Ok(false)` when the server has no revocation endpoint.
async fn revoke(client: &Client, creds: &super::credentials::Credentials) -> anyhow::Result<bool> {
    let endpoint = match &creds.revocation_endpoint {
        Some(e) => e.clone(),
        None => match client.discover().await?.revocation_endpoint {
            Some(e) => e,
            None => return Ok(false),
        },
    };
    if let Some(refresh) = &creds.refresh_token {
        client
            .revoke(&endpoint, &creds.client_id, refresh, "refresh_token")
            .await?;
    }
    client
        .revoke(
            &endpoint,
            &creds.client_id,
            &creds.access_token,
            "access_token",
        )
        .await?;
    Ok(true)
}
