//! The device verification journey: code entry, consent, result.

use maud::{Markup, html};

use crate::feedback::card;
use crate::form::{Button, ButtonStyle, Field, csrf_field, field, submit};
use crate::icons;
use crate::layout::heading;

/// The id of the element htmx swaps when the code is submitted.
pub const PANEL_ID: &str = "device-panel";

/// Props of the code entry form.
#[derive(Debug, Clone)]
pub struct CodeEntry<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// What the person typed, or the code from `verification_uri_complete`.
    pub value: &'a str,
    pub error: Option<&'a str>,
    /// True when the code arrived pre-filled: the person only confirms.
    pub prefilled: bool,
}

/// The code entry card, as the inside of the swappable panel.
pub fn code_entry(p: &CodeEntry<'_>) -> Markup {
    let subtitle = if p.prefilled {
        "Check that this code matches the one shown on your device, then continue."
    } else {
        "Enter the code shown on your device."
    };
    card(html! {
        div class="mb-6 flex justify-center" {
            div class="grid size-14 place-items-center rounded-2xl bg-brand-50 text-brand-600 dark:bg-brand-950 dark:text-brand-300" {
                (icons::device("size-7"))
            }
        }
        div class="text-center" { (heading("Connect a device", Some(subtitle))) }
        form method="post" action=(p.action) hx-post=(p.action)
            hx-target={ "#" (PANEL_ID) } hx-swap="innerHTML" class="space-y-5" novalidate {
            (csrf_field(p.csrf))
            (field(&Field {
                id: "user_code",
                name: "user_code",
                label: "Code",
                kind: "text",
                value: p.value,
                autocomplete: "off",
                error: p.error,
                hint: Some("8 letters, for example BCDF-GHJK. Dashes and case don't matter."),
                required: true,
                autofocus: !p.prefilled || p.error.is_some(),
                input_class: "text-center font-mono text-2xl font-semibold uppercase tracking-[0.3em] py-3",
                inputmode: Some("text"),
                literal: true,
                user_code: true,
            }))
            // Pre-filled: the person only confirms, so Enter continues.
            (submit(Button { autofocus: p.prefilled && p.error.is_none(), ..Button::primary("Continue") }))
        }
    })
}

/// Props of the consent view (RFC 8628 §5.4: enough to tell one's own
/// device from a phishing attempt).
#[derive(Debug, Clone)]
pub struct Consent<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    /// Display form, `XXXX-XXXX`.
    pub user_code: &'a str,
    /// The consent ticket the decision form posts back (never the code:
    /// the decision endpoint must not be a way to try codes).
    pub ticket: &'a str,
    /// The requesting browser or tool, from its User-Agent.
    pub device: &'a str,
    pub address: Option<&'a str>,
    /// How long ago the device asked, in seconds.
    pub requested_secs_ago: i64,
    /// Plain-words descriptions of the requested scopes.
    pub scopes: Vec<(&'a str, &'a str)>,
    /// RFC 8707 resources the request names, as (host, full URI); none
    /// shows nothing.
    pub resources: Vec<(String, String)>,
    pub account: &'a str,
    /// How this session signed in, in words ("password and one-time
    /// code"): an approval carries it to the device's tokens.
    pub signed_in_with: &'a str,
}

