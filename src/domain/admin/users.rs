//! Users: validation, creation, disabling, passwords, roles.

use super::{Actor, Ctx, FieldError, GENERATED_PASSWORD_BYTES, PAGE_SIZE, field_error, record};
use crate::crypto::password;
use crate::domain::user::{Role, User, validate_username};
use crate::domain::{Error, Result, throttle};
use crate::model::audit::AuditAction;
use crate::store::{self, NewUser, UserListing};

/// A new user, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub username: String,
    /// `None`: generate one and show it once.
    pub password: Option<String>,
    pub role: Role,
    /// E-mail, its verification and display name (empty by default).
    pub profile: super::ProfileSpec,
}

/// Checks a new password: empty means "generate one", otherwise 8 to 1024
/// characters.
pub fn password_spec(password: &str) -> std::result::Result<Option<String>, FieldError> {
    if password.is_empty() {
        Ok(None)
    } else if password.chars().count() < 8 || password.len() > 1024 {
        Err(field_error(
            "password",
            "Use at least 8 characters, or leave it empty to generate a password.",
        ))
    } else {
        Ok(Some(password.to_owned()))
    }
}

pub fn user_spec(
    username: &str,
    password: &str,
    role: Role,
) -> std::result::Result<UserSpec, Vec<FieldError>> {
    let username = username.trim();
    let mut errors = Vec::new();
    if validate_username(username).is_err() {
        errors.push(field_error(
            "username",
            "Use 1 to 64 letters, digits, dots, dashes, underscores or @.",
        ));
    }
    let password = password_spec(password).map_err(|e| errors.push(e)).ok();
    match password {
        Some(password) if errors.is_empty() => Ok(UserSpec {
            username: username.to_owned(),
            password,
            role,
            profile: super::ProfileSpec::default(),
        }),
        _ => Err(errors),
    }
}

pub async fn find_user(ctx: &Ctx<'_>, id: &str) -> Result<User> {
    ctx.store
        .find_user_by_id(id)
        .await?
        .ok_or_else(|| Error::NotFound("no such user".into()))
}

/// One page of users by username, and the username to continue after.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub rows: Vec<UserListing>,
    pub next_after: Option<String>,
}

pub async fn users(ctx: &Ctx<'_>, search: Option<&str>, after: Option<&str>) -> Result<UserPage> {
    let mut rows = ctx
        .store
        .list_users(search, after, ctx.clock.now_secs(), PAGE_SIZE + 1)
        .await?;
    let more = rows.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next_after = if more {
        rows.last().map(|u| u.username.clone())
    } else {
        None
    };
    Ok(UserPage { rows, next_after })
}

/// A new user and, when none was given, the generated password (shown once).
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: User,
    pub generated_password: Option<String>,
}

/// Creates a user. A taken username is `InvalidRequest`.
pub async fn create_user(ctx: &Ctx<'_>, actor: &Actor, spec: &UserSpec) -> Result<CreatedUser> {
    let generated = spec
        .password
        .is_none()
        .then(|| ctx.random.token(GENERATED_PASSWORD_BYTES));
    let plain = spec
        .password
        .clone()
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let row = NewUser {
        id: ctx.random.uuid(),
        username: spec.username.clone(),
        password_hash: password::hash(plain).await?,
        role: spec.role,
        profile: crate::model::user::Profile::default().edited(
            spec.profile.email.clone(),
            spec.profile.email_verified,
            spec.profile.name.clone(),
        ),
        now: ctx.clock.now_secs(),
    };
    match ctx.store.insert_user(&row).await {
        Ok(()) => {}
        Err(store::Error::Conflict(_)) => {
            return Err(Error::InvalidRequest(format!(
                "the username {} is taken",
                spec.username
            )));
        }
        Err(e) => return Err(e.into()),
    }
    record(
        ctx,
        actor,
        AuditAction::AdminUserCreated,
        Some(spec.username.clone()),
        None,
        format!("role {}", spec.role.as_str()),
    )
    .await;
    let user = find_user(ctx, &row.id).await?;
    Ok(CreatedUser {
        user,
        generated_password: generated,
    })
}

