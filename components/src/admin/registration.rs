//! A client that registered itself (RFC 7591): what it said about itself,
//! where it came from, and the administrator's Approve / Reject.

use maud::{Markup, html};

use super::{BTN_PRIMARY, BTN_QUIET_DANGER, Hue, When, badge, details, when};
use crate::form::{Field, csrf_field, field};

/// The registration as the client page shows it.
#[derive(Debug, Clone)]
pub struct RegistrationView<'a> {
    /// `pending`, `approved` or `rejected`.
    pub status: &'a str,
    pub registered: When,
    pub from_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub software_id: Option<&'a str>,
    pub software_version: Option<&'a str>,
    pub contacts: &'a [String],
    pub client_uri: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub grant_types: &'a [String],
    pub auth_method: &'a str,
    pub scope: &'a str,
    /// Where Approve posts (shown while pending).
    pub approve_action: &'a str,
    /// The confirmation page of Reject (shown while pending).
    pub reject_href: &'a str,
    pub csrf: &'a str,
    /// The resources field's value and problem, after a refused approval.
    pub resources: &'a str,
    pub resources_error: Option<&'a str>,
}

/// The badge of a client's status.
pub fn status_badge(status: &str) -> Markup {
    match status {
        "pending" => badge(Hue::Warn, "Pending approval"),
        "rejected" => badge(Hue::Bad, "Rejected"),
        _ => badge(Hue::Good, "Approved"),
    }
}

fn text_or_none(value: Option<&str>) -> Markup {
    html! {
        @match value {
            Some(v) => span class="break-words" { (v) },
            None => span class="text-slate-500 dark:text-slate-400" { "Not given" },
        }
    }
}

fn code_list(items: &[String]) -> Markup {
    html! {
        @if items.is_empty() {
            span class="text-slate-500 dark:text-slate-400" { "None" }
        } @else {
            ul class="space-y-1" {
                @for item in items { li { code class="break-all font-mono text-xs" { (item) } } }
            }
        }
    }
}

pub fn registration_panel(p: &RegistrationView<'_>) -> Markup {
    let software = match (p.software_id, p.software_version) {
        (Some(id), Some(version)) => Some(format!("{id} {version}")),
        (Some(id), None) => Some(id.to_owned()),
        (None, Some(version)) => Some(format!("version {version}")),
        (None, None) => None,
    };
    html! {
        section aria-labelledby="registration-title" data-testid="registration"
            class="mb-6 rounded-xl border border-amber-300 bg-amber-50 p-4 shadow-sm sm:p-5 dark:border-amber-700 dark:bg-amber-950/40" {
            div class="mb-3 flex flex-wrap items-center gap-2" {
                h2 id="registration-title" class="text-base font-semibold text-slate-900 dark:text-slate-100" { "Registered itself" }
                (status_badge(p.status))
            }
            @if p.status == "pending" {
                p class="mb-4 text-sm text-slate-700 dark:text-slate-300" {
                    "This client registered itself and can do nothing until you approve it. Check that you know who runs it and where it returns people."
                }
            }
            (details(&[
                ("Registered", when(&p.registered)),
                ("From", text_or_none(p.from_ip)),
                ("User agent", text_or_none(p.user_agent)),
                ("Software", text_or_none(software.as_deref())),
                ("Contacts", code_list(p.contacts)),
                ("Client URI", text_or_none(p.client_uri)),
                ("Redirect URIs", code_list(p.redirect_uris)),
                ("Grants", code_list(p.grant_types)),
                ("Authenticates with", html! { code class="font-mono text-xs" { (p.auth_method) } }),
                ("Scope", html! { code class="font-mono text-xs" { (p.scope) } }),
            ]))
            @if p.status == "pending" {
                div class="mt-4 flex flex-col gap-4 border-t border-amber-200 pt-4 sm:flex-row sm:items-end dark:border-amber-800" {
                    form method="post" action=(p.approve_action) class="flex-1 space-y-3" novalidate {
                        (csrf_field(p.csrf))
                        (field(&Field {
                            id: "approve-resources",
                            name: "resources",
                            label: "Resources its tokens may be for (optional)",
                            kind: "text",
                            value: p.resources,
                            autocomplete: "off",
                            error: p.resources_error,
                            hint: Some("Absolute URIs separated by spaces, as authgate client add --resource takes them."),
                            literal: true,
                            input_class: "font-mono",
                            ..Field::default()
                        }))
                        button type="submit" class=(BTN_PRIMARY) { "Approve" }
                    }
                    a href=(p.reject_href) class=(BTN_QUIET_DANGER) { "Reject…" }
                }
            }
        }
    }
}

/// The count of clients waiting, above the client list.
pub fn pending_notice(pending: i64) -> Markup {
    html! {
        @if pending > 0 {
            p role="status" data-testid="pending-clients"
                class="flex items-center gap-2 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950/40 dark:text-amber-200" {
                (badge(Hue::Warn, &pending.to_string()))
                @if pending == 1 { "client waits for your approval; it is listed first." }
                @else { "clients wait for your approval; they are listed first." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(status: &'a str, uris: &'a [String]) -> RegistrationView<'a> {
        RegistrationView {
            status,
            registered: When::default(),
            from_ip: Some("203.0.113.9"),
            user_agent: Some("<script>agent</script>"),
            software_id: Some("kit"),
            software_version: None,
            contacts: &[],
            client_uri: None,
            redirect_uris: uris,
            grant_types: &[],
            auth_method: "none",
            scope: "read",
            approve_action: "/admin/clients/x/approve",
            reject_href: "/admin/clients/x/reject",
            csrf: "tok",
            resources: "",
            resources_error: None,
        }
    }

    #[test]
    fn the_decision_shows_only_while_pending_and_text_is_escaped() {
        let uris = vec!["http://127.0.0.1/cb".to_owned()];
        let pending = registration_panel(&view("pending", &uris)).into_string();
        assert!(pending.contains("Approve") && pending.contains("Reject"));
        assert!(pending.contains("name=\"csrf\"") || pending.contains("csrf"));
        assert!(!pending.contains("<script>agent"));
        let approved = registration_panel(&view("approved", &uris)).into_string();
        assert!(!approved.contains("Approve</button>"));
        assert!(pending_notice(0).into_string().is_empty());
        assert!(pending_notice(3).into_string().contains("clients wait"));
    }
}
