//! `/admin`: what the server is doing, refreshing live.

use maud::{Markup, html};

use super::audit::{EventRow, events_table};
use super::{live, live_marker, live_status, panel};

/// One number on the overview, linking to the list behind it.
#[derive(Debug, Clone)]
pub struct Stat<'a> {
    pub label: &'a str,
    pub value: i64,
    pub href: String,
}

/// The live part of the overview.
#[derive(Debug, Clone)]
pub struct OverviewLive<'a> {
    pub device_codes: Vec<Stat<'a>>,
    pub tokens: Vec<Stat<'a>>,
    pub accounts: Vec<Stat<'a>>,
    pub recent: Vec<EventRow<'a>>,
    pub audit_href: &'a str,
}

/// The id of the polled element and of its announcer.
pub const LIVE_ID: &str = "overview-live";
pub const STATUS_ID: &str = "overview-status";

fn stat_group(title: &str, stats: &[Stat<'_>]) -> Markup {
    html! {
        section aria-labelledby={ "stats-" (title.to_lowercase().replace(' ', "-")) } class="space-y-2" {
            h2 id={ "stats-" (title.to_lowercase().replace(' ', "-")) } class="text-sm font-semibold text-slate-700 dark:text-slate-200" { (title) }
            dl class="grid grid-cols-2 gap-3 sm:grid-cols-4" {
                @for s in stats {
                    // The link covers the whole card (a dl holds only dt/dd
                    // or div groups, so the card itself cannot be the link).
                    div class="relative rounded-xl border border-slate-200 bg-white p-4 shadow-sm hover:border-brand-300 hover:shadow dark:border-slate-800 dark:bg-slate-900 dark:hover:border-brand-700" {
                        dt class="text-xs font-medium text-slate-500 dark:text-slate-400" {
                            a href=(s.href) class="rounded after:absolute after:inset-0 after:rounded-xl hover:text-brand-700 dark:hover:text-brand-300" { (s.label) }
                        }
                        dd class="mt-1 text-2xl font-bold tabular-nums text-slate-900 dark:text-white" { (s.value) }
                    }
                }
            }
        }
    }
}

/// The inside of the polled element: counts and recent activity.
pub fn overview_inner(p: &OverviewLive<'_>) -> Markup {
    html! {
        div class="space-y-6" {
            (stat_group("Device codes", &p.device_codes))
            (stat_group("Access tokens", &p.tokens))
            (stat_group("Accounts", &p.accounts))
            (panel(Some("Recent activity"), html! {
                (events_table(&p.recent, "Recent activity"))
                p class="mt-3 text-sm" { a href=(p.audit_href) class="font-semibold text-brand-700 hover:underline dark:text-brand-300" { "Open the audit log →" } }
            }))
        }
    }
}

/// The overview's body: the live part (polled at `url`) and its announcer.
pub fn overview(url: &str, status: &str, inner: Markup) -> Markup {
    html! {
        div class="space-y-4" {
            div class="flex flex-wrap items-center justify-between gap-2" {
                p class="text-sm text-slate-600 dark:text-slate-300" { "Device codes are kept for a day after they expire." }
                (live_marker())
            }
            (live_status(STATUS_ID, status))
            (live(LIVE_ID, url, inner))
        }
    }
}
