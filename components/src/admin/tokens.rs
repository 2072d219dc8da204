//! `/admin/tokens`: access tokens, searchable, with revocation.

use maud::{Markup, html};

use super::{
    BTN_QUIET, BTN_ROW_DANGER, Filters, Hue, ListView, Pager, TR, Table, When, badge, cell,
    data_table, filter_input, link, list_view, select, short_id, when,
};

#[derive(Debug, Clone)]
pub struct TokenRow<'a> {
    pub jti: &'a str,
    /// The person and the token list filtered to them; `None` for a
    /// client's own token (a machine's).
    pub user: Option<(&'a str, String)>,
    pub client_name: &'a str,
    pub client_href: String,
    pub scope: &'a str,
    /// The APIs (RFC 8707 resources) it is for; empty when it is for
    /// this server.
    pub apis: Vec<String>,
    pub status: &'a str,
    pub hue: Hue,
    pub issued: When,
    pub expires: When,
    /// The confirmation page of revoking it; set for active tokens.
    pub revoke_href: Option<String>,
}

/// A bulk revocation offered when the list is narrowed to one user or client.
#[derive(Debug, Clone)]
pub struct BulkRevoke {
    /// "Revoke all tokens of alice…".
    pub label: String,
    pub href: String,
}

#[derive(Debug, Clone)]
pub struct TokensPage<'a> {
    pub form_action: &'a str,
    pub search: &'a str,
    pub status: &'a str,
    pub status_options: Vec<(&'a str, &'a str)>,
    /// People's tokens, machines' (clients' own), or all.
    pub kind: &'a str,
    pub kind_options: Vec<(&'a str, &'a str)>,
    pub client: &'a str,
    pub client_options: Vec<(&'a str, &'a str)>,
    /// The user the list is narrowed to (by a link), kept by the filter form.
    pub user: Option<(&'a str, &'a str)>,
    pub rows: Vec<TokenRow<'a>>,
    pub pager: Pager,
    pub bulk: Vec<BulkRevoke>,
}

const TABLE: Table<'static> = Table {
    label: "Access tokens",
    head: &[
        "Token", "User", "Client", "Scope", "Status", "Issued", "Expires", "Action",
    ],
    empty: "No tokens match.",
};

pub fn tokens_page(p: &TokensPage<'_>) -> Markup {
    let view = ListView {
        filters: Filters {
            label: "Search tokens",
            action: p.form_action,
            fields: html! {
                (filter_input("tokens-q", "q", "Search", p.search, "username, client or token id"))
                (select("tokens-status", "status", "Status", &p.status_options, p.status))
                (select("tokens-kind", "kind", "Whose", &p.kind_options, p.kind))
                (select("tokens-client", "client", "Client", &p.client_options, p.client))
                @if let Some((id, _)) = p.user {
                    input type="hidden" name="user" value=(id);
                }
            },
        },
        create: None,
        toolbar: (p.user.is_some() || !p.bulk.is_empty()).then(|| narrowed(p)),
        pager: p.pager.clone(),
        footnote: None,
    };
    list_view(&view, data_table(&TABLE, &p.rows, token_row))
}

/// Whose tokens these are, and the bulk revocations offered for them.
fn narrowed(p: &TokensPage<'_>) -> Markup {
    html! {
        div class="flex flex-wrap items-center gap-3" {
            @if let Some((_, name)) = p.user {
                p class="text-sm text-slate-700 dark:text-slate-200" { "Tokens of " strong { (name) } "." }
            }
            @for b in &p.bulk {
                a href=(b.href) class=(BTN_QUIET) { (b.label) }
            }
        }
    }
}

fn token_row(t: &TokenRow<'_>) -> Markup {
    html! {
        tr class=(TR) {
            (cell("Token", "", short_id(t.jti)))
            (cell("User", "", html! {
                @match &t.user {
                    Some((name, href)) => (link(href, name)),
                    None => span class="text-slate-500 italic dark:text-slate-400" { "Machine (client's own)" },
                }
            }))
            (cell("Client", "", link(&t.client_href, t.client_name)))
            (cell("Scope", "", html! {
                span class="font-mono text-xs" { (t.scope) }
                @for api in &t.apis {
                    span class="block text-xs text-slate-500 break-all dark:text-slate-400" { "for " (api) }
                }
            }))
            (cell("Status", "", badge(t.hue, t.status)))
            (cell("Issued", "", when(&t.issued)))
            (cell("Expires", "", when(&t.expires)))
            // A card without an action has no Action line.
            (cell("Action", if t.revoke_href.is_none() { "max-md:hidden" } else { "" }, html! {
                @if let Some(href) = &t.revoke_href {
                    a href=(href) class=(BTN_ROW_DANGER) aria-label={ "Revoke token " (t.jti) } { "Revoke…" }
                }
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_phones_each_token_is_a_card_with_its_revoke_link() {
        let html = token_row(&TokenRow {
            jti: "0d6c2b8e-2f0b-4bfa-9d3c-5a4f8a7c1e22",
            user: Some(("alice", "/admin/tokens?user=u".into())),
            client_name: "CLI",
            client_href: "/admin/tokens?client=c".into(),
            scope: "read",
            apis: vec!["https://api.example/<v1>".into()],
            status: "Active",
            hue: Hue::Good,
            issued: When::default(),
            expires: When::default(),
            revoke_href: Some("/admin/tokens/revoke?jti=x".into()),
        })
        .into_string();
        crate::admin::list::assert_card_labels(&html, TABLE.head);
        let action = html.find(">Action</span>").expect("action label");
        assert!(html[action..].contains(">Revoke…</a>"));
        assert!(
            html.contains("for https://api.example/&lt;v1&gt;"),
            "the API, escaped"
        );
    }
}
