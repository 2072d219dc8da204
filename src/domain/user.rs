//! People who sign in and approve devices.

use super::{Core, Error, Result};
use crate::crypto::password;
use crate::model::audit::AuditAction;
use crate::store::NewUser;

pub use crate::model::user::{Role, User};

/// A user by id (from the store's memory when it holds a current copy:
/// the signed-in user of every page request).
pub async fn find(core: &Core, id: &str) -> Result<Option<User>> {
    Ok(core.store.user(id, core.clock.now_ms()).await?)
}

/// Usernames: 1 to 64 characters of letters, digits and `._@-`.
pub fn validate_username(username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRequest(
            "usernames are 1 to 64 letters, digits, '.', '_', '@' or '-'".into(),
        ))
    }
}

/// Creates a user with an argon2id-hashed password.
pub async fn create(core: &Core, username: &str, plain_password: &str, role: Role) -> Result<User> {
    validate_username(username)?;
    if plain_password.len() < 8 {
        return Err(Error::InvalidRequest(
            "passwords must be at least 8 characters".into(),
        ));
    }
    let password_hash = password::hash(plain_password.to_owned()).await?;
    let now = core.clock.now_secs();
    let user = NewUser {
        id: core.random.uuid(),
        username: username.to_owned(),
        password_hash,
        role,
        profile: crate::model::user::Profile::default(),
        now,
    };
    core.store.insert_user(&user).await?;
    core.store
        .find_user_by_id(&user.id)
        .await?
        .ok_or_else(|| Error::Internal("user vanished after insert".into()))
}

/// Checks a username and password. Unknown users cost the same argon2 time
/// as known ones, and every failure is the same [`Error::BadCredentials`].
pub async fn authenticate(core: &Core, username: &str, plain_password: &str) -> Result<User> {
    let user = core.store.find_user_by_username(username).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = password::verify(plain_password.to_owned(), stored).await?;
    match user {
        Some(user) if ok && !user.disabled => Ok(user),
        _ => Err(Error::BadCredentials),
    }
}

/// What a right password leads to.
#[derive(Debug)]
pub enum Password {
    /// Signed in: the password is all this person uses.
    SignedIn(User),
    /// The person has a second factor (`factors::has_second_factor`): a
    /// code (`totp::verify`) or a passkey is still needed. The attempt
    /// stays counted until it is given.
    NeedsCode(User),
}

/// Audits a completed sign-in of `user` (after its second step).
pub async fn signed_in(core: &Core, user: &User, ip: Option<std::net::IpAddr>, detail: &str) {
    super::audit::record(
        core,
        crate::store::NewAuditEvent {
            actor: Some(user.id.to_string()),
            ip: ip.map(|ip| ip.to_string()),
            target: Some(user.username.chars().take(64).collect()),
            detail: Some(detail.to_owned()),
            ..crate::store::NewAuditEvent::new(AuditAction::SignedIn)
        },
    )
    .await;
}

/// Signs a person in: counts the attempt (refusing it while the account or
/// address is locked out), checks the password, and audits the outcome.
pub async fn sign_in(
    core: &Core,
    username: &str,
    plain_password: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<Password> {
    let attempt = super::throttle::begin_sign_in(core, username, ip).await?;
    let event = |action: AuditAction, actor: Option<String>, detail: Option<String>| {
        crate::store::NewAuditEvent {
            actor,
            ip: ip.map(|ip| ip.to_string()),
            target: Some(username.chars().take(64).collect()),
            detail,
            ..crate::store::NewAuditEvent::new(action)
        }
    };
    match authenticate(core, username, plain_password).await {
        Ok(user) => {
            if super::factors::has_second_factor(core, &user.id).await? {
                // Not given back yet: a known password must not reset
                // the lock-out that wrong codes build up.
                return Ok(Password::NeedsCode(user));
            }
            attempt.succeeded(core).await?;
            super::audit::record(
                core,
                event(AuditAction::SignedIn, Some(user.id.to_string()), None),
            )
            .await;
            Ok(Password::SignedIn(user))
        }
        Err(Error::BadCredentials) => {
            core.metrics.sign_in_failed();
            super::audit::record(
                core,
                event(
                    AuditAction::SignInFailed,
                    None,
                    Some("wrong username or password".into()),
                ),
            )
            .await;
            Err(Error::BadCredentials)
        }
        Err(e) => Err(e),
    }
}
