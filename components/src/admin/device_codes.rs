//! `/admin/device-codes`: pending and recent device requests, live.

use maud::{Markup, html};

use super::{
    Confirm, Filters, Hue, InRow, ListView, Pager, PostForm, TR, Table, When, badge, cell,
    confirm_in_row, data_table, list_view, live, live_marker, live_status, select, when,
};

/// The id of the polled element and of its announcer.
pub const LIVE_ID: &str = "device-codes-live";
pub const STATUS_ID: &str = "device-codes-status";

/// One device request.
#[derive(Debug, Clone)]
pub struct CodeRow<'a> {
    /// Display form, `XXXX-XXXX`.
    pub user_code: String,
    pub client_name: &'a str,
    pub client_id: &'a str,
    pub status: &'a str,
    pub hue: Hue,
    pub scope: &'a str,
    pub address: Option<&'a str>,
    /// The requesting tool in words, from its User-Agent.
    pub device: String,
    /// The raw User-Agent.
    pub user_agent: Option<&'a str>,
    pub requested: When,
    pub last_poll: Option<When>,
    pub decided_by: Option<&'a str>,
    pub expires: When,
    /// Where the Deny button posts; set for live pending requests.
    pub cancel_action: Option<String>,
}

const TABLE: Table<'static> = Table {
    label: "Device requests",
    head: &[
        "Code",
        "Client",
        "Status",
        "Requested by",
        "Requested",
        "Last poll",
        "Decided by",
        "Expires",
        "Action",
    ],
    empty: "No device requests match.",
};

/// The table inside the polled element.
pub fn codes_table(rows: &[CodeRow<'_>], csrf: &str) -> Markup {
    data_table(&TABLE, rows, |r| code_row(r, csrf))
}

fn code_row(r: &CodeRow<'_>, csrf: &str) -> Markup {
    html! {
        tr class=(TR) data-user-code=(r.user_code) {
            (cell("Code", "", html! { span class="whitespace-nowrap font-mono font-semibold tracking-wider" { (r.user_code) } }))
            (cell("Client", "", html! {
                div class="font-medium" { (r.client_name) }
                div class="text-xs text-slate-500 dark:text-slate-400" { "scope " (r.scope) }
            }))
            (cell("Status", "", badge(r.hue, r.status)))
            (cell("Requested by", "md:max-w-64", html! {
                div { (r.device) }
                div class="font-mono text-xs text-slate-500 dark:text-slate-400" { (r.address.unwrap_or("unknown address")) }
                @if let Some(ua) = r.user_agent {
                    div class="truncate text-xs text-slate-500 dark:text-slate-400" title=(ua) { (ua) }
                }
            }))
            (cell("Requested", "", when(&r.requested)))
            (cell("Last poll", "", html! {
                @match &r.last_poll { Some(w) => { (when(w)) }, None => { span class="text-slate-500 dark:text-slate-400" { "never" } } }
            }))
            (cell("Decided by", "", html! { (r.decided_by.unwrap_or("—")) }))
            (cell("Expires", "", when(&r.expires)))
            // A card without an action has no Action line.
            (cell("Action", if r.cancel_action.is_none() { "max-md:hidden" } else { "" }, html! {
                @if let Some(action) = &r.cancel_action { (deny(&r.user_code, action, csrf)) }
            }))
        }
    }
}

/// Deny, after the browser asks; the answer replaces the live table.
fn deny(user_code: &str, action: &str, csrf: &str) -> Markup {
    let question = format!("Deny request {user_code}?");
    let target = format!("#{LIVE_ID}");
    confirm_in_row(
        &Confirm {
            question: &question,
            consequence: "The device will be refused (access_denied).",
            verb: "Deny",
            post: PostForm::new(action, csrf),
        },
        &InRow {
            id: &format!("cancel-{user_code}"),
            name: &format!("Deny request {user_code}"),
            target: &target,
        },
    )
}

/// The device-codes page.
#[derive(Debug, Clone)]
pub struct CodesPage<'a> {
    pub form_action: &'a str,
    pub status: &'a str,
    pub status_options: Vec<(&'a str, &'a str)>,
    pub client: &'a str,
    pub client_options: Vec<(&'a str, &'a str)>,
    /// The polled URL, with the version of `inner`.
    pub live_url: &'a str,
    pub summary: &'a str,
    /// The first and next pages, keeping the filters.
    pub pager: Pager,
}

pub fn codes_page(p: &CodesPage<'_>, inner: Markup) -> Markup {
    let view = ListView {
        filters: Filters {
            label: "Filter device requests",
            action: p.form_action,
            fields: html! {
                (select("dc-status", "status", "Status", &p.status_options, p.status))
                (select("dc-client", "client", "Client", &p.client_options, p.client))
            },
        },
        create: None,
        toolbar: Some(html! {
            div class="flex flex-wrap items-center justify-between gap-2" {
                p class="text-sm text-slate-600 dark:text-slate-300" {
                    "Pending requests first, then the rest, newest first. Denying one refuses the waiting device at its next poll."
                }
                (live_marker())
            }
            (live_status(STATUS_ID, p.summary))
        }),
        pager: p.pager.clone(),
        footnote: None,
    };
    list_view(&view, live(LIVE_ID, p.live_url, inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CodeRow<'static> {
        CodeRow {
            user_code: "BCDF-GHJK".into(),
            client_name: "<b>CLI</b>",
            client_id: "c",
            status: "Pending",
            hue: Hue::Warn,
            scope: "read",
            address: Some("127.0.0.1"),
            device: "curl 8".into(),
            user_agent: Some("curl/8.0 \"><script>"),
            requested: When::default(),
            last_poll: None,
            decided_by: None,
            expires: When::default(),
            cancel_action: Some("/admin/device-codes/x/cancel".into()),
        }
    }

    #[test]
    fn pending_rows_offer_a_protected_deny() {
        let html = codes_table(&[row()], "tok").into_string();
        assert!(html.contains(r#"name="csrf_token" value="tok""#));
        assert!(html.contains(r#"hx-post="/admin/device-codes/x/cancel""#));
        assert!(html.contains(
            r#"hx-confirm="Deny request BCDF-GHJK? The device will be refused (access_denied).""#
        ));
        assert!(html.contains(r#"aria-label="Deny request BCDF-GHJK">Deny</button>"#));
        assert!(html.contains("&lt;b&gt;CLI"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn on_phones_each_request_is_a_card_with_its_deny_button() {
        let html = code_row(&row(), "tok").into_string();
        crate::admin::list::assert_card_labels(&html, TABLE.head);
        let action = html.find(">Action</span>").expect("action label");
        assert!(
            html[action..].contains(">Deny</button>"),
            "Deny in the card"
        );
        assert!(!html.contains(" max-w-64"), "no cap on a card's width");
        assert!(!html.contains("max-md:hidden"));
        let decided = code_row(
            &CodeRow {
                cancel_action: None,
                ..row()
            },
            "tok",
        )
        .into_string();
        assert!(
            decided.contains(r#"md:align-top max-md:hidden"><span"#),
            "no empty Action line"
        );
    }
}
