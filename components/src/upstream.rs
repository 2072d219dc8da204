//! Sign-in through upstream providers: the buttons under the sign-in
//! form, the page that asks for a password sign-in before a link, the
//! link's confirmation, and the linked accounts on `/account`.

use maud::{Markup, html};

use crate::device::ago;
use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, csrf_field, submit};
use crate::layout::heading;

/// One provider's button: its label and where it starts (with `next=`).
#[derive(Debug, Clone)]
pub struct ProviderButton<'a> {
    pub label: &'a str,
    pub href: String,
}

/// "Sign in with …" links, or nothing without providers.
pub fn provider_buttons(buttons: &[ProviderButton<'_>]) -> Markup {
    if buttons.is_empty() {
        return html! {};
    }
    html! {
        nav class="mt-6 space-y-3" aria-label="Other ways to sign in" {
            p class="text-center text-sm text-slate-500 dark:text-slate-400" { "Or" }
            @for b in buttons {
                a href=(b.href) class="flex w-full items-center justify-center rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800" {
                    "Sign in with " (b.label)
                }
            }
        }
    }
}

/// Props of the page shown when an account here may be the person's.
#[derive(Debug, Clone)]
pub struct LinkNeeded<'a> {
    pub provider: &'a str,
    pub username: &'a str,
    /// The sign-in form, coming back to the link's confirmation.
    pub sign_in_href: &'a str,
    pub cancel_href: &'a str,
}

pub fn link_needed(p: &LinkNeeded<'_>) -> Markup {
    card(html! {
        (heading("Sign in to link your account", None))
        div class="mb-5" {
            (alert(Tone::Info, &format!(
                "An AuthGate account ({}) matches your {} account. To use {} with it, \
                 first sign in with that account's password; you will then be asked to \
                 confirm the link.",
                p.username, p.provider, p.provider
            )))
        }
        div class="flex flex-wrap gap-3" {
            a href=(p.sign_in_href) class="inline-flex items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600" {
                "Sign in as " (p.username)
            }
            a href=(p.cancel_href) class="inline-flex items-center justify-center rounded-lg px-4 py-2.5 text-sm font-semibold text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800" {
                "Cancel"
            }
        }
    })
}

/// Props of the link's confirmation, after the password sign-in.
#[derive(Debug, Clone)]
pub struct LinkConfirm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub provider: &'a str,
    pub username: &'a str,
    pub cancel_href: &'a str,
}

pub fn link_confirm(p: &LinkConfirm<'_>) -> Markup {
    card(html! {
        (heading(&format!("Link your {} account?", p.provider), None))
        p class="mb-6 text-sm text-slate-600 dark:text-slate-300" {
            "After this you can sign in to " strong { (p.username) } " with " (p.provider)
            ". You can unlink it on your account page."
        }
        form method="post" action=(p.action) class="flex flex-wrap gap-3" {
            (csrf_field(p.csrf))
            (submit(Button::primary("Link account")))
            a href=(p.cancel_href) class="inline-flex items-center justify-center rounded-lg px-4 py-2.5 text-sm font-semibold text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800" {
                "Not now"
            }
        }
    })
}

/// Props of the page between Link on `/account` and the provider.
#[derive(Debug, Clone)]
pub struct ContinueTo<'a> {
    pub provider: &'a str,
    /// The provider's authorization URL.
    pub href: &'a str,
}

/// "Continuing to …", with the link the browser follows by itself.
pub fn continue_to(p: &ContinueTo<'_>) -> Markup {
    card(html! {
        (heading(&format!("Continuing to {}", p.provider), None))
        p class="mb-6 text-sm text-slate-600 dark:text-slate-300" {
            "Sign in there to link your " (p.provider) " account to this one."
        }
        a href=(p.href) class="inline-flex items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600" {
            "Continue to " (p.provider)
        }
    })
}

/// One linked upstream account.
#[derive(Debug, Clone)]
pub struct LinkedRow<'a> {
    pub provider: &'a str,
    pub provider_id: &'a str,
    pub linked_secs_ago: i64,
    pub used_secs_ago: i64,
}

