//! `/admin/audit`: who did what, when, from where.

use maud::{Markup, html};

use super::{
    Filters, Hue, ListView, Pager, TR, Table, When, badge, cell, data_table, filter_input,
    list_view, select, when,
};

/// One audit event as the tables show it.
#[derive(Debug, Clone)]
pub struct EventRow<'a> {
    pub when: When,
    /// The machine name, e.g. `admin.user.disabled`.
    pub action: &'a str,
    /// In words, e.g. "User disabled".
    pub label: &'a str,
    pub hue: Hue,
    /// The acting user's name, if a user acted.
    pub actor: Option<&'a str>,
    pub target: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

const HEAD: [&str; 6] = ["When", "Event", "Who", "Target", "From", "Details"];

/// A table of events (the audit log, the overview's recent activity),
/// named `label`.
pub fn events_table(rows: &[EventRow<'_>], label: &str) -> Markup {
    let table = Table {
        label,
        head: &HEAD,
        empty: "No events.",
    };
    data_table(&table, rows, event_row)
}

fn event_row(e: &EventRow<'_>) -> Markup {
    html! {
        tr class=(TR) {
            (cell(HEAD[0], "", when(&e.when)))
            (cell(HEAD[1], "", html! {
                (badge(e.hue, e.label))
                div class="mt-1 font-mono text-xs text-slate-500 dark:text-slate-400" { (e.action) }
            }))
            (cell(HEAD[2], "", html! {
                @match e.actor { Some(a) => { (a) }, None => { span class="text-slate-500 dark:text-slate-400" { "—" } } }
            }))
            // The target (an id, a user code, a username) is the column most
            // likely to be long: it wraps anywhere rather than squeeze.
            (cell(HEAD[3], "md:min-w-40 md:max-w-64", html! {
                @if let Some(t) = e.target { span class="font-mono text-xs break-all" { (t) } }
                @if let Some(c) = e.client_id {
                    div class="text-xs break-all text-slate-500 dark:text-slate-400" { "client " span class="font-mono" { (c) } }
                }
            }))
            (cell(HEAD[4], "whitespace-nowrap", html! { span class="font-mono text-xs" { (e.ip.unwrap_or("—")) } }))
            (cell(HEAD[5], "md:min-w-56 text-slate-700 dark:text-slate-300", html! { (e.detail.unwrap_or("")) }))
        }
    }
}

/// The audit log page.
#[derive(Debug, Clone)]
pub struct AuditPage<'a> {
    pub action: &'a str,
    /// (value, label) of the action filter, "" first for all.
    pub action_options: Vec<(&'a str, &'a str)>,
    pub actor: &'a str,
    pub client: &'a str,
    pub rows: Vec<EventRow<'a>>,
    pub pager: Pager,
    pub form_action: &'a str,
    /// "Events are kept for 90 days."
    pub retention: &'a str,
}

pub fn audit_page(p: &AuditPage<'_>) -> Markup {
    let view = ListView {
        filters: Filters {
            label: "Filter the audit log",
            action: p.form_action,
            fields: html! {
                (select("audit-action", "action", "Event", &p.action_options, p.action))
                (filter_input("audit-actor", "actor", "Who (username)", p.actor, "e.g. alice"))
                (filter_input("audit-client", "client", "Client ID", p.client, ""))
            },
        },
        create: None,
        toolbar: None,
        pager: p.pager.clone(),
        footnote: Some(p.retention),
    };
    list_view(&view, events_table(&p.rows, "Audit events"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_escape_what_users_typed() {
        let html = events_table(
            &[EventRow {
                when: When::default(),
                action: "auth.sign_in_failed",
                label: "Sign-in failed",
                hue: Hue::Bad,
                actor: None,
                target: Some("<script>x</script>"),
                client_id: None,
                ip: Some("10.0.0.1"),
                detail: Some("\"><img>"),
            }],
            "Audit events",
        )
        .into_string();
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("<img>"));
        assert!(html.contains("Sign-in failed"));
    }

    #[test]
    fn long_targets_wrap_in_their_card_instead_of_squeezing() {
        let target = "0d6c2b8e-2f0b-4bfa-9d3c-5a4f8a7c1e22-a-very-long-target";
        let html = event_row(&EventRow {
            when: When::default(),
            action: "admin.token.revoked",
            label: "Token revoked",
            hue: Hue::Bad,
            actor: Some("admin"),
            target: Some(target),
            client_id: Some("cli"),
            ip: None,
            detail: None,
        })
        .into_string();
        crate::admin::list::assert_card_labels(&html, &HEAD);
        assert!(html.contains(&format!(
            r#"<span class="font-mono text-xs break-all">{target}</span>"#
        )));
        // Only from md up is the column held to a width.
        assert!(html.contains("md:max-w-64") && !html.contains(" max-w-56"));
        assert!(!html.contains(" min-w-56"));
    }
}
