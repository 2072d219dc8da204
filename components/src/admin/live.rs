//! Live parts: polled by htmx every 5 s, announced through a persistent
//! `aria-live` region.

use maud::{Markup, html};

/// The element htmx polls: it carries its own URL (with the version of
/// what it shows), and is replaced whole when the server has news.
pub fn live(id: &str, url: &str, inner: Markup) -> Markup {
    html! {
        div id=(id) hx-get=(url) hx-trigger="every 5s" hx-swap="outerHTML" data-pause-on-focus {
            (inner)
        }
    }
}

/// The persistent, visually hidden announcer of a live part.
pub fn live_status(id: &str, text: &str) -> Markup {
    html! {
        p id=(id) class="sr-only" role="status" aria-live="polite" aria-atomic="true" { (text) }
    }
}

/// New text for [`live_status`], swapped in out of band by htmx.
pub fn live_status_update(id: &str, text: &str) -> Markup {
    html! { p id=(id) hx-swap-oob="innerHTML" { (text) } }
}

/// The "updates every 5 s" marker next to a live part's heading.
pub fn live_marker() -> Markup {
    html! {
        span class="inline-flex items-center gap-1.5 text-xs font-medium text-slate-500 dark:text-slate-400" {
            span class="size-2 rounded-full bg-emerald-500 motion-safe:animate-pulse" aria-hidden="true" {}
            "Live · updates every 5 seconds"
        }
    }
}
