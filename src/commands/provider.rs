//! `authgate provider add|list|disable|enable|remove`: upstream OpenID
//! providers people may sign in through, managed on the configured
//! database without a running server. Changes are audited like an
//! administrator's, marked "(command line)".
//!
//! `--preset` fills in a well-known provider's settings (see
//! domain/upstream/presets.rs); the options given explicitly win.
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
use crate::domain::upstream::presets::{self, Choices, Preset};
use crate::domain::upstream::providers::{self, ProviderSpec};
use crate::domain::upstream::redirect_uri;
use crate::model::Secret;
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
#[allow(clippy::large_enum_variant)] // parsed once per run
pub enum ProviderAction {
    /// Add a provider and print the redirect URI to register there.
    Add {
        /// Its name in URLs: lowercase letters, digits and '-'.
        name: String,
        /// A well-known provider's settings; other options override them.
        /// github: GitHub's OAuth and API (--issuer for an Enterprise
        /// Server); gitlab: gitlab.com (--issuer for self-managed); gitea:
        /// needs --issuer; microsoft: Entra ID, needs --tenant.
        #[arg(long, value_parser = ["github", "gitlab", "gitea", "microsoft"])]
        preset: Option<String>,
        /// The issuer URL (its discovery document is under
        /// ISSUER/.well-known/openid-configuration); needed without a preset.
        #[arg(long)]
        issuer: Option<String>,
        /// Microsoft Entra ID: the tenant (directory) ID, a GUID.
        #[arg(long)]
        tenant: Option<String>,
        /// The client id AuthGate has at the provider.
        #[arg(long)]
        client_id: String,
        /// Read the client secret from the first line of standard input.
        #[arg(long, required = true)]
        client_secret_stdin: bool,
        /// What the button says after "Sign in with" [default: the
        /// preset's, else NAME].
        #[arg(long)]
        label: Option<String>,
        /// Scopes to ask for, separated by spaces [default: the preset's,
        /// else openid profile email].
        #[arg(long)]
        scopes: Option<String>,
        /// The claim giving the username [default: the preset's, else
        /// preferred_username].
        #[arg(long)]
        username_claim: Option<String>,
        /// The claim giving the e-mail address [default: email].
        #[arg(long)]
        email_claim: Option<String>,
        /// The claim giving the display name [default: name].
        #[arg(long)]
        name_claim: Option<String>,
        /// Create an account at the first sign-in of someone unknown here.
        #[arg(long)]
        create_accounts: bool,
        /// Create accounts only for verified addresses in this domain
        /// (repeatable).
        #[arg(long = "allowed-domain", value_name = "DOMAIN")]
        allowed_domains: Vec<String>,
        /// Believe the provider's email_verified: a verified address links
        /// to the account here with the same verified address (refused
        /// for Microsoft Entra ID, whose email claim is not verified).
        #[arg(long)]
        trust_email: bool,
    },
    /// List providers: name, kind, label, status, issuer, options.
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
            preset,
            issuer,
            tenant,
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
            let preset = preset.as_deref().and_then(Preset::parse);
            let resolved = presets::resolve(
                preset,
                Choices {
                    issuer,
                    tenant,
                    label,
                    scopes,
                    username_claim,
                    email_claim,
                    name_claim,
                },
            )
            .map_err(|why| anyhow::anyhow!(why))?;
            let secret = password_from_stdin()?;
            if secret.is_empty() {
                anyhow::bail!("--client-secret-stdin: standard input held no secret");
            }
            let spec = ProviderSpec {
                kind: resolved.kind,
                name,
                label: resolved.label,
                issuer: resolved.issuer,
                client_id,
                client_secret: Secret::new(secret),
                scopes: resolved.scopes,
                claims: resolved.claims,
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
                "{:<16} {:<6} {:<20} {:<8} {:<40} options",
                "name", "kind", "label", "status", "issuer"
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
                    "{:<16} {:<6} {:<20} {:<8} {:<40} {}",
                    p.name,
                    p.kind.as_str(),
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
