//! The signed-in person's own authorisations (`/account`).

use maud::{Markup, html};

use crate::device::ago;
use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, csrf_field, submit};
use crate::icons;
use crate::layout::heading;

/// One application or device the person approved.
#[derive(Debug, Clone)]
pub struct GrantRow<'a> {
    pub app_name: &'a str,
    pub device: Option<&'a str>,
    pub address: Option<&'a str>,
    /// Plain-words scope descriptions.
    pub scopes: Vec<String>,
    /// The APIs (RFC 8707 resources) its tokens may be for, as (host, URI).
    pub resources: Vec<(String, String)>,
    pub approved_secs_ago: i64,
    pub used_secs_ago: i64,
    /// Where the Revoke form posts.
    pub revoke_action: String,
}

#[derive(Debug, Clone)]
pub struct AccountPage<'a> {
    pub username: &'a str,
    pub csrf: &'a str,
    pub grants: Vec<GrantRow<'a>>,
    pub notice: Option<&'a str>,
    pub device_link: &'a str,
}

/// The APIs a grant or a remembered consent covers, in a list item: each
/// host, and its whole URI below it so nothing is hidden. Nothing when it
/// names none (its tokens are then for this server's own endpoints).
pub(crate) fn access_to(resources: &[(String, String)]) -> Markup {
    html! {
        @if !resources.is_empty() {
            div class="mt-2" data-testid="resources" {
                p class="text-xs font-semibold text-slate-600 dark:text-slate-300" { "Access to:" }
                ul class="mt-1 space-y-1" {
                    @for (host, uri) in resources {
                        li class="text-xs" {
                            span class="block font-semibold text-slate-900 dark:text-white" { (host) }
                            span class="block font-mono text-slate-500 break-all dark:text-slate-400" { (uri) }
                        }
                    }
                }
            }
        }
    }
}

pub fn account(p: &AccountPage<'_>) -> Markup {
    card(html! {
        (heading("Connected devices", Some("Applications and devices you have approved. Revoking one signs it out at once.")))
        @if let Some(notice) = p.notice {
            div class="mb-5" { (alert(Tone::Success, notice)) }
        }
        @if p.grants.is_empty() {
            div class="rounded-xl border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600 dark:border-slate-700 dark:text-slate-300" {
                p { "No device has access to your account." }
                a href=(p.device_link) class="mt-3 inline-block font-semibold text-brand-600 hover:underline dark:text-brand-400" { "Connect a device" }
            }
        } @else {
            ul class="space-y-4" aria-label="Approved applications" {
                @for g in &p.grants {
                    li class="rounded-xl border border-slate-200 p-4 dark:border-slate-800" {
                        div class="flex items-start gap-3" {
                            div class="grid size-10 shrink-0 place-items-center rounded-lg bg-brand-50 text-brand-600 dark:bg-brand-950 dark:text-brand-300" {
                                (icons::device("size-5"))
                            }
                            div class="min-w-0 flex-1" {
                                h2 class="font-semibold text-slate-900 dark:text-white" { (g.app_name) }
                                p class="text-sm text-slate-600 dark:text-slate-300" {
                                    @if let Some(device) = g.device { (device) }
                                    @if let Some(address) = g.address { " · " span class="font-mono" { (address) } }
                                }
                                p class="mt-1 text-xs text-slate-500 dark:text-slate-400" {
                                    "Approved " (ago(g.approved_secs_ago)) " · last used " (ago(g.used_secs_ago))
                                }
                                ul class="mt-2 flex flex-wrap gap-1.5" {
                                    @for s in &g.scopes {
                                        li class="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-200" { (s) }
                                    }
                                }
                                (access_to(&g.resources))
                            }
                        }
                        form method="post" action=(g.revoke_action) class="mt-3" {
                            (csrf_field(p.csrf))
                            (submit(Button::styled("Revoke access", ButtonStyle::Quiet)))
                        }
                    }
                }
            }
        }
        p class="mt-6 text-xs text-slate-500 dark:text-slate-400" { "Signed in as " (p.username) "." }
    })
}
