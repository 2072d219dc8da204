//! Two-step sign-in: the code page after the password, and the section of
//! `/account` that turns it on (an authenticator app's QR code and key)
//! and off.

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, Field, csrf_field, field, submit};
use crate::layout::heading;

/// The six-digit code field, shared by every form that asks for one.
pub(crate) fn code_field(id: &str, error: Option<&str>, autofocus: bool, required: bool) -> Markup {
    field(&Field {
        id,
        name: "code",
        label: "6-digit code",
        kind: "text",
        autocomplete: "one-time-code",
        inputmode: Some("numeric"),
        input_class: "font-mono tracking-widest",
        error,
        required,
        autofocus,
        literal: true,
        hint: Some("From your authenticator app."),
        ..Field::default()
    })
}

/// Props of the code page shown after a right password.
#[derive(Debug, Clone)]
pub struct CodeForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// Where to go once signed in (a validated local path).
    pub next: &'a str,
    pub error: Option<&'a str>,
    /// Another way to take the step (`passkeys::passkey_step`), shown
    /// under the form.
    pub alternative: Option<Markup>,
    /// Whether the code field takes the focus (not when another form on
    /// the page, e.g. the recovery code, was refused).
    pub autofocus: bool,
}

pub fn code_form(p: &CodeForm<'_>) -> Markup {
    card(html! {
        (heading("Enter your code", Some("Two-step sign-in is on for this account.")))
        form method="post" action=(p.action) class="space-y-5" novalidate {
            (csrf_field(p.csrf))
            input type="hidden" name="next" value=(p.next);
            (code_field("code", p.error, p.autofocus, true))
            (submit(Button::primary("Continue")))
        }
        @if let Some(alternative) = &p.alternative {
            (alternative)
        }
    })
}

/// Where two-step sign-in stands for the person on `/account`.
#[derive(Debug, Clone)]
pub enum TwoStepState<'a> {
    Off {
        start_action: &'a str,
    },
    /// Enrolment under way: `qr` is the otpauth URI as inline SVG, made by
    /// the server from its own data; `key` the same key as text.
    Enrolling {
        qr: Markup,
        key: &'a str,
        confirm_action: &'a str,
        error: Option<&'a str>,
    },
    On {
        remove_action: &'a str,
        error: Option<&'a str>,
    },
}

/// Props of the "Two-step sign-in" section.
#[derive(Debug, Clone)]
pub struct TwoStepSection<'a> {
    pub csrf: &'a str,
    pub state: TwoStepState<'a>,
    pub notice: Option<&'a str>,
}

/// The key in groups of four, as apps show it.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn two_step_section(p: &TwoStepSection<'_>) -> Markup {
    card(html! {
        section id="two-step" aria-labelledby="two-step-title" {
        h2 id="two-step-title" class="mb-1 text-lg font-semibold text-slate-900 dark:text-white" { "Two-step sign-in" }
        @if let Some(notice) = p.notice {
            div class="mb-4" { (alert(Tone::Success, notice)) }
        }
        @match &p.state {
            TwoStepState::Off { start_action } => {
                p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
                    "Off. Turn it on to be asked for a code from an authenticator app after your password."
                }
                form method="post" action=(start_action) {
                    (csrf_field(p.csrf))
                    (submit(Button::styled("Set up an authenticator app", ButtonStyle::Neutral)))
                }
            }
            TwoStepState::Enrolling { qr, key, confirm_action, error } => {
                ol class="mb-4 list-decimal space-y-1 pl-5 text-sm text-slate-600 dark:text-slate-300" {
                    li { "Scan this QR code with your authenticator app, or type the key." }
                    li { "Enter the 6-digit code the app shows." }
                }
                div class="mb-4 flex flex-col items-center gap-3 sm:flex-row sm:items-start" {
                    div class="w-48 shrink-0 rounded-lg bg-white p-2" role="img" aria-label="QR code of the key" { (qr) }
                    div class="min-w-0 text-sm" {
                        p class="text-slate-600 dark:text-slate-300" { "Key" }
                        code id="two-step-key" class="block break-words font-mono text-base text-slate-900 dark:text-white" { (grouped(key)) }
                    }
                }
                form method="post" action=(confirm_action) class="space-y-4" novalidate {
                    (csrf_field(p.csrf))
                    (code_field("two-step-code", *error, error.is_some(), true))
                    (submit(Button::primary("Turn on")))
                }
            }
            TwoStepState::On { remove_action, error } => {
                p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
                    "On. Signing in asks for a code from your authenticator app."
                }
                form method="post" action=(remove_action) class="space-y-4" novalidate {
                    (csrf_field(p.csrf))
                    @if let Some(error) = error {
                        (alert(Tone::Error, error))
                    }
                    (code_field("two-step-remove-code", None, false, false))
                    (field(&Field {
                        id: "two-step-password",
                        name: "password",
                        label: "Or your password",
                        kind: "password",
                        autocomplete: "current-password",
                        ..Field::default()
                    }))
                    (submit(Button::styled("Turn off", ButtonStyle::Quiet)))
                }
            }
        }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_form_carries_csrf_next_and_the_error() {
        let html = code_form(&CodeForm {
            action: "/login/code",
            csrf: "tok",
            next: "/device?user_code=<x>",
            error: Some("Wrong code"),
            alternative: None,
            autofocus: true,
        })
        .into_string();
        assert!(html.contains("name=\"csrf_token\" value=\"tok\""));
        assert!(html.contains("value=\"/device?user_code=&lt;x&gt;\""));
        assert!(html.contains("Wrong code"));
        assert!(html.contains("autocomplete=\"one-time-code\""));
    }

    #[test]
    fn the_key_shows_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