/// An enabled provider the person has no account linked at.
#[derive(Debug, Clone)]
pub struct Linkable<'a> {
    pub label: &'a str,
    /// Its name, posted as `provider`.
    pub name: &'a str,
}

#[derive(Debug, Clone)]
pub struct LinkedSection<'a> {
    pub csrf: &'a str,
    /// Where an Unlink form posts (with `provider_id`).
    pub unlink_action: &'a str,
    /// Where a Link form posts (with `provider`).
    pub link_action: &'a str,
    pub rows: Vec<LinkedRow<'a>>,
    pub linkable: Vec<Linkable<'a>>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The section, or nothing without links, providers to link, notice or error.
pub fn linked_section(p: &LinkedSection<'_>) -> Markup {
    if p.rows.is_empty() && p.linkable.is_empty() && p.notice.is_none() && p.error.is_none() {
        return html! {};
    }
    card(html! {
        h2 class="mb-1.5 text-xl font-bold tracking-tight text-slate-900 dark:text-white" { "Linked sign-in accounts" }
        p class="mb-6 text-sm text-slate-600 dark:text-slate-300" {
            @if p.rows.is_empty() {
                "Link an account you have elsewhere to sign in to AuthGate with it."
            } @else {
                "You can sign in to AuthGate with these accounts."
            }
        }
        @if let Some(notice) = p.notice {
            div class="mb-5" { (alert(Tone::Success, notice)) }
        }
        @if let Some(error) = p.error {
            div class="mb-5" { (alert(Tone::Error, error)) }
        }
        ul class="space-y-4" aria-label="Linked sign-in accounts" {
            @for r in &p.rows {
                li class="flex flex-wrap items-center justify-between gap-3 rounded-xl border border-slate-200 p-4 dark:border-slate-800" {
                    div class="min-w-0" {
                        h3 class="font-semibold break-words text-slate-900 dark:text-white" { (r.provider) }
                        p class="mt-1 text-xs text-slate-500 dark:text-slate-400" {
                            "Linked " (ago(r.linked_secs_ago)) " · last used " (ago(r.used_secs_ago))
                        }
                    }
                    form method="post" action=(p.unlink_action) {
                        (csrf_field(p.csrf))
                        input type="hidden" name="provider_id" value=(r.provider_id);
                        (submit(Button::styled("Unlink", ButtonStyle::Quiet)))
                    }
                }
            }
        }
        @if !p.linkable.is_empty() {
            div class="mt-4 flex flex-wrap gap-3" {
                @for l in &p.linkable {
                    @let text = format!("Link {}", l.label);
                    form method="post" action=(p.link_action) {
                        (csrf_field(p.csrf))
                        input type="hidden" name="provider" value=(l.name);
                        (submit(Button::styled(&text, ButtonStyle::Quiet)))
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_nothing_renders_without_providers() {
        assert!(provider_buttons(&[]).into_string().is_empty());
        let html = provider_buttons(&[ProviderButton {
            label: "<Corp>",
            href: "/login/upstream/corp?next=%2Fdevice".into(),
        }])
        .into_string();
        assert!(html.contains("Sign in with &lt;Corp&gt;"));
        assert!(html.contains("href=\"/login/upstream/corp?next=%2Fdevice\""));
    }

    #[test]
    fn linked_rows_post_their_provider_with_the_csrf_token() {
        let html = linked_section(&LinkedSection {
            csrf: "t",
            unlink_action: "/account/upstream/unlink",
            link_action: "/account/upstream/link",
            linkable: vec![Linkable {
                label: "<Git>",
                name: "git",
            }],
            rows: vec![LinkedRow {
                provider: "Corp",
                provider_id: "p\"1",
                linked_secs_ago: 7200,
                used_secs_ago: 5,
            }],
            notice: None,
            error: None,
        })
        .into_string();
        assert!(html.contains("value=\"p&quot;1\""));
        assert!(html.contains("name=\"csrf_token\""));
        assert!(html.contains("Unlink"));
        assert!(html.contains("Link &lt;Git&gt;"));
        assert!(html.contains("action=\"/account/upstream/link\""));
        assert!(html.contains("name=\"provider\" value=\"git\""));
    }
}
