//! Alerts and inline messages.

use maud::{Markup, html};

use crate::icons;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Error,
    Info,
    Success,
}

/// A block message. Errors use `role="alert"`, so screen readers announce
/// them when they appear (also when htmx swaps them in).
pub fn alert(tone: Tone, message: &str) -> Markup {
    let (classes, role) = match tone {
        Tone::Error => (
            "border-red-200 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950/60 dark:text-red-200",
            "alert",
        ),
        Tone::Info => (
            "border-sky-200 bg-sky-50 text-sky-900 dark:border-sky-900 dark:bg-sky-950/60 dark:text-sky-100",
            "status",
        ),
        Tone::Success => (
            "border-emerald-200 bg-emerald-50 text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/60 dark:text-emerald-100",
            "status",
        ),
    };
    html! {
        div class={ "flex items-start gap-3 rounded-lg border px-4 py-3 text-sm " (classes) } role=(role) {
            @if tone == Tone::Error {
                (icons::warning("mt-0.5 size-4 shrink-0"))
            }
            p { (message) }
        }
    }
}

/// A white (dark: slate) card, the frame of every page's main content.
pub fn card(body: Markup) -> Markup {
    html! {
        section class="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900" {
            (body)
        }
    }
}
