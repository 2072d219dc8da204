//! `/admin/providers`: upstream OpenID providers people may sign in
//! through: the list with Disable/Enable (each name opens its page, see
//! `provider.rs`), and the form that adds one.

use maud::{Markup, html};

use super::{
    BTN_PRIMARY, BTN_ROW, BTN_ROW_DANGER, Hue, PostForm, TR, Table, badge, cell, checkbox,
    data_table, panel, post_button, select,
};
use crate::feedback::{Tone, alert};
use crate::form::{Field, csrf_field, field};

/// One provider in the list.
#[derive(Debug, Clone)]
pub struct ProviderRow<'a> {
    pub name: &'a str,
    pub label: &'a str,
    /// Its page: settings, edit, removal.
    pub href: String,
    pub issuer: &'a str,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
    /// `oidc` or `github`.
    pub kind: &'a str,
    /// "create accounts", "trust e-mail", "domains: …".
    pub options: Vec<String>,
    pub enabled: bool,
    /// Where its Disable (or Enable) form posts.
    pub toggle_action: String,
}

/// The add form's values (kept after a refusal) and its problem.
#[derive(Debug, Clone, Default)]
pub struct ProviderForm<'a> {
    /// The presets offered, as (value, label); the first is "none".
    pub presets: &'a [(&'a str, &'a str)],
    pub preset: &'a str,
    pub tenant: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a str,
    pub allowed_domains: &'a str,
    pub create_accounts: bool,
    pub trust_email: bool,
    pub hint_domains: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct ProvidersPage<'a> {
    pub csrf: &'a str,
    pub add_action: &'a str,
    pub rows: Vec<ProviderRow<'a>>,
    pub form: ProviderForm<'a>,
}

const TABLE: Table<'static> = Table {
    label: "Sign-in providers",
    head: &[
        "Name",
        "Kind",
        "Issuer",
        "Redirect URI",
        "Options",
        "Status",
        "",
    ],
    empty: "No providers yet: people sign in with passwords only.",
};

pub fn providers_page(p: &ProvidersPage<'_>) -> Markup {
    html! {
        div class="space-y-6" {
            (data_table(&TABLE, &p.rows, |r| row(p.csrf, r)))
            (add_form(p))
        }
    }
}

fn row(csrf: &str, r: &ProviderRow<'_>) -> Markup {
    let form = PostForm::new(&r.toggle_action, csrf);
    html! {
        tr class=(TR) {
            (cell("Name", "", html! {
                a href=(r.href) class="font-semibold text-brand-700 underline-offset-2 hover:underline dark:text-brand-300" { (r.label) }
                div class="font-mono text-xs text-slate-500 dark:text-slate-400" { (r.name) }
            }))
            (cell("Kind", "", html! { code class="font-mono text-xs" { (r.kind) } }))
            (cell("Issuer", "md:max-w-64 break-all", html! { code class="font-mono text-xs break-all" { (r.issuer) } }))
            (cell("Redirect URI", "md:max-w-72 break-all", html! { code class="font-mono text-xs break-all" { (r.redirect_uri) } }))
            (cell("Options", "", html! {
                @if r.options.is_empty() { span class="text-slate-500" { "link only" } }
                @for o in &r.options { div class="text-xs" { (o) } }
            }))
            (cell("Status", "", html! {
                @if r.enabled { (badge(Hue::Good, "Enabled")) } @else { (badge(Hue::Bad, "Disabled")) }
            }))
            (cell("Actions", "", html! {
                @if r.enabled {
                    (post_button(&form, "Disable", BTN_ROW_DANGER, false))
                } @else {
                    (post_button(&form, "Enable", BTN_ROW, false))
                }
            }))
        }
    }
}

