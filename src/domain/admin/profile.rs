//! User profiles (OpenID Connect Core §5.1 claims): an administrator sets
//! e-mail, its verification and display name; a person sets their own
//! display name. What a profile may hold is the model's
//! (`model::user::Profile`); changing the address clears its verification
//! unless the administrator vouches for the new one in the same change.

use super::{Actor, Ctx, FieldError, field_error, find_user, record};
use crate::domain::{Error, Result};
use crate::model::audit::AuditAction;
use crate::model::user::{Profile, parse_email, parse_name};

/// A profile edit as typed: new e-mail and name (empty clears them), and
/// the administrator's word on the address (`None`: leave it to the rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSpec {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// Checks typed profile fields, each problem beside its field.
pub fn profile_spec(
    email: &str,
    email_verified: Option<bool>,
    name: &str,
) -> std::result::Result<ProfileSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = parse_email(email)
        .map_err(|e| errors.push(field_error("email", e.describe())))
        .ok()
        .flatten();
    let name = parse_name(name)
        .map_err(|e| errors.push(field_error("name", e.describe())))
        .ok()
        .flatten();
    if errors.is_empty() {
        Ok(ProfileSpec {
            email,
            email_verified,
            name,
        })
    } else {
        Err(errors)
    }
}

/// Sets a user's profile, audited. `false` when nothing changed.
pub async fn set_user_profile(
    ctx: &Ctx<'_>,
    actor: &Actor,
    id: &str,
    spec: &ProfileSpec,
) -> Result<bool> {
    let user = find_user(ctx, id).await?;
    let after = user
        .profile
        .edited(spec.email.clone(), spec.email_verified, spec.name.clone());
    if after == user.profile {
        return Ok(false);
    }
    if !ctx
        .store
        .set_user_profile(&user.id, &after, ctx.clock.now_secs())
        .await?
    {
        return Err(Error::NotFound("no such user".into()));
    }
    record(
        ctx,
        actor,
        AuditAction::AdminUserProfileChanged,
        Some(user.username.clone()),
        None,
        describe_change(&user.profile, &after),
    )
    .await;
    Ok(true)
}

/// A person's own display name (from /account); not audited, like the
/// rest of what a person does to their own account page.
pub async fn set_own_name(ctx: &Ctx<'_>, user_id: &str, name: &str) -> Result<()> {
    let name = parse_name(name).map_err(|e| Error::InvalidRequest(e.describe().into()))?;
    let user = find_user(ctx, user_id).await?;
    let after = Profile {
        name,
        ..user.profile.clone()
    };
    if after != user.profile {
        ctx.store
            .set_user_profile(&user.id, &after, ctx.clock.now_secs())
            .await?;
    }
    Ok(())
}

/// The audit detail of a change: which fields moved (the address itself
/// included, as an administrator would want to trace it).
fn describe_change(before: &Profile, after: &Profile) -> String {
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    let mut parts = Vec::new();
    if before.email != after.email {
        parts.push(format!(
            "e-mail {} → {}",
            shown(&before.email),
            shown(&after.email)
        ));
    }
    if before.email_verified != after.email_verified {
        parts.push(if after.email_verified {
            "e-mail verified".to_owned()
        } else {
            "e-mail unverified".to_owned()
        });
    }
    if before.name != after.name {
        parts.push(format!(
            "name {} → {}",
            shown(&before.name),
            shown(&after.name)
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_report_each_bad_field() {
        let errors = profile_spec("nope", None, "a\u{0}").expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "name"]);
        let spec = profile_spec("", Some(true), "").expect("valid");
        assert_eq!(spec.email, None);
        assert_eq!(spec.name, None);
    }
}
