//! Signing out at an application's request (OpenID Connect RP-Initiated
//! Logout 1.0): the confirmation and the signed-out page.

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, csrf_field, submit};
use crate::layout::heading;

/// Props of the confirmation: the request's own parameters ride along as
/// hidden fields, so the POST is checked exactly as the GET was.
#[derive(Debug, Clone)]
pub struct LogoutConfirm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// The application asking, when it is known.
    pub app_name: Option<&'a str>,
    pub account: &'a str,
    /// `(name, value)` of the request's parameters.
    pub carried: Vec<(&'a str, &'a str)>,
    /// Where "Stay signed in" leads.
    pub cancel: &'a str,
}

pub fn logout_confirm(p: &LogoutConfirm<'_>) -> Markup {
    card(html! {
        (heading("Sign out?", Some("An application asked to sign you out of AuthGate.")))
        p class="mb-6 text-sm text-slate-700 dark:text-slate-200" {
            "You are signed in as " strong { (p.account) } "."
            @if let Some(app) = p.app_name {
                " Signing out also signs you out of " strong { (app) } ". Your other applications and devices stay connected."
            }
        }
        form method="post" action=(p.action) class="flex flex-col gap-3 sm:flex-row" {
            (csrf_field(p.csrf))
            input type="hidden" name="confirm" value="1";
            @for (name, value) in &p.carried {
                input type="hidden" name=(name) value=(value);
            }
            (submit(Button::primary("Sign out")))
            a href=(p.cancel) class="inline-flex items-center justify-center rounded-lg px-4 py-2.5 text-sm font-semibold text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800" { "Stay signed in" }
        }
    })
}

/// The page after signing out when there is nowhere registered to return.
pub fn signed_out(app_name: Option<&str>, sign_in: &str) -> Markup {
    card(html! {
        (heading("You are signed out", None))
        (alert(Tone::Success, match app_name {
            Some(_) => "You have signed out of AuthGate and of the application.",
            None => "You have signed out of AuthGate.",
        }))
        @if let Some(app) = app_name {
            p class="mt-4 text-sm text-slate-600 dark:text-slate-300" { "Application: " (app) }
        }
        div class="mt-6" {
            a href=(sign_in) class="font-semibold text-brand-600 hover:underline dark:text-brand-400" { "Sign in again" }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_escapes_and_carries_the_request() {
        let html = logout_confirm(&LogoutConfirm {
            action: "/oauth/logout",
            csrf: "t",
            app_name: Some("<b>App</b>"),
            account: "ann",
            carried: vec![("state", "\"><script>")],
            cancel: "/account",
        })
        .into_string();
        assert!(html.contains("&lt;b&gt;App"));
        assert!(html.contains(r#"name="state" value="&quot;&gt;&lt;script&gt;""#));
        assert!(html.contains(r#"name="confirm" value="1""#));
        assert!(html.contains(r#"name="csrf_token" value="t""#));
        assert!(
            signed_out(None, "/login")
                .into_string()
                .contains("signed out")
        );
    }
}