fn add_form(p: &ProvidersPage<'_>) -> Markup {
    let f = &p.form;
    panel(
        Some("Add a provider"),
        html! {
            form method="post" action=(p.add_action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                @if let Some(error) = f.error { (alert(Tone::Error, error)) }
                (select("provider-preset", "preset", "Preset", f.presets, f.preset))
                (field(&Field { id: "provider-name", name: "name", label: "Name", kind: "text", value: f.name,
                    autocomplete: "off", required: true, literal: true,
                    hint: Some("In its URLs: lowercase letters, digits and '-'."), ..Field::default() }))
                (field(&Field { id: "provider-label", name: "label", label: "Button label", kind: "text",
                    value: f.label, autocomplete: "off", hint: Some("“Sign in with …”"), ..Field::default() }))
                (field(&Field { id: "provider-issuer", name: "issuer", label: "Issuer URL", kind: "url",
                    value: f.issuer, autocomplete: "off", literal: true, input_class: "font-mono",
                    hint: Some("Needed without a preset and for Gitea; for GitHub Enterprise or self-managed GitLab, its URL."),
                    ..Field::default() }))
                (field(&Field { id: "provider-tenant", name: "tenant", label: "Microsoft tenant ID", kind: "text",
                    value: f.tenant, autocomplete: "off", literal: true, input_class: "font-mono",
                    hint: Some("Microsoft only: the directory's ID (a GUID)."), ..Field::default() }))
                (field(&Field { id: "provider-client-id", name: "client_id", label: "Client ID", kind: "text",
                    value: f.client_id, autocomplete: "off", required: true, literal: true, ..Field::default() }))
                (field(&Field { id: "provider-client-secret", name: "client_secret", label: "Client secret",
                    kind: "password", autocomplete: "new-password", required: true,
                    hint: Some("Kept to talk to the provider; never shown again."), ..Field::default() }))
                (field(&Field { id: "provider-scopes", name: "scopes", label: "Scopes", kind: "text",
                    value: f.scopes, autocomplete: "off", literal: true, input_class: "font-mono",
                    ..Field::default() }))
                (checkbox("provider-create", "create_accounts", "Create accounts", f.create_accounts,
                    Some("A person unknown here gets an account (without a password) at first sign-in.")))
                (field(&Field { id: "provider-domains", name: "allowed_domains", label: "Allowed e-mail domains",
                    kind: "text", value: f.allowed_domains, autocomplete: "off", literal: true,
                    hint: Some("Separated by spaces; accounts are then created only for verified addresses there."),
                    ..Field::default() }))
                (checkbox("provider-trust", "trust_email", "Trust its verified e-mail addresses", f.trust_email,
                    Some("A verified address links to the account here with the same verified address. Refused for Microsoft, whose addresses are not verified.")))
                (field(&Field { id: "provider-hint-domains", name: "hint_domains", label: "Sign-in domains",
                    kind: "text", value: f.hint_domains, autocomplete: "off", literal: true,
                    hint: Some("Separated by spaces; an application's login_hint at one of these domains goes straight to this provider."),
                    ..Field::default() }))
                button type="submit" class=(BTN_PRIMARY) { "Add provider" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_escape_and_offer_the_right_toggle() {
        let html = providers_page(&ProvidersPage {
            csrf: "t",
            add_action: "/admin/providers",
            rows: vec![ProviderRow {
                name: "corp",
                kind: "oidc",
                label: "<Corp>",
                href: "/admin/providers/corp".into(),
                issuer: "https://id.corp.example",
                redirect_uri: "https://auth.example/login/upstream/corp/callback".into(),
                options: vec!["create accounts".into()],
                enabled: false,
                toggle_action: "/admin/providers/corp/enable".into(),
            }],
            form: ProviderForm {
                presets: &[("", "None"), ("github", "GitHub")],
                preset: "github",
                ..ProviderForm::default()
            },
        })
        .into_string();
        assert!(html.contains("<option value=\"github\" selected>GitHub</option>"));
        assert!(html.contains("&lt;Corp&gt;"));
        assert!(html.contains("action=\"/admin/providers/corp/enable\""));
        assert!(html.contains(">Enable<"));
        assert!(html.contains("href=\"/admin/providers/corp\""));
        assert!(html.contains("name=\"client_secret\""));
    }
}