/// Disables a user (no sign-in; their tokens and refresh tokens stop
/// working) or enables them again. Administrators cannot disable
/// themselves. `false` when it was already so.
pub async fn set_user_disabled(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    disabled: bool,
) -> Result<bool> {
    let user = find_user(ctx, id).await?;
    if disabled && actor.is(&user.id) {
        return Err(Error::Refused(
            "You cannot disable your own account.".into(),
        ));
    }
    let changed = ctx
        .store
        .set_user_disabled(&user.id, disabled, ctx.clock.now_secs())
        .await?;
    if changed {
        let action = if disabled {
            AuditAction::AdminUserDisabled
        } else {
            AuditAction::AdminUserEnabled
        };
        let detail = if disabled {
            "cannot sign in; tokens stop working"
        } else {
            "can sign in again"
        };
        record(
            ctx,
            actor,
            action,
            Some(user.username.clone()),
            None,
            detail.into(),
        )
        .await;
    }
    Ok(changed)
}

/// Sets a user's password, or a generated one (returned, to show once).
pub async fn set_user_password(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    password: Option<String>,
) -> Result<Option<String>> {
    let user = find_user(ctx, id).await?;
    let generated = password
        .is_none()
        .then(|| ctx.random.token(GENERATED_PASSWORD_BYTES));
    let plain = password.or_else(|| generated.clone()).unwrap_or_default();
    let hash = password::hash(plain).await?;
    let now = ctx.clock.now_secs();
    ctx.store
        .set_user_password_hash(&user.id, &hash, now)
        .await?;
    // A new password is a fresh start: no lock-out from the old one's guesses.
    throttle::unlock(ctx.store, &user.username, now).await?;
    record(
        ctx,
        actor,
        AuditAction::AdminUserPasswordReset,
        Some(user.username.clone()),
        None,
        if generated.is_some() {
            "password reset to a generated one".into()
        } else {
            "password set".into()
        },
    )
    .await;
    Ok(generated)
}

/// Clears the user's sign-in lock-outs from every address; `false` when
/// none was in force (the counts are cleared either way).
pub async fn unlock_user(ctx: &Ctx<'_>, actor: &Actor, id: &str) -> Result<bool> {
    let user = find_user(ctx, id).await?;
    let locks = throttle::unlock(ctx.store, &user.username, ctx.clock.now_secs()).await?;
    record(
        ctx,
        actor,
        AuditAction::AdminUserUnlocked,
        Some(user.username.clone()),
        None,
        format!("sign-in lock-outs cleared ({locks} in force)"),
    )
    .await;
    Ok(locks > 0)
}

/// Grants or removes the administrator role. Administrators cannot remove
/// their own (so there is always one left who can). `false` when the user
/// already had `role`.
pub async fn set_user_role(ctx: &Ctx<'_>, actor: &Actor, id: &str, role: Role) -> Result<bool> {
    let user = find_user(ctx, id).await?;
    if role != Role::Admin && actor.is(&user.id) {
        return Err(Error::Refused(
            "You cannot remove your own administrator role.".into(),
        ));
    }
    let changed = ctx
        .store
        .set_user_role(&user.id, role, ctx.clock.now_secs())
        .await?;
    if changed {
        record(
            ctx,
            actor,
            AuditAction::AdminUserRoleChanged,
            Some(user.username.clone()),
            None,
            format!("role {} → {}", user.role.as_str(), role.as_str()),
        )
        .await;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_specs_allow_a_generated_password() {
        let spec = user_spec("carol", "", Role::User).expect("valid");
        assert_eq!(spec.password, None);
        let errors = user_spec("no spaces", "short", Role::User).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["username", "password"]);
    }
}
