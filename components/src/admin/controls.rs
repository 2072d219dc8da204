//! Form controls of the admin pages: filter inputs, selects, checkboxes,
//! and definition lists.

use maud::{Markup, html};

/// A labelled `<select>`; `options` are (value, label).
pub fn select(
    id: &str,
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    selected: &str,
) -> Markup {
    html! {
        div class="min-w-40 flex-1 space-y-1 sm:flex-none" {
            label for=(id) class="block text-xs font-semibold text-slate-600 dark:text-slate-300" { (label) }
            select id=(id) name=(name) class="block min-h-10 w-full rounded-lg border border-slate-300 bg-white px-2.5 py-2 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-4 focus:ring-brand-500/20 dark:border-slate-700 dark:bg-slate-950" {
                @for (value, text) in options {
                    option value=(value) selected[*value == selected] { (text) }
                }
            }
        }
    }
}

/// A labelled text input for filters.
pub fn filter_input(id: &str, name: &str, label: &str, value: &str, placeholder: &str) -> Markup {
    html! {
        div class="min-w-48 flex-1 space-y-1" {
            label for=(id) class="block text-xs font-semibold text-slate-600 dark:text-slate-300" { (label) }
            input id=(id) name=(name) type="search" value=(value) placeholder=(placeholder)
                autocomplete="off" spellcheck="false"
                class="block min-h-10 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-brand-500 focus:outline-none focus:ring-4 focus:ring-brand-500/20 dark:border-slate-700 dark:bg-slate-950";
        }
    }
}

/// A labelled checkbox with an optional hint.
pub fn checkbox(id: &str, name: &str, label: &str, checked: bool, hint: Option<&str>) -> Markup {
    let hint_id = format!("{id}-hint");
    html! {
        div class="flex items-start gap-3" {
            input id=(id) name=(name) type="checkbox" value="on" checked[checked]
                aria-describedby=[hint.map(|_| hint_id.as_str())]
                class="mt-0.5 size-5 shrink-0 accent-brand-600 dark:accent-brand-400";
            div {
                label for=(id) class="text-sm font-medium text-slate-800 dark:text-slate-100" { (label) }
                @if let Some(hint) = hint {
                    p id=(hint_id) class="text-sm text-slate-500 dark:text-slate-400" { (hint) }
                }
            }
        }
    }
}

/// Rows of "term: value" in a definition list.
pub fn details(rows: &[(&str, Markup)]) -> Markup {
    html! {
        dl class="divide-y divide-slate-200 text-sm dark:divide-slate-800" {
            @for (term, value) in rows {
                div class="grid gap-1 py-2.5 sm:grid-cols-3 sm:gap-4" {
                    dt class="text-slate-500 dark:text-slate-400" { (term) }
                    dd class="min-w-0 break-words font-medium text-slate-900 sm:col-span-2 dark:text-white" { (value) }
                }
            }
        }
    }
}
