//! `authgate provider add|edit|list|disable|enable|remove`: upstream OpenID
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
use crate::domain::upstream::providers::{self, ProviderChanges, ProviderSpec};
use crate::domain::upstream::redirect_uri;
use crate::model::Secret;
use crate::model::upstream::Provider;
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
        /// Send people whose login_hint is an address in this domain
        /// straight to this provider (repeatable).
        #[arg(long = "hint-domain", value_name = "DOMAIN")]
        hint_domains: Vec<String>,
    },
    /// Change a provider's settings: only the options given change.
    Edit(EditArgs),
    /// List providers: name, kind, label, status, issuer, options.
    List,
    /// Hide a provider's button and refuse sign-ins through it.
    Disable { name: String },
    /// Enable a disabled provider again.
    Enable { name: String },
    /// Remove a provider and every account link to it.
    Remove { name: String },
}

/// Options of `authgate provider edit`.
#[derive(Debug, Clone, Args)]
pub struct EditArgs {
    name: String,
    /// What the button says after "Sign in with".
    #[arg(long)]
    label: Option<String>,
    /// Scopes to ask for, separated by spaces.
    #[arg(long)]
    scopes: Option<String>,
    #[arg(long)]
    username_claim: Option<String>,
    #[arg(long)]
    email_claim: Option<String>,
    #[arg(long)]
    name_claim: Option<String>,
    /// Create an account at the first sign-in of someone unknown here.
    #[arg(long, value_name = "true|false")]
    create_accounts: Option<bool>,
    /// Replaces the allowed domains (repeatable).
    #[arg(
        long = "allowed-domain",
        value_name = "DOMAIN",
        conflicts_with = "clear_allowed_domains"
    )]
    allowed_domains: Vec<String>,
    /// Allow every domain again.
    #[arg(long)]
    clear_allowed_domains: bool,
    /// Believe the provider's email_verified.
    #[arg(long, value_name = "true|false")]
    trust_email: Option<bool>,
    /// Replaces the sign-in domains (repeatable).
    #[arg(
        long = "hint-domain",
        value_name = "DOMAIN",
        conflicts_with = "clear_hint_domains"
    )]
    hint_domains: Vec<String>,
    /// Remove every sign-in domain.
    #[arg(long)]
    clear_hint_domains: bool,
    #[arg(long)]
    client_id: Option<String>,
    /// Read a new client secret from the first line of standard input.
    #[arg(long)]
    client_secret_stdin: bool,
    /// A new issuer URL (refused while accounts are linked).
    #[arg(long)]
    issuer: Option<String>,
}

/// A list option of `edit`: replaced when given, emptied when cleared.
fn replaced(given: Vec<String>, clear: bool) -> Option<Vec<String>> {
    if clear {
        Some(Vec::new())
    } else {
        (!given.is_empty()).then_some(given)
    }
}

async fn edit(ctx: &Ctx<'_>, actor: &Actor, args: EditArgs) -> anyhow::Result<Provider> {
    let client_secret = if args.client_secret_stdin {
        let secret = password_from_stdin()?;
        if secret.is_empty() {
            anyhow::bail!("--client-secret-stdin: standard input held no secret");
        }
        Some(Secret::new(secret))
    } else {
        None
    };
    let changes = ProviderChanges {
        label: args.label,
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret,
        scopes: args.scopes,
        username_claim: args.username_claim,
        email_claim: args.email_claim,
        name_claim: args.name_claim,
        create_accounts: args.create_accounts,
        allowed_domains: replaced(args.allowed_domains, args.clear_allowed_domains),
        trust_email: args.trust_email,
        hint_domains: replaced(args.hint_domains, args.clear_hint_domains),
    };
    Ok(providers::update(ctx, actor, &args.name, changes).await?)
}

/// A provider's settings, one per line; never its secret.
fn describe(out: &mut impl Write, p: &Provider, base_url: &str) -> std::io::Result<()> {
    let list = |l: &[String]| {
        if l.is_empty() {
            "-".to_owned()
        } else {
            l.join(" ")
        }
    };
    writeln!(out, "name:            {}", p.name)?;
    writeln!(out, "label:           {}", p.label)?;
    writeln!(
        out,
        "status:          {}",
        if p.enabled { "enabled" } else { "disabled" }
    )?;
    writeln!(out, "issuer:          {}", p.issuer)?;
    writeln!(out, "client_id:       {}", p.client_id)?;
    writeln!(out, "scopes:          {}", p.scopes.join(" "))?;
    writeln!(
        out,
        "claims:          username={} email={} name={}",
        p.claims.username, p.claims.email, p.claims.name
    )?;
    writeln!(out, "create_accounts: {}", p.create_accounts)?;
    writeln!(out, "allowed_domains: {}", list(&p.allowed_domains))?;
    writeln!(out, "trust_email:     {}", p.trust_email)?;
    writeln!(out, "hint_domains:    {}", list(&p.hint_domains))?;
    writeln!(out, "redirect_uri:    {}", redirect_uri(base_url, &p.name))
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
            hint_domains,
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
                hint_domains,
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
        ProviderAction::Edit(args) => {
            let provider = edit(&ctx, &actor, args).await?;
            writeln!(out, "edited provider {}", provider.name)?;
            describe(&mut out, &provider, base_url)?;
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
                for d in &p.hint_domains {
                    options.push(format!("hint-domain={d}"));
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
