//! `authgate provider add|list|disable|enable|remove`: upstream OpenID
//! providers people may sign in through, managed on the configured
//! database without a running server. Changes are audited like an
//! administrator's, marked "(command line)".
//!
//! The client secret is read from standard input only (never an argument,
//! which other users of the machine can see) and never printed again.

use std::io::Write;

use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, password_from_stdin};
use super::user::date;
use crate::clock::SystemClock;
use crate::crypto::random::Random;
use crate::domain::admin::{Actor, Ctx};
use crate::domain::upstream::providers::{self, ProviderSpec};
use crate::domain::upstream::redirect_uri;
use crate::model::Secret;
use crate::model::upstream::ClaimMapping;
use crate::store::Store;

/// Options of `authgate provider`.
#[derive(Debug, Clone, Args)]
pub struct ProviderArgs {
    #[command(subcommand)]
    pub action: ProviderAction,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Public URL of the server, for the redirect URI to register at the
    /// provider.
    #[arg(
        long,
        env = "BASE_URL",
        value_name = "BASE_URL",
        default_value = "http://localhost:8080",
        global = true
    )]
    pub base_url: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ProviderAction {
    /// Add a provider and print the redirect URI to register there.
    Add {
        /// Its name in URLs: lowercase letters, digits and '-'.
        name: String,
        /// The issuer URL (its discovery document is under
        /// ISSUER/.well-known/openid-configuration).
        #[arg(long)]
        issuer: String,
        /// The client id AuthGate has at the provider.
        #[arg(long)]
        client_id: String,
        /// Read the client secret from the first line of standard input.
        #[arg(long, required = true)]
        client_secret_stdin: bool,
        /// What the button says after "Sign in with" [default: NAME].
        #[arg(long)]
        label: Option<String>,
        /// Scopes to ask for, separated by spaces [default: openid profile email].
        #[arg(long)]
        scopes: Option<String>,
        /// The claim giving the username.
        #[arg(long, default_value = "preferred_username")]
        username_claim: String,
        /// The claim giving the e-mail address.
        #[arg(long, default_value = "email")]
        email_claim: String,
        /// The claim giving the display name.
        #[arg(long, default_value = "name")]
        name_claim: String,
        /// Create an account at the first sign-in of someone unknown here.
        #[arg(long)]
        create_accounts: bool,
        /// Create accounts only for verified addresses in this domain
        /// (repeatable).
        #[arg(long = "allowed-domain", value_name = "DOMAIN")]
        allowed_domains: Vec<String>,
        /// Believe the provider's email_verified: a verified address links
        /// to the account here with the same verified address.
        #[arg(long)]
        trust_email: bool,
    },
    /// List providers: name, label, status, issuer, options.
    List,
    /// Hide a provider's button and refuse sign-ins through it.
    Disable { name: String },
    /// Enable a disabled provider again.
    Enable { name: String },
    /// Remove a provider and every account link to it.
    Remove { name: String },
}

pub async fn run(args: ProviderArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let result = execute(&store, &args.base_url, args.action).await;
    store.close().await;
    result
}

async fn execute(store: &Store, base_url: &str, action: ProviderAction) -> anyhow::Result<()> {
    let random = Random::os();
    let ctx = Ctx {
        store,
        clock: &SystemClock,
        random: &random,
    };
    let actor = Actor::command_line();
    let mut out = std::io::stdout().lock();
    match action {
        ProviderAction::Add {
            name,
            issuer,
            client_id,
            client_secret_stdin: _,
            label,
            scopes,
            username_claim,
            email_claim,
            name_claim,
            create_accounts,
            allowed_domains,
            trust_email,
        } => {
            let secret = password_from_stdin()?;
            if secret.is_empty() {
                anyhow::bail!("--client-secret-stdin: standard input held no secret");
            }
            let spec = ProviderSpec {
                name,
                label,
                issuer,
                client_id,
                client_secret: Secret::new(secret),
                scopes,
                claims: ClaimMapping {
                    username: username_claim,
                    email: email_claim,
                    name: name_claim,
                },
                create_accounts,
                allowed_domains,
                trust_email,
            };
            let provider = providers::add(&ctx, &actor, spec).await?;
            writeln!(out, "added provider {} ({})", provider.name, provider.label)?;
            writeln!(
                out,
                "redirect_uri: {}",
                redirect_uri(base_url, &provider.name)
            )?;
            Ok(())
        }
        ProviderAction::List => {
            writeln!(
                out,
                "{:<16} {:<20} {:<8} {:<40} options",
                "name", "label", "status", "issuer"
            )?;
            for p in providers::list(&ctx).await? {
                let mut options = Vec::new();
                if p.create_accounts {
                    options.push("create-accounts".to_owned());
                }
                if p.trust_email {
                    options.push("trust-email".to_owned());
                }
                for d in &p.allowed_domains {
                    options.push(format!("domain={d}"));
                }
                options.push(format!("since {}", date(p.created_at.0)));
                writeln!(
                    out,
                    "{:<16} {:<20} {:<8} {:<40} {}",
                    p.name,
                    p.label,
                    if p.enabled { "enabled" } else { "disabled" },
                    p.issuer,
                    options.join(" ")
                )?;
            }
            Ok(())
        }
        ProviderAction::Disable { name } => {
            providers::set_enabled(&ctx, &actor, &name, false).await?;
            writeln!(out, "disabled provider {name}")?;
            Ok(())
        }
        ProviderAction::Enable { name } => {
            providers::set_enabled(&ctx, &actor, &name, true).await?;
            writeln!(out, "enabled provider {name}")?;
            Ok(())
        }
        ProviderAction::Remove { name } => {
            providers::remove(&ctx, &actor, &name).await?;
            writeln!(out, "removed provider {name} and its account links")?;
            Ok(())
        }
    }
}
