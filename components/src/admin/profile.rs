//! `/admin/users/{id}/profile`: a user's e-mail address, whether it is
//! verified, and display name — what ID tokens and UserInfo say of them.

use maud::{Markup, html};

use super::{BTN_PRIMARY, BTN_QUIET, Hue, badge, checkbox, panel};
use crate::form::{Field, csrf_field, field};

/// Problems with the profile form, beside their fields.
#[derive(Debug, Clone, Default)]
pub struct ProfileErrors<'a> {
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct ProfileForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub name: &'a str,
    pub errors: ProfileErrors<'a>,
    pub cancel: &'a str,
}

pub fn profile_form(p: &ProfileForm<'_>) -> Markup {
    panel(
        None,
        html! {
            form method="post" action=(p.action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                p class="text-sm text-slate-700 dark:text-slate-200" {
                    "What applications signing in " strong { (p.username) } " with OpenID Connect may learn (scopes "
                    code { "email" } " and " code { "profile" } ")."
                }
                (field(&Field {
                    id: "profile-email",
                    name: "email",
                    label: "E-mail address",
                    kind: "email",
                    value: p.email,
                    autocomplete: "off",
                    error: p.errors.email,
                    hint: Some("Leave empty for none. A new address counts as unverified unless you tick the box below in the same change."),
                    autofocus: p.errors.email.is_some(),
                    literal: true,
                    ..Field::default()
                }))
                (checkbox("profile-email-verified", "email_verified", "The address is verified", p.email_verified,
                    Some("Tick only when you know the address belongs to this person: applications may trust it.")))
                (field(&Field {
                    id: "profile-name",
                    name: "name",
                    label: "Display name",
                    kind: "text",
                    value: p.name,
                    autocomplete: "off",
                    error: p.errors.name,
                    hint: Some("At most 100 characters; the person can change it on their account page."),
                    autofocus: p.errors.email.is_none() && p.errors.name.is_some(),
                    ..Field::default()
                }))
                div class="flex flex-wrap gap-3" {
                    button type="submit" class=(BTN_PRIMARY) { "Save profile" }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

/// The e-mail row of the user page: the address and whether it is verified.
pub fn email_detail(email: Option<&str>, verified: bool) -> Markup {
    html! {
        @match email {
            Some(email) => {
                (email) " "
                @if verified { (badge(Hue::Good, "Verified")) } @else { (badge(Hue::Neutral, "Unverified")) }
            }
            None => span class="text-slate-500 dark:text-slate-400" { "None" },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_escapes_and_labels_its_fields() {
        let html = profile_form(&ProfileForm {
            action: "/admin/users/u/profile",
            csrf: "tok",
            username: "<alice>",
            email: "a@example.com",
            email_verified: true,
            name: "\"Al\"",
            errors: ProfileErrors {
                email: Some("Bad address"),
                name: None,
            },
            cancel: "/admin/users/u",
        })
        .into_string();
        assert!(html.contains("&lt;alice&gt;"));
        assert!(html.contains("value=\"&quot;Al&quot;\""));
        assert!(html.contains("for=\"profile-email\""));
        assert!(html.contains("Bad address"));
        assert!(html.contains("name=\"email_verified\""));
    }
}
