//! `authgate client add|list|disable|enable`: managing OAuth clients on the
//! configured database, without a running server. Changes are audited like
//! an administrator's, marked "(command line)".

use std::io::Write;

use clap::{Args, Subcommand};

use super::database::DatabaseArgs;
use super::user::{date, problems};
use crate::clock::SystemClock;
use crate::crypto::random::Random;
use crate::domain::admin::{self, Actor, ClientKind, Ctx};
use crate::store::Store;

/// Options of `authgate client`.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    #[command(subcommand)]
    pub action: ClientAction,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ClientAction {
    /// Register a client and print its client_id (and, for a confidential
    /// client, its secret, once: only a hash is kept).
    Add {
        /// Shown to people on the consent page.
        name: String,
        /// Scopes it may request, separated by spaces.
        #[arg(long, default_value = crate::bootstrap::CLI_CLIENT_SCOPES)]
        scopes: String,
        /// A server-side client that authenticates with a secret (or, with
        /// --jwks-file or --jwks-uri, with a signed JWT).
        #[arg(long)]
        confidential: bool,
        /// Authenticate with private_key_jwt (RFC 7523) using the public
        /// keys in this JWK Set file, instead of a secret.
        #[arg(long, value_name = "FILE", conflicts_with = "jwks_uri")]
        jwks_file: Option<std::path::PathBuf>,
        /// Authenticate with private_key_jwt using the JWK Set published at
        /// this URL (https; fetched again when the client rotates keys).
        #[arg(long, value_name = "URL")]
        jwks_uri: Option<String>,
        /// Do not issue refresh tokens to it.
        #[arg(long)]
        no_refresh_tokens: bool,
        /// A redirect URI for sign-in with the authorization code grant
        /// (repeatable). Matched exactly, except that a loopback
        /// http://127.0.0.1/… or http://[::1]/… URI matches any port.
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uris: Vec<String>,
        /// Where RP-initiated logout may send people back (repeatable;
        /// matched exactly; https, or http on 127.0.0.1 or [::1]).
        #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
        post_logout_redirect_uris: Vec<String>,
        /// A grant it may use (repeatable): device_code, authorization_code
        /// or refresh_token. Default: device_code and refresh_token, plus
        /// authorization_code when it has a redirect URI.
        #[arg(long = "grant-type", value_name = "GRANT")]
        grant_types: Vec<String>,
        /// A resource (API) it may ask tokens for (repeatable; RFC 8707):
        /// an absolute URI without a fragment, https or http on a loopback
        /// host. A token for it carries it as its audience.
        #[arg(long = "resource", value_name = "URI")]
        resources: Vec<String>,
    },
    /// List clients, those waiting for approval first: client_id, name,
    /// type, status (enabled, disabled, pending, rejected), scopes (and, with
    /// --json, redirect URIs, grants and resources).
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a client: its requests fail with invalid_client and its
    /// tokens stop working.
    Disable { client_id: String },
    /// Enable a disabled client again.
    Enable { client_id: String },
    /// Approve a client that registered itself (it waits as pending until
    /// then); --resource sets the resources its tokens may be for.
    Approve {
        client_id: String,
        /// An RFC 8707 resource (absolute URI) its tokens may be for; repeatable.
        #[arg(long = "resource", value_name = "URI")]
        resources: Vec<String>,
    },
    /// Reject a client that registered itself: every request it makes is
    /// refused.
    Reject { client_id: String },
    /// Replace the keys of a private_key_jwt client (a key rotation).
    Keys {
        client_id: String,
        /// The new JWK Set, from a file.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "jwks_uri",
            required_unless_present = "jwks_uri"
        )]
        jwks_file: Option<std::path::PathBuf>,
        /// Where the client now publishes its JWK Set.
        #[arg(long, value_name = "URL")]
        jwks_uri: Option<String>,
    },
    /// Require a second factor, used within STEP_UP_MAX_AGE, to approve
    /// this client's requests (--off: stop requiring it).
    RequireSecondFactor {
        client_id: String,
        #[arg(long)]
        off: bool,
    },
}

pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let result = execute(&store, args.action).await;
    store.close().await;
    result
}