pub fn consent(p: &Consent<'_>) -> Markup {
    let title = format!("Authorize {}?", p.app_name);
    card(html! {
        // htmx moves focus to the autofocus heading after the swap, so
        // keyboard and screen-reader users land on the question.
        div class="mb-6 space-y-1.5" {
            h1 class="text-2xl font-bold tracking-tight text-slate-900 focus:outline-none dark:text-white" tabindex="-1" autofocus { (title) }
            p class="text-sm text-slate-600 dark:text-slate-300" { "A device is asking to act on your behalf. Only approve if you started this on a device you own." }
        }
        div class="mb-6 rounded-xl border border-slate-200 bg-slate-50 p-4 text-center dark:border-slate-800 dark:bg-slate-950" {
            p class="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400" { "Code on your device" }
            p class="mt-1 font-mono text-3xl font-bold tracking-[0.25em] text-slate-900 dark:text-white" data-testid="consent-code" { (p.user_code) }
            p class="mt-1 text-xs text-slate-500 dark:text-slate-400" { "It must match exactly." }
        }
        dl class="mb-6 divide-y divide-slate-200 text-sm dark:divide-slate-800" {
            (detail("Application", html! { (p.app_name) }))
            (detail("Device", html! { (p.device) }))
            @if let Some(address) = p.address {
                (detail("From address", html! { span class="font-mono" { (address) } }))
            }
            (detail("Requested", html! { (ago(p.requested_secs_ago)) }))
            (detail("Your account", html! { (p.account) }))
            (detail("Signed in with", html! { (p.signed_in_with) }))
        }
        (resources_list(&p.resources))
        (scopes_and_decision(&p.scopes, p.action, p.csrf, p.ticket))
    })
}

pub(crate) fn detail(term: &str, value: Markup) -> Markup {
    html! {
        div class="flex items-baseline justify-between gap-4 py-2.5" {
            dt class="text-slate-500 dark:text-slate-400" { (term) }
            dd class="text-right font-medium text-slate-900 break-all dark:text-white" { (value) }
        }
    }
}

/// The APIs (RFC 8707 resources) a consent's tokens will be for, as
/// (host, full URI): the host large enough to recognise, the whole URI
/// below it so nothing is hidden. Nothing when the request names none.
pub(crate) fn resources_list(resources: &[(String, String)]) -> Markup {
    html! {
        @if !resources.is_empty() {
            div class="mb-6" data-testid="resources" {
                h2 class="mb-2 text-sm font-semibold text-slate-900 dark:text-white" { "Access to:" }
                ul class="space-y-2" {
                    @for (host, uri) in resources {
                        li class="rounded-lg border border-slate-200 bg-slate-50 px-3 py-2 dark:border-slate-800 dark:bg-slate-950" {
                            p class="text-sm font-semibold text-slate-900 break-all dark:text-white" { (host) }
                            p class="font-mono text-xs text-slate-500 break-all dark:text-slate-400" { (uri) }
                        }
                    }
                }
            }
        }
    }
}

/// What a consent grants, in plain words with the scope beside each, and
/// the Deny/Approve form carrying the consent ticket: the same on the
/// device and the app consent pages.
pub(crate) fn scopes_and_decision(
    scopes: &[(&str, &str)],
    action: &str,
    csrf: &str,
    ticket: &str,
) -> Markup {
    html! {
        div class="mb-6" {
            h2 class="mb-2 text-sm font-semibold text-slate-900 dark:text-white" { "It will be able to:" }
            ul class="space-y-2" {
                @for (scope, words) in scopes {
                    li class="flex items-start gap-2 text-sm" {
                        (icons::check_circle("mt-0.5 size-4 shrink-0 text-emerald-600 dark:text-emerald-400"))
                        span { (words) " " span class="font-mono text-xs text-slate-500 dark:text-slate-400" { "(" (scope) ")" } }
                    }
                }
            }
        }
        form method="post" action=(action) class="grid grid-cols-2 gap-3" {
            (csrf_field(csrf))
            input type="hidden" name="consent" value=(ticket);
            (submit(Button::styled("Deny", ButtonStyle::Neutral).with_value("decision", "deny")))
            (submit(Button::primary("Approve").with_value("decision", "approve")))
        }
    }
}

pub fn ago(secs: i64) -> String {
    match secs {
        s if s < 45 => "just now".to_owned(),
        s if s < 90 => "a minute ago".to_owned(),
        s if s < 3600 => format!("{} minutes ago", (s + 30) / 60),
        s if s < 5400 => "an hour ago".to_owned(),
        s => format!("{} hours ago", (s + 1800) / 3600),
    }
}

/// Which ending the journey reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Denied,
    Expired,
}

/// Props of a result card.
#[derive(Debug, Clone)]
pub struct ResultCard<'a> {
    pub outcome: Outcome,
    pub app_name: Option<&'a str>,
    pub another_device: &'a str,
    pub logout: &'a str,
    pub csrf: &'a str,
}

