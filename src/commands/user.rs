//! `authgate user add|set-profile|list|disable|enable|set-password|unlock|reset-factors`:
//! managing users on
//! the configured database, without a running server. Changes are audited
//! like an administrator's, marked "(command line)".

use std::io::Write;

use clap::{Args, Subcommand};

use super::database::{DatabaseArgs, password_from_stdin};
use crate::clock::SystemClock;
use crate::crypto::random::Random;
use crate::domain::admin::{self, Actor, Ctx, FieldError, ProfileSpec};
use crate::domain::user::{Role, User};
use crate::model::user::Profile;
use crate::store::Store;

/// Options of `authgate user`.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,

    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserAction {
    /// Create a user. Without --password-stdin a password is generated and
    /// printed once.
    Add {
        username: String,
        /// Make the user an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Change a user's e-mail address, its verification or display name;
    /// what is not given stays (an empty value clears it). A new address
    /// is unverified unless --email-verified is given too.
    SetProfile {
        username: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// List users: username, role, status, creation date.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: no sign-in, and their tokens stop working.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Set a user's password (this also ends their other sessions and
    /// clears sign-in lock-outs). Without --password-stdin a password is
    /// generated and printed once.
    SetPassword {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Clear a user's sign-in lock-outs, from every address.
    Unlock { username: String },
    /// Require a second factor of a user, or with --all of everyone
    /// (--off: stop requiring it). People without one set it up at their
    /// next sign-in; approvals ask for it again after STEP_UP_MAX_AGE.
    RequireSecondFactor {
        #[arg(required_unless_present = "all")]
        username: Option<String>,
        #[arg(long, conflicts_with = "username")]
        all: bool,
        #[arg(long)]
        off: bool,
    },
    /// Reset a user's two-step sign-in (a lost phone): remove their
    /// authenticator app and recovery codes and end their browser
    /// sessions; they sign in with the password alone.
    ResetFactors { username: String },
}

/// The OpenID Connect profile of a user (ID tokens, UserInfo).
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArgs {
    /// E-mail address (the `email` claim).
    #[arg(long)]
    email: Option<String>,
    /// Mark the e-mail address as verified (`email_verified`).
    #[arg(long, conflicts_with = "email_unverified")]
    email_verified: bool,
    /// Mark the e-mail address as not verified.
    #[arg(long)]
    email_unverified: bool,
    /// Display name (the `name` claim).
    #[arg(long)]
    name: Option<String>,
}

impl ProfileArgs {
    /// The administrator's word on verification, if any.
    fn verified(&self) -> Option<bool> {
        match (self.email_verified, self.email_unverified) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }

    /// The edit these flags make to `current` (what is not given stays).
    fn spec(&self, current: &Profile) -> anyhow::Result<ProfileSpec> {
        let keep = |v: &Option<String>| v.clone().unwrap_or_default();
        admin::profile_spec(
            self.email.as_deref().unwrap_or(&keep(&current.email)),
            self.verified(),
            self.name.as_deref().unwrap_or(&keep(&current.name)),
        )
        .map_err(|errors| problems(&errors))
    }
}

async fn find(store: &Store, username: &str) -> anyhow::Result<User> {
    store
        .find_user_by_username(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {username:?}"))
}

/// The typed password, checked, or `None` to generate one.
fn password(from_stdin: bool) -> anyhow::Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let typed = password_from_stdin()?;
    if typed.is_empty() {
        anyhow::bail!("--password-stdin: standard input held no password");
    }
    admin::password_spec(&typed).map_err(|e| anyhow::anyhow!("password: {}", e.message))
}

pub async fn run(args: UserArgs) -> anyhow::Result<()> {
    let store = args.database.open().await?;
    let result = execute(&store, args.action).await;
    store.close().await;
    result
}

async fn execute(store: &Store, action: UserAction) -> anyhow::Result<()> {
    let random = Random::os();
    let ctx = Ctx {
        store,
        clock: &SystemClock,
        random: &random,
    };
    let actor = Actor::command_line();
    let mut out = std::io::stdout().lock();
    match action {
        UserAction::Add {
            username,
            admin: is_admin,
            password_stdin,
            profile,
        } => {
            let role = if is_admin { Role::Admin } else { Role::User };
            let profile = profile.spec(&Profile::default())?;
            add(
                &ctx,
                &actor,
                &mut out,
                &username,
                role,
                password_stdin,
                profile,
            )
            .await
        }
        UserAction::SetProfile { username, profile } => {
            let user = find(store, &username).await?;
            let spec = profile.spec(&user.profile)?;
            if admin::set_user_profile(&ctx, &actor, &user.id, &spec).await? {
                writeln!(out, "profile of {username} changed")?;
            } else {
                writeln!(out, "profile of {username} unchanged")?;
            }
            Ok(())
        }
        UserAction::List { json } => list(&ctx, &mut out, json).await,
        UserAction::Disable { username } => {
            set_disabled(&ctx, &actor, &mut out, &username, true).await
        }
        UserAction::Enable { username } => {
            set_disabled(&ctx, &actor, &mut out, &username, false).await
        }
        UserAction::SetPassword {
            username,
            password_stdin,
        } => {
            let typed = password(password_stdin)?;
            let user = find(store, &username).await?;
            let generated = admin::set_user_password(&ctx, &actor, &user.id, typed).await?;
            writeln!(out, "password of {username} changed")?;
            if let Some(p) = generated {
                writeln!(out, "password: {p}")?;
            }
            Ok(())
        }
        UserAction::Unlock { username } => {
            let user = find(store, &username).await?;
            if admin::unlock_user(&ctx, &actor, &user.id).await? {
                writeln!(out, "sign-in lock-outs of {username} cleared")?;
            } else {
                writeln!(out, "{username} was not locked out (counts cleared)")?;
            }
            Ok(())
        }
        UserAction::RequireSecondFactor { username, all, off } => {
            let (changed, whom) = match username {
                Some(username) if !all => {
                    let user = find(store, &username).await?;
                    let changed =
                        admin::require_second_factor_of_user(&ctx, &actor, &user.id, !off).await?;
                    (changed, username)
                }
                _ => (
                    admin::require_second_factor_of_everyone(&ctx, &actor, !off).await?,
                    "everyone".to_owned(),
                ),
            };
            let what = if off { "not required" } else { "required" };
            let already = if changed { "" } else { " (unchanged)" };
            writeln!(out, "second factor {what} of {whom}{already}")?;
            Ok(())
        }
        UserAction::ResetFactors { username } => {
            let user = find(store, &username).await?;
            let removed = admin::reset_factors(&ctx, &actor, &user.id).await?;
            let totp = if removed.totp {
                "authenticator app removed"
            } else {
                "no authenticator app"
            };
            writeln!(
                out,
                "two-step sign-in of {username} reset: {totp}, {} recovery codes and {} passkeys removed, browser sessions ended",
                removed.recovery_codes, removed.passkeys
            )?;
            Ok(())
        }
    }
}

/// Field problems as one line: "username: ...; password: ...".
pub(super) fn problems(errors: &[FieldError]) -> anyhow::Error {
    let line: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    anyhow::anyhow!("{}", line.join("; "))
}

async fn add(
    ctx: &Ctx<'_>,
    actor: &Actor,
    out: &mut impl Write,
    username: &str,
    role: Role,
    password_stdin: bool,
    profile: ProfileSpec,
) -> anyhow::Result<()> {
    let typed = password(password_stdin)?;
    let mut spec = admin::user_spec(username, typed.as_deref().unwrap_or(""), role)
        .map_err(|errors| problems(&errors))?;
    spec.profile = profile;
    let created = admin::create_user(ctx, actor, &spec).await?;
    writeln!(
        out,
        "created user {} ({})",
        created.user.username,
        created.user.role.as_str()
    )?;
    if let Some(p) = created.generated_password {
        writeln!(out, "password: {p}")?;
    }
    Ok(())
}

async fn list(ctx: &Ctx<'_>, out: &mut impl Write, json: bool) -> anyhow::Result<()> {
    if !json {
        writeln!(
            out,
            "{:<32} {:<6} {:<9} {:>6} created",
            "username", "role", "status", "tokens"
        )?;
    }
    let mut after: Option<String> = None;
    loop {
        let page = admin::users(ctx, None, after.as_deref()).await?;
        for u in &page.rows {
            if json {
                let line = serde_json::json!({
                    "id": u.id,
                    "username": u.username,
                    "role": u.role.as_str(),
                    "disabled": u.disabled,
                    "active_tokens": u.active_tokens,
                    "created_at": u.created_at,
                });
                writeln!(out, "{line}")?;
            } else {
                let status = if u.disabled { "disabled" } else { "active" };
                writeln!(
                    out,
                    "{:<32} {:<6} {:<9} {:>6} {}",
                    u.username,
                    u.role.as_str(),
                    status,
                    u.active_tokens,
                    date(u.created_at)
                )?;
            }
        }
        match page.next_after {
            Some(a) => after = Some(a),
            None => return Ok(()),
        }
    }
}

async fn set_disabled(
    ctx: &Ctx<'_>,
    actor: &Actor,
    out: &mut impl Write,
    username: &str,
    disabled: bool,
) -> anyhow::Result<()> {
    let user = find(ctx.store, username).await?;
    let changed = admin::set_user_disabled(ctx, actor, &user.id, disabled).await?;
    let what = if disabled { "disabled" } else { "enabled" };
    if changed {
        writeln!(out, "user {username} {what}")?;
    } else {
        writeln!(out, "user {username} was already {what}")?;
    }
    Ok(())
}

/// `YYYY-MM-DD` of a Unix time.
pub(super) fn date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}