async fn execute(store: &Store, action: ClientAction) -> anyhow::Result<()> {
    let random = Random::os();
    let ctx = Ctx {
        store,
        clock: &SystemClock,
        random: &random,
    };
    let actor = Actor::command_line();
    let mut out = std::io::stdout().lock();
    match action {
        ClientAction::Add {
            name,
            scopes,
            confidential,
            no_refresh_tokens,
            redirect_uris,
            post_logout_redirect_uris,
            grant_types,
            jwks_file,
            jwks_uri,
            resources,
        } => {
            let keys = read_keys(jwks_file.as_deref(), jwks_uri.as_deref())?;
            let mut spec = admin::client_spec(&name, &scopes, !no_refresh_tokens)
                .map_err(|errors| problems(&errors))?;
            spec.redirect_uris =
                Some(admin::redirect_uris(&redirect_uris).map_err(|errors| problems(&errors))?);
            spec.post_logout_redirect_uris = Some(
                admin::post_logout_redirect_uris(&post_logout_redirect_uris)
                    .map_err(|errors| problems(&errors))?,
            );
            spec.grant_types =
                admin::grant_types(&grant_types).map_err(|errors| problems(&errors))?;
            spec.resources =
                Some(admin::resources(&resources).map_err(|errors| problems(&errors))?);
            let kind = if confidential || keys.is_some() {
                ClientKind::Confidential
            } else {
                ClientKind::Public
            };
            let with_keys = keys.is_some();
            let created = admin::create_client(&ctx, &actor, &spec, kind, keys).await?;
            writeln!(out, "client_id: {}", created.client_id)?;
            if with_keys {
                writeln!(out, "token_endpoint_auth_method: private_key_jwt")?;
            }
            if let Some(secret) = created.secret {
                writeln!(out, "client_secret: {}", secret.expose())?;
            }
            Ok(())
        }
        ClientAction::List { json } => list(&ctx, &mut out, json).await,
        ClientAction::Disable { client_id } => {
            set_disabled(&ctx, &actor, &mut out, &client_id, true).await
        }
        ClientAction::Enable { client_id } => {
            set_disabled(&ctx, &actor, &mut out, &client_id, false).await
        }
        ClientAction::Approve {
            client_id,
            resources,
        } => {
            admin::decide_client(&ctx, &actor, &client_id, true, &resources).await?;
            writeln!(out, "client {client_id} approved")?;
            Ok(())
        }
        ClientAction::Reject { client_id } => {
            admin::decide_client(&ctx, &actor, &client_id, false, &[] as &[&str]).await?;
            writeln!(out, "client {client_id} rejected")?;
            Ok(())
        }
        ClientAction::Keys {
            client_id,
            jwks_file,
            jwks_uri,
        } => {
            let keys = read_keys(jwks_file.as_deref(), jwks_uri.as_deref())?
                .ok_or_else(|| anyhow::anyhow!("give --jwks-file or --jwks-uri"))?;
            admin::set_client_keys(&ctx, &actor, &client_id, keys).await?;
            writeln!(out, "keys of client {client_id} replaced")?;
            Ok(())
        }
        ClientAction::RequireSecondFactor { client_id, off } => {
            let changed =
                admin::require_second_factor_for_client(&ctx, &actor, &client_id, !off).await?;
            let what = if off { "not required" } else { "required" };
            let already = if changed { "" } else { " (unchanged)" };
            writeln!(
                out,
                "second factor {what} to approve client {client_id}{already}"
            )?;
            Ok(())
        }
    }
}

/// The keys given with --jwks-file (read and checked) or --jwks-uri.
fn read_keys(
    file: Option<&std::path::Path>,
    uri: Option<&str>,
) -> anyhow::Result<Option<crate::model::client::ClientKeys>> {
    let json = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        ),
        None => None,
    };
    Ok(admin::client_keys(json.as_deref(), uri)?)
}

async fn list(ctx: &Ctx<'_>, out: &mut impl Write, json: bool) -> anyhow::Result<()> {
    if !json {
        writeln!(
            out,
            "{:<36} {:<24} {:<12} {:<8} scopes",
            "client_id", "name", "type", "status"
        )?;
    }
    for c in admin::clients(ctx, None).await? {
        let kind = if c.confidential {
            "confidential"
        } else {
            "public"
        };
        if json {
            let redirect_uris = admin::client_redirect_uris(ctx, &c.id).await?;
            let post_logout = admin::client_post_logout_redirect_uris(ctx, &c.id).await?;
            let client = admin::find_client(ctx, &c.id).await?;
            let grants: Vec<&str> = client.grant_types.iter().map(|g| g.short()).collect();
            let line = serde_json::json!({
                "client_id": c.id,
                "name": c.name,
                "type": kind,
                "disabled": c.disabled,
                "status": c.status,
                "allowed_scopes": c.allowed_scopes,
                "refresh_tokens": c.refresh_tokens,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": post_logout,
                "grant_types": grants,
                "resources": client.resources,
                "active_tokens": c.active_tokens,
                "created_at": c.created_at,
            });
            writeln!(out, "{line}")?;
        } else {
            // Pending and rejected say more than enabled/disabled.
            let status = match (c.status.as_str(), c.disabled) {
                ("approved", true) => "disabled",
                ("approved", false) => "enabled",
                (other, _) => other,
            };
            writeln!(
                out,
                "{:<36} {:<24} {:<12} {:<8} {} (created {})",
                c.id,
                c.name,
                kind,
                status,
                c.allowed_scopes,
                date(c.created_at)
            )?;
        }
    }
    Ok(())
}

async fn set_disabled(
    ctx: &Ctx<'_>,
    actor: &Actor,
    out: &mut impl Write,
    client_id: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let changed = admin::set_client_disabled(ctx, actor, client_id, disabled).await?;
    let what = if disabled { "disabled" } else { "enabled" };
    if changed {
        writeln!(out, "client {client_id} {what}")?;
    } else {
        writeln!(out, "client {client_id} was already {what}")?;
    }
    Ok(())
}
