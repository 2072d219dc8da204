//! The two steps around irreversible actions: a confirmation before, and
//! a secret shown once after.

use maud::{Markup, html};

use super::{BTN_DANGER, BTN_PRIMARY, BTN_QUIET, details, panel};
use crate::feedback::{Tone, alert};
use crate::form::csrf_field;

/// A confirmation step before a change that cannot be undone.
#[derive(Debug, Clone)]
pub struct Confirm<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// What will be affected.
    pub details: Vec<(&'a str, Markup)>,
    pub action: &'a str,
    pub csrf: &'a str,
    /// Extra hidden fields of the form (name, value).
    pub hidden: Vec<(&'a str, &'a str)>,
    pub confirm_label: &'a str,
    pub cancel: &'a str,
    /// Destructive: a red button.
    pub danger: bool,
}

pub fn confirm(p: &Confirm<'_>) -> Markup {
    panel(
        None,
        html! {
            div class="max-w-2xl space-y-5" {
                h2 class="text-lg font-semibold text-slate-900 dark:text-white" { (p.title) }
                p class="text-sm text-slate-700 dark:text-slate-200" { (p.message) }
                @if !p.details.is_empty() { (details(&p.details)) }
                form method="post" action=(p.action) class="flex flex-wrap gap-3" {
                    (csrf_field(p.csrf))
                    @for (name, value) in &p.hidden {
                        input type="hidden" name=(name) value=(value);
                    }
                    button type="submit" class=(if p.danger { BTN_DANGER } else { BTN_PRIMARY }) autofocus { (p.confirm_label) }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

/// A secret (client secret, generated password) shown once.
#[derive(Debug, Clone)]
pub struct SecretOnce<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// (label, value) pairs; the values are shown in full, selectable.
    pub values: Vec<(&'a str, &'a str)>,
    /// Set when `values` hold a secret: the "shown once" warning.
    pub secret: bool,
    pub next: &'a str,
    pub next_label: &'a str,
}

pub fn secret_once(p: &SecretOnce<'_>) -> Markup {
    panel(
        None,
        html! {
            div class="max-w-2xl space-y-5" {
                h2 class="text-lg font-semibold text-slate-900 dark:text-white" tabindex="-1" autofocus { (p.title) }
                p class="text-sm text-slate-700 dark:text-slate-200" { (p.message) }
                @if p.secret {
                    (alert(Tone::Info, "Copy the secret now: it is stored only as a hash and will not be shown again."))
                }
                dl class="space-y-4" {
                    @for (i, (label, value)) in p.values.iter().enumerate() {
                        div class="space-y-1.5" {
                            dt class="text-sm font-medium text-slate-700 dark:text-slate-200" { (label) }
                            dd {
                                code data-testid={ "secret-" (i) } class="block select-all break-all rounded-lg border border-slate-200 bg-slate-50 px-3 py-2.5 font-mono text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100" { (value) }
                            }
                        }
                    }
                }
                a href=(p.next) class=(BTN_PRIMARY) { (p.next_label) }
            }
        },
    )
}