pub fn result(p: &ResultCard<'_>) -> Markup {
    let app = p.app_name.unwrap_or("the application");
    let (icon, tint, title, message) = match p.outcome {
        Outcome::Approved => (
            icons::check_circle("size-8"),
            "bg-emerald-50 text-emerald-600 dark:bg-emerald-950 dark:text-emerald-300",
            "Device connected",
            format!(
                "You approved {app}. You can return to your device; it will continue on its own."
            ),
        ),
        Outcome::Denied => (
            icons::x_circle("size-8"),
            "bg-red-50 text-red-600 dark:bg-red-950 dark:text-red-300",
            "Request denied",
            format!("You denied {app}. The device has been told and will not get access."),
        ),
        Outcome::Expired => (
            icons::clock("size-8"),
            "bg-amber-50 text-amber-600 dark:bg-amber-950 dark:text-amber-300",
            "Code expired",
            "This code is no longer valid. Start again on your device to get a new code."
                .to_owned(),
        ),
    };
    card(html! {
        div class="space-y-4 text-center" {
            div class={ "mx-auto grid size-16 place-items-center rounded-full " (tint) } { (icon) }
            h1 class="text-2xl font-bold tracking-tight" { (title) }
            p class="text-slate-600 dark:text-slate-300" role="status" { (message) }
        }
        div class="mt-8 grid gap-3" {
            a href=(p.another_device) class="inline-flex min-h-11 items-center justify-center rounded-lg bg-brand-600 px-4 py-2.5 font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 dark:bg-brand-500" {
                "Authorize another device"
            }
            form method="post" action=(p.logout) {
                (csrf_field(p.csrf))
                (submit(Button::styled("Sign out", ButtonStyle::Quiet)))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_reads_naturally() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(70), "a minute ago");
        assert_eq!(ago(300), "5 minutes ago");
        assert_eq!(ago(4000), "an hour ago");
        assert_eq!(ago(7200), "2 hours ago");
    }

    #[test]
    fn consent_escapes_request_data() {
        let html = consent(&Consent {
            action: "/device/decision",
            csrf: "t",
            app_name: "<script>alert(1)</script>",
            user_code: "BCDF-GHJK",
            ticket: "sealed.ticket",
            device: "\"><img src=x onerror=alert(1)>",
            address: Some("127.0.0.1"),
            requested_secs_ago: 10,
            scopes: vec![("read", "Read your data")],
            resources: vec![("api.example".into(), "https://api.example/<b>v1</b>".into())],
            account: "alice",
            signed_in_with: "password",
        })
        .into_string();
        assert!(html.contains("Access to:"));
        assert!(html.contains(">api.example<"));
        assert!(html.contains("https://api.example/&lt;b&gt;v1&lt;/b&gt;"));
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(r#"name="decision" value="approve""#));
        assert!(html.contains(r#"name="decision" value="deny""#));
        assert!(html.contains(r#"name="consent" value="sealed.ticket""#));
        assert!(
            !html.contains(r#"name="user_code""#),
            "the decision form carries no code"
        );
    }

    #[test]
    fn no_resources_means_no_access_line() {
        assert_eq!(resources_list(&[]).into_string(), "");
    }

    #[test]
    fn code_field_is_labelled_and_phone_friendly() {
        let html = code_entry(&CodeEntry {
            action: "/device",
            csrf: "t",
            value: "BCDF-GHJK",
            error: Some("That code is not valid"),
            prefilled: true,
        })
        .into_string();
        assert!(html.contains(r#"<label for="user_code""#));
        assert!(html.contains(">Code</label>"));
        assert!(html.contains(r#"autocapitalize="characters""#));
        assert!(html.contains(r#"autocorrect="off""#));
        assert!(html.contains(r#"spellcheck="false""#));
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(r#"aria-describedby="user_code-hint user_code-error""#));
        assert!(html.contains(r#"role="alert""#));
        assert!(html.contains(r#"name="csrf_token" value="t""#));
    }
}
