//! The admin dashboard: the frame of its pages and the parts they share
//! (badges, the list view with its table, filters and pages, confirmations,
//! live regions).
//!
//! Tables scroll sideways inside their own frame on narrow screens, so the
//! page itself never does. Live parts are polled by htmx (`hx-trigger=
//! "every 5s"`); the server answers 204 when nothing changed, and a short
//! summary in a persistent `aria-live` region says what did, so screen
//! readers hear changes without the whole table being read out again.

pub mod audit;
pub mod clients;
mod controls;
pub mod device_codes;
pub mod factors;
pub mod identities;
mod list;
mod live;
pub mod overview;
pub mod profile;
pub mod provider;
pub mod providers;
pub mod registration;
mod steps;
pub mod tokens;
pub mod users;

pub use controls::{checkbox, details, filter_input, select};
pub use list::{Filters, ListView, Pager, TD, TR, Table, cell, data_table, list_view, pager};
pub use live::{live, live_marker, live_status, live_status_update};
pub use steps::{
    Confirm, ConfirmPage, InRow, PostForm, SecretOnce, confirm_in_row, confirm_page, post_button,
    secret_once,
};

use maud::{Markup, html};

use crate::feedback::{Tone, alert};

/// The admin pages, as the server's routes name them.
#[derive(Debug, Clone)]
pub struct AdminLinks {
    pub overview: &'static str,
    pub device_codes: &'static str,
    pub tokens: &'static str,
    pub clients: &'static str,
    pub users: &'static str,
    /// Upstream OpenID providers people may sign in through.
    pub providers: &'static str,
    pub audit: &'static str,
}

/// Which admin page is shown (the navigation marks it current).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    DeviceCodes,
    Tokens,
    Clients,
    Users,
    Providers,
    Audit,
}

/// The frame of an admin page.
#[derive(Debug, Clone)]
pub struct Shell<'a> {
    pub links: &'a AdminLinks,
    pub section: Section,
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    /// A message about the last action (success or refusal).
    pub notice: Option<(Tone, &'a str)>,
}

pub const BTN_PRIMARY: &str = "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg bg-brand-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 dark:bg-brand-500 dark:hover:bg-brand-400";
pub const BTN_QUIET: &str = "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-3.5 py-2 text-sm font-semibold text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-500 disabled:cursor-not-allowed disabled:opacity-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
/// [`BTN_QUIET`] for a step towards something destructive (it leads to a
/// confirmation).
pub const BTN_QUIET_DANGER: &str = "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg border border-red-300 bg-white px-3.5 py-2 text-sm font-semibold text-red-700 shadow-sm hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:cursor-not-allowed disabled:opacity-50 dark:border-red-800 dark:bg-slate-900 dark:text-red-300 dark:hover:bg-red-950";
pub const BTN_DANGER: &str = "inline-flex min-h-10 items-center justify-center gap-2 rounded-lg bg-red-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 dark:bg-red-500 dark:hover:bg-red-400";
/// A compact action inside a table row.
pub const BTN_ROW: &str = "inline-flex min-h-8 items-center whitespace-nowrap rounded-md border border-slate-300 bg-white px-2.5 py-1 text-xs font-semibold text-slate-700 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";
pub const BTN_ROW_DANGER: &str = "inline-flex min-h-8 items-center whitespace-nowrap rounded-md border border-red-300 bg-white px-2.5 py-1 text-xs font-semibold text-red-700 hover:bg-red-50 dark:border-red-800 dark:bg-slate-900 dark:text-red-300 dark:hover:bg-red-950";
const LINK: &str =
    "font-medium text-brand-700 underline-offset-2 hover:underline dark:text-brand-300";

pub fn shell(p: &Shell<'_>, body: Markup) -> Markup {
    let items = [
        (Section::Overview, "Overview", p.links.overview),
        (Section::DeviceCodes, "Device codes", p.links.device_codes),
        (Section::Tokens, "Tokens", p.links.tokens),
        (Section::Clients, "Clients", p.links.clients),
        (Section::Users, "Users", p.links.users),
        (Section::Providers, "Providers", p.links.providers),
        (Section::Audit, "Audit log", p.links.audit),
    ];
    html! {
        div class="space-y-6" {
            // Tabs on wider screens; on phones they wrap into a block of
            // pills, so every section (and the current one) stays in view.
            nav aria-label="Administration" {
                ul class="flex flex-wrap gap-1 sm:flex-nowrap sm:border-b sm:border-slate-200 sm:dark:border-slate-800" {
                    @for (section, label, href) in items {
                        @let current = section == p.section;
                        li {
                            a href=(href) aria-current=[current.then_some("page")]
                                class={ "inline-flex min-h-11 items-center rounded-md px-3 text-sm font-semibold sm:-mb-px sm:rounded-none sm:border-b-2 "
                                    @if current { "bg-brand-50 text-brand-700 sm:border-brand-600 sm:bg-transparent dark:bg-brand-950 dark:text-brand-300 sm:dark:border-brand-400 sm:dark:bg-transparent" }
                                    @else { "text-slate-600 hover:bg-slate-100 hover:text-slate-900 sm:border-transparent sm:hover:border-slate-300 sm:hover:bg-transparent dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white sm:dark:hover:bg-transparent" } } {
                                (label)
                            }
                        }
                    }
                }
            }
            div class="space-y-1.5" {
                h1 class="text-2xl font-bold tracking-tight text-slate-900 dark:text-white" { (p.title) }
                @if let Some(subtitle) = p.subtitle {
                    p class="text-sm text-slate-600 dark:text-slate-300" { (subtitle) }
                }
            }
            @if let Some((tone, notice)) = p.notice {
                (alert(tone, notice))
            }
            (body)
        }
    }
}

