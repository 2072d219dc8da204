//! Recovery codes: the page that shows a new set once, their section of
//! `/account`, and the way to type one instead of a TOTP code at sign-in
//! (a `<details>` that opens without script, as the CSP allows none).

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, Field, csrf_field, field, submit};
use crate::layout::heading;

/// Props of the page showing a new set of codes (its only showing).
#[derive(Debug, Clone)]
pub struct CodesShown<'a> {
    /// The codes in display form (`xxxxx-xxxxx`).
    pub codes: &'a [String],
    /// Said above the codes (e.g. that two-step sign-in is now on).
    pub intro: Option<&'a str>,
    /// Where "continue" goes.
    pub next: &'a str,
}

pub fn codes_shown(p: &CodesShown<'_>) -> Markup {
    card(html! {
        (heading("Save your recovery codes", Some("Each code signs you in once if you lose your authenticator app.")))
        div class="space-y-5" {
            @if let Some(intro) = p.intro {
                (alert(Tone::Success, intro))
            }
            (alert(Tone::Info, "This is the only time these codes are shown. Store them somewhere safe, such as a password manager or a printout kept with your documents."))
            ol id="recovery-codes-list" class="grid grid-cols-1 gap-2 rounded-lg border border-slate-200 bg-slate-50 p-4 font-mono text-lg text-slate-900 min-[360px]:grid-cols-2 dark:border-slate-700 dark:bg-slate-950 dark:text-white" aria-label="Recovery codes" {
                @for code in p.codes {
                    li class="text-center tracking-wider" { code { (code) } }
                }
            }
            p class="text-sm text-slate-600 dark:text-slate-300" {
                "Anyone with one of these codes and your password can sign in as you. Making new codes later stops these from working."
            }
            a href=(p.next) class="inline-flex min-h-11 w-full items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 dark:bg-brand-500" {
                "I have saved them, continue"
            }
        }
    })
}

/// Props of the "Recovery codes" section of `/account` (shown while
/// two-step sign-in is on).
#[derive(Debug, Clone)]
pub struct RecoverySection<'a> {
    pub csrf: &'a str,
    /// Codes not used yet.
    pub left: i64,
    /// Codes in the current set (0: none made yet).
    pub total: i64,
    /// POST: a new set, replacing this one.
    pub regenerate_action: &'a str,
}

pub fn recovery_section(p: &RecoverySection<'_>) -> Markup {
    card(html! {
        section id="recovery-codes" aria-labelledby="recovery-codes-title" {
            h2 id="recovery-codes-title" class="mb-1 text-lg font-semibold text-slate-900 dark:text-white" { "Recovery codes" }
            @if p.total > 0 && p.left == 0 {
                div class="my-4" { (alert(Tone::Error, "You have no recovery codes left. Make new ones now, or a lost phone will lock you out.")) }
            } @else if p.total == 0 {
                p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
                    "You have no recovery codes yet. Make a set to sign in if you lose your authenticator app."
                }
            } @else {
                p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
                    strong id="recovery-codes-left" class="text-slate-900 dark:text-white" { (p.left) " of " (p.total) }
                    " codes left. Each signs you in once if you lose your authenticator app."
                }
            }
            form method="post" action=(p.regenerate_action) class="space-y-2" {
                (csrf_field(p.csrf))
                (submit(Button::styled("New recovery codes", ButtonStyle::Quiet)))
                @if p.total > 0 {
                    p class="text-xs text-slate-500 dark:text-slate-400" { "Your current codes stop working when you make new ones." }
                }
            }
        }
    })
}

/// Props of the recovery-code form under the code page.
#[derive(Debug, Clone)]
pub struct RecoveryCodeForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// Shown under the field; opens the form.
    pub error: Option<&'a str>,
}

pub fn recovery_code_form(p: &RecoveryCodeForm<'_>) -> Markup {
    html! {
        details id="use-recovery-code" class="mt-4 rounded-2xl border border-slate-200 bg-white px-6 py-4 shadow-sm sm:px-8 dark:border-slate-800 dark:bg-slate-900" open[p.error.is_some()] {
            summary class="min-h-11 cursor-pointer py-2 font-semibold text-brand-600 dark:text-brand-400" { "Use a recovery code" }
            form method="post" action=(p.action) class="mt-3 space-y-4" novalidate {
                (csrf_field(p.csrf))
                (field(&Field {
                    id: "recovery-code",
                    name: "recovery_code",
                    label: "Recovery code",
                    kind: "text",
                    autocomplete: "off",
                    input_class: "font-mono tracking-wider",
                    error: p.error,
                    required: true,
                    autofocus: p.error.is_some(),
                    literal: true,
                    hint: Some("One of the codes you saved when you turned on two-step sign-in, like xxxxx-xxxxx. Each works once."),
                    ..Field::default()
                }))
                (submit(Button::styled("Sign in with a recovery code", ButtonStyle::Neutral)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_listed_and_escaped() {
        let codes = vec!["abcde-fghjk".to_owned(), "<b>".to_owned()];
        let html = codes_shown(&CodesShown {
            codes: &codes,
            intro: None,
            next: "/account",
        })
        .into_string();
        assert!(html.contains("abcde-fghjk"));
        assert!(html.contains("&lt;b&gt;"));
        assert!(html.contains("only time these codes are shown"));
    }

    #[test]
    fn an_exhausted_set_says_so_and_offers_new_codes() {
        let html = recovery_section(&RecoverySection {
            csrf: "tok",
            left: 0,
            total: 10,
            regenerate_action: "/account/recovery-codes",
        })
        .into_string();
        assert!(html.contains("no recovery codes left"));
        assert!(html.contains("name=\"csrf_token\" value=\"tok\""));
        assert!(html.contains("New recovery codes"));
    }

    #[test]
    fn the_recovery_form_opens_with_its_error() {
        let closed = recovery_code_form(&RecoveryCodeForm {
            action: "/login/code/recovery",
            csrf: "tok",
            error: None,
        })
        .into_string();
        assert!(!closed.contains(" open"));
        let open = recovery_code_form(&RecoveryCodeForm {
            action: "/login/code/recovery",
            csrf: "tok",
            error: Some("Wrong"),
        })
        .into_string();
        assert!(
            open.contains("<details id=\"use-recovery-code\" class=") && open.contains(" open")
        );
        assert!(open.contains("aria-invalid"));
    }
}
