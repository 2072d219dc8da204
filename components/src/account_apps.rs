//! The applications a person let sign them in (remembered consent), on
//! `/account`, each with a Revoke form.

use maud::{Markup, html};

use crate::account::access_to;
use crate::device::ago;
use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, csrf_field, submit};
use crate::icons;

/// One application with a remembered consent.
#[derive(Debug, Clone)]
pub struct AppRow<'a> {
    pub app_name: &'a str,
    pub client_id: &'a str,
    /// Plain-words scope descriptions.
    pub scopes: Vec<String>,
    /// The APIs (RFC 8707 resources) allowed with them, as (host, URI).
    pub resources: Vec<(String, String)>,
    pub granted_secs_ago: i64,
    pub used_secs_ago: i64,
}

#[derive(Debug, Clone)]
pub struct AppsSection<'a> {
    pub csrf: &'a str,
    /// Where a Revoke form posts (with `client_id`).
    pub revoke_action: &'a str,
    pub apps: Vec<AppRow<'a>>,
    pub notice: Option<&'a str>,
}

/// The section, or nothing when no application has a consent and there is
/// no notice to show.
pub fn apps_section(p: &AppsSection<'_>) -> Markup {
    if p.apps.is_empty() && p.notice.is_none() {
        return html! {};
    }
    html! {
        div class="mt-6" {
            (card(html! {
                h2 class="mb-1.5 text-xl font-bold tracking-tight text-slate-900 dark:text-white" { "Apps you allowed" }
                p class="mb-6 text-sm text-slate-600 dark:text-slate-300" {
                    "These applications sign you in without asking again. Revoking one signs it out and it will ask next time."
                }
                @if let Some(notice) = p.notice {
                    div class="mb-5" { (alert(Tone::Success, notice)) }
                }
                ul class="space-y-4" aria-label="Apps you allowed" {
                    @for a in &p.apps {
                        li class="rounded-xl border border-slate-200 p-4 dark:border-slate-800" {
                            div class="flex items-start gap-3" {
                                div class="grid size-10 shrink-0 place-items-center rounded-lg bg-brand-50 text-brand-600 dark:bg-brand-950 dark:text-brand-300" {
                                    (icons::device("size-5"))
                                }
                                div class="min-w-0 flex-1" {
                                    h3 class="font-semibold break-words text-slate-900 dark:text-white" { (a.app_name) }
                                    p class="mt-1 text-xs text-slate-500 dark:text-slate-400" {
                                        "Allowed " (ago(a.granted_secs_ago)) " · last used " (ago(a.used_secs_ago))
                                    }
                                    ul class="mt-2 flex flex-wrap gap-1.5" {
                                        @for s in &a.scopes {
                                            li class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-200" { (s) }
                                        }
                                    }
                                    (access_to(&a.resources))
                                }
                            }
                            form method="post" action=(p.revoke_action) class="mt-3" {
                                (csrf_field(p.csrf))
                                input type="hidden" name="client_id" value=(a.client_id);
                                (submit(Button::styled("Revoke", ButtonStyle::Quiet)))
                            }
                        }
                    }
                }
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_escaped_and_empty_renders_nothing() {
        let none = apps_section(&AppsSection {
            csrf: "t",
            revoke_action: "/account/apps/revoke",
            apps: vec![],
            notice: None,
        });
        assert!(none.into_string().is_empty());
        let html = apps_section(&AppsSection {
            csrf: "t",
            revoke_action: "/account/apps/revoke",
            apps: vec![AppRow {
                app_name: "<Evil>",
                client_id: "a\"b",
                scopes: vec!["Read your data".into()],
                resources: vec![("api.example".into(), "https://api.example/<v1>".into())],
                granted_secs_ago: 7200,
                used_secs_ago: 10,
            }],
            notice: None,
        })
        .into_string();
        assert!(html.contains("&lt;Evil&gt;"));
        assert!(html.contains("value=\"a&quot;b\""));
        assert!(html.contains("last used just now"));
        assert!(html.contains("Access to:"));
        assert!(html.contains("https://api.example/&lt;v1&gt;"));
        assert!(html.contains("name=\"csrf_token\""));
    }
}