/// A panel: the admin pages' equivalent of the user pages' card.
pub fn panel(title: Option<&str>, body: Markup) -> Markup {
    html! {
        section class="rounded-2xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6 dark:border-slate-800 dark:bg-slate-900" {
            @if let Some(title) = title {
                h2 class="mb-4 text-base font-semibold text-slate-900 dark:text-white" { (title) }
            }
            (body)
        }
    }
}

/// A moment, shown relative to now, with the absolute time on hover and
/// in `datetime` for machines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct When {
    /// "3 minutes ago", "in 25 minutes".
    pub relative: String,
    /// "2026-01-02 15:04:05 UTC".
    pub absolute: String,
    /// RFC 3339.
    pub iso: String,
}

pub fn when(w: &When) -> Markup {
    html! { time datetime=(w.iso) title=(w.absolute) class="whitespace-nowrap" { (w.relative) } }
}

/// `delta` seconds from now in words: "just now", "in 5 minutes",
/// "3 hours ago", "2 days ago".
pub fn relative(delta: i64) -> String {
    let past = delta < 0;
    let s = delta.unsigned_abs();
    let words = match s {
        0..45 => return "just now".to_owned(),
        45..90 => "a minute".to_owned(),
        90..3_600 => format!("{} minutes", (s + 30) / 60),
        3_600..5_400 => "an hour".to_owned(),
        5_400..129_600 => format!("{} hours", (s + 1_800) / 3_600),
        _ => format!("{} days", (s + 43_200) / 86_400),
    };
    if past {
        format!("{words} ago")
    } else {
        format!("in {words}")
    }
}

/// The colour of a badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hue {
    Neutral,
    Good,
    Warn,
    Bad,
    Info,
}

/// A small status label.
pub fn badge(hue: Hue, text: &str) -> Markup {
    let colours = match hue {
        Hue::Neutral => {
            "bg-slate-100 text-slate-700 ring-slate-300 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700"
        }
        Hue::Good => {
            "bg-emerald-50 text-emerald-800 ring-emerald-300 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-800"
        }
        Hue::Warn => {
            "bg-amber-50 text-amber-800 ring-amber-300 dark:bg-amber-950 dark:text-amber-200 dark:ring-amber-800"
        }
        Hue::Bad => {
            "bg-red-50 text-red-800 ring-red-300 dark:bg-red-950 dark:text-red-200 dark:ring-red-800"
        }
        Hue::Info => {
            "bg-brand-50 text-brand-800 ring-brand-200 dark:bg-brand-950 dark:text-brand-200 dark:ring-brand-800"
        }
    };
    html! {
        span class={ "inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset " (colours) } { (text) }
    }
}

/// A link in the admin's style.
pub fn link(href: &str, text: &str) -> Markup {
    html! { a href=(href) class=(LINK) { (text) } }
}

/// A long id in full, wrapping anywhere (in a confirmation's details).
pub fn full_id(id: &str) -> Markup {
    html! { code class="break-all font-mono text-xs" { (id) } }
}

/// A long id shown short, in full on hover and to screen readers.
pub fn short_id(id: &str) -> Markup {
    let short: String = id.chars().take(8).collect();
    html! {
        @if short.len() < id.len() {
            code class="font-mono text-xs" title=(id) { (short) "…" span class="sr-only" { " (" (id) ")" } }
        } @else {
            code class="font-mono text-xs" { (id) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(-5), "just now");
        assert_eq!(relative(-300), "5 minutes ago");
        assert_eq!(relative(1_500), "in 25 minutes");
        assert_eq!(relative(-7_200), "2 hours ago");
        assert_eq!(relative(-3 * 86_400), "3 days ago");
    }

    #[test]
    fn live_parts_poll_every_five_seconds() {
        let html = live("x", "/admin/live?v=1", html! {}).into_string();
        assert!(html.contains(r#"hx-trigger="every 5s""#));
        assert!(html.contains(r#"hx-get="/admin/live?v=1""#));
        let status = live_status("s", "3 pending").into_string();
        assert!(status.contains(r#"aria-live="polite""#));
    }

    #[test]
    fn navigation_marks_the_current_page() {
        let links = AdminLinks {
            overview: "/admin",
            device_codes: "/admin/device-codes",
            tokens: "/admin/tokens",
            clients: "/admin/clients",
            users: "/admin/users",
            providers: "/admin/providers",
            audit: "/admin/audit",
        };
        let html = shell(
            &Shell {
                links: &links,
                section: Section::Tokens,
                title: "Tokens <b>",
                subtitle: None,
                notice: None,
            },
            html! {},
        )
        .into_string();
        assert!(html.contains(r#"<a href="/admin/tokens" aria-current="page""#));
        assert!(html.contains("Tokens &lt;b&gt;"));
    }
}
