//! `authgate keys list|rotate`: token signing keys, from the command line.

use std::io::Write as _;
use std::time::Duration;

use clap::{Args, Subcommand};
use secrecy::SecretString;

use crate::cli::{MigrateArgs, parse_alg, parse_duration};
use crate::clock::{Clock as _, SystemClock};
use crate::crypto::keys::SigningAlg;
use crate::domain::keys::{self, KeyPolicy};
use crate::store::{PoolSettings, Store};

/// Options of `authgate keys`.
#[derive(Debug, Clone, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub action: KeysAction,

    #[command(flatten)]
    pub database: MigrateArgs,

    /// Algorithm of the new key (as the servers' JWT_SIGNING_ALG).
    #[arg(long, env = "JWT_SIGNING_ALG", value_name = "JWT_SIGNING_ALG", default_value = "ES256", value_parser = parse_alg, global = true)]
    pub jwt_signing_alg: SigningAlg,

    /// Access-token lifetime (as the servers' JWT_EXPIRATION): how long
    /// retired keys stay published.
    #[arg(long, env = "JWT_EXPIRATION", value_name = "JWT_EXPIRATION", default_value = "1h", value_parser = parse_duration, global = true)]
    pub jwt_expiration: Duration,
}

#[derive(Debug, Clone, Subcommand)]
pub enum KeysAction {
    /// List signing keys: id, algorithm, created, state.
    List,
    /// Generate a new signing key and retire the others; servers switch to
    /// it within a minute, and old keys stay published until their tokens
    /// expire.
    Rotate,
}

pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    let url = crate::config::database_url(args.database.database_url, args.database.database_path)?;
    let store = Store::connect(&url, &PoolSettings::default()).await?;
    store.migrate().await?;
    let policy = KeyPolicy {
        alg: args.jwt_signing_alg,
        // Rotation and listing never sign.
        hmac_secret: SecretString::from(String::new()),
        accept_hs256: false,
        issuer: String::new(),
        access_token_ttl: args.jwt_expiration,
        file_key: None,
    };
    let mut out = std::io::stdout().lock();
    match args.action {
        KeysAction::Rotate => {
            let key = keys::rotate(&store, &policy, &SystemClock).await?;
            writeln!(out, "new signing key {} ({}) is in force", key.kid, key.alg)?;
        }
        KeysAction::List => {
            let now = SystemClock.now_secs();
            let window = crate::domain::secs(args.jwt_expiration);
            writeln!(out, "{:<32} {:<6} {:<12} state", "kid", "alg", "created")?;
            let mut signing_found = false;
            for key in store.list_signing_keys().await? {
                let state = match key.retired_at {
                    None if key.alg == args.jwt_signing_alg && !signing_found => {
                        signing_found = true;
                        "signing".to_owned()
                    }
                    None => "published".to_owned(),
                    Some(at) if at + window > now => {
                        format!("retired, published for {}s more", at + window - now)
                    }
                    Some(_) => "retired".to_owned(),
                };
                writeln!(
                    out,
                    "{:<32} {:<6} {:<12} {state}",
                    key.kid,
                    key.alg.as_str(),
                    key.created_at
                )?;
            }
        }
    }
    store.close().await;
    Ok(())
}
