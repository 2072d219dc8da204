//! The body of error pages (404, 403, 500...).

use maud::{Markup, html};

use crate::feedback::card;
use crate::icons;

#[derive(Debug, Clone)]
pub struct ErrorPage<'a> {
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    /// Shown for server errors so support can find the log line.
    pub request_id: Option<&'a str>,
    pub home: &'a str,
}

pub fn error_body(p: &ErrorPage<'_>) -> Markup {
    card(html! {
        div class="space-y-4 text-center" {
            div class="mx-auto grid size-12 place-items-center rounded-full bg-slate-100 text-slate-500 dark:bg-slate-800 dark:text-slate-300" {
                (icons::warning("size-6"))
            }
            p class="text-sm font-semibold uppercase tracking-wide text-brand-600 dark:text-brand-400" { "Error " (p.status) }
            h1 class="text-2xl font-bold tracking-tight" { (p.title) }
            p class="text-slate-600 dark:text-slate-300" { (p.message) }
            @if let Some(id) = p.request_id {
                p class="text-xs text-slate-500 dark:text-slate-400" {
                    "Request ID: " code class="font-mono" { (id) }
                }
            }
            a href=(p.home) class="inline-flex min-h-11 items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 font-semibold text-white hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600" {
                "Go to the start page"
            }
        }
    })
}
