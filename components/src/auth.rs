//! Sign-in.

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, Field, csrf_field, field, submit};
use crate::layout::heading;

/// Props of the sign-in form.
#[derive(Debug, Clone)]
pub struct LoginForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    /// Where to go after signing in (a validated local path).
    pub next: &'a str,
    pub error: Option<&'a str>,
    /// Explains why the person is here (to approve a device, or signed out).
    pub notice: Option<(Tone, &'a str)>,
    /// The passkey block (`passkeys::passkey_sign_in`), shown under the
    /// form; with it the username field also offers passkeys in its
    /// autofill (`autocomplete="username webauthn"`).
    pub passkey: Option<Markup>,
}

pub fn login_form(p: &LoginForm<'_>) -> Markup {
    card(html! {
        (heading("Sign in", Some("Use your AuthGate account to continue.")))
        @if let Some((tone, notice)) = p.notice {
            div class="mb-5" { (alert(tone, notice)) }
        }
        form method="post" action=(p.action) class="space-y-5" novalidate {
            (csrf_field(p.csrf))
            input type="hidden" name="next" value=(p.next);
            @if let Some(error) = p.error {
                (alert(Tone::Error, error))
            }
            (field(&Field {
                id: "username",
                name: "username",
                label: "Username",
                kind: "text",
                value: p.username,
                autocomplete: if p.passkey.is_some() { "username webauthn" } else { "username" },
                required: true,
                autofocus: p.username.is_empty(),
                literal: true,
                ..Field::default()
            }))
            (field(&Field {
                id: "password",
                name: "password",
                label: "Password",
                kind: "password",
                autocomplete: "current-password",
                required: true,
                autofocus: !p.username.is_empty(),
                ..Field::default()
            }))
            (submit(Button::primary("Sign in")))
        }
        @if let Some(passkey) = &p.passkey {
            (passkey)
        }
    })
}

/// The page between a sign-in form and the application that asked for
/// the sign-in: the browser follows `href` by itself (the server sends a
/// `Refresh` header); the link is for those that do not.
pub fn continuing(href: &str) -> Markup {
    card(html! {
        (heading("Signed in", None))
        p class="mb-6 text-sm text-slate-600 dark:text-slate-300" {
            "Taking you back to the application…"
        }
        a href=(href) class="inline-flex items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600" {
            "Continue"
        }
    })
}
