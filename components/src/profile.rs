//! The signed-in person's display name on `/account`: what applications
//! they sign in to with OpenID Connect's `profile` scope see as `name`.

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, Field, csrf_field, field, submit};

#[derive(Debug, Clone)]
pub struct ProfileCard<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// The name as stored, or as typed when it was refused.
    pub name: &'a str,
    /// The e-mail address an administrator recorded, shown read-only.
    pub email: Option<&'a str>,
    pub error: Option<&'a str>,
    pub saved: bool,
}

pub fn profile_card(p: &ProfileCard<'_>) -> Markup {
    card(html! {
        h2 class="mb-1 text-lg font-semibold text-slate-900 dark:text-white" { "Your profile" }
        p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
            "Applications you let see your profile get this name."
        }
        @if p.saved {
            div class="mb-4" { (alert(Tone::Success, "Name saved.")) }
        }
        form method="post" action=(p.action) class="space-y-4" novalidate {
            (csrf_field(p.csrf))
            (field(&Field {
                id: "profile-name",
                name: "name",
                label: "Display name",
                kind: "text",
                value: p.name,
                autocomplete: "name",
                error: p.error,
                hint: Some("At most 100 characters; leave empty for none."),
                autofocus: p.error.is_some(),
                ..Field::default()
            }))
            (submit(Button::styled("Save name", ButtonStyle::Quiet)))
        }
        p class="mt-4 text-xs text-slate-500 dark:text-slate-400" {
            @match p.email {
                Some(email) => { "E-mail address: " (email) " (an administrator changes it)." }
                None => "No e-mail address is recorded; an administrator can add one.",
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_escapes_the_name_and_carries_csrf() {
        let html = profile_card(&ProfileCard {
            action: "/account/profile",
            csrf: "tok",
            name: "<b>Al</b>",
            email: None,
            error: Some("Too long"),
            saved: false,
        })
        .into_string();
        assert!(html.contains("&lt;b&gt;Al&lt;/b&gt;"));
        assert!(html.contains("name=\"csrf_token\" value=\"tok\""));
        assert!(html.contains("Too long"));
        assert!(html.contains("for=\"profile-name\""));
    }
}
