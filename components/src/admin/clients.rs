//! `/admin/clients`: OAuth clients, their settings and secrets.

use maud::{Markup, html};

use super::{
    BTN_PRIMARY, BTN_QUIET, BTN_QUIET_DANGER, Filters, Hue, ListView, Pager, PostForm, TR, Table,
    When, badge, cell, checkbox, data_table, details, filter_input, link, list_view, panel,
    post_button, when,
};
use crate::form::{Field, csrf_field, field};

#[derive(Debug, Clone)]
pub struct ClientRow<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub href: String,
    pub confidential: bool,
    pub scopes: &'a str,
    pub refresh_tokens: bool,
    pub disabled: bool,
    /// `pending`, `approved` or `rejected`.
    pub status: &'a str,
    pub active_tokens: i64,
    pub tokens_href: String,
    pub created: When,
}

#[derive(Debug, Clone)]
pub struct ClientsPage<'a> {
    pub form_action: &'a str,
    pub search: &'a str,
    pub new_href: &'a str,
    pub rows: Vec<ClientRow<'a>>,
    /// How many clients wait for approval (all of them, not just shown).
    pub pending: i64,
}

const TABLE: Table<'static> = Table {
    label: "OAuth clients",
    head: &[
        "Name",
        "Client ID",
        "Type",
        "Scopes",
        "Status",
        "Active tokens",
        "Created",
    ],
    empty: "No clients match.",
};

pub fn clients_page(p: &ClientsPage<'_>) -> Markup {
    let view = ListView {
        filters: Filters {
            label: "Search clients",
            action: p.form_action,
            fields: filter_input("clients-q", "q", "Search", p.search, "name or client ID"),
        },
        create: Some((p.new_href, "New client")),
        toolbar: (p.pending > 0).then(|| super::registration::pending_notice(p.pending)),
        pager: Pager::None,
        footnote: None,
    };
    list_view(&view, data_table(&TABLE, &p.rows, client_row))
}

fn client_row(c: &ClientRow<'_>) -> Markup {
    html! {
        tr class=(TR) {
            (cell("Name", "", link(&c.href, c.name)))
            (cell("Client ID", "md:max-w-64 break-all", html! { code class="font-mono text-xs break-all" { (c.id) } }))
            (cell("Type", "", html! {
                @if c.confidential { (badge(Hue::Info, "Confidential")) } @else { (badge(Hue::Neutral, "Public")) }
                @if c.refresh_tokens {
                    div class="mt-1 text-xs text-slate-500 dark:text-slate-400" { "refresh tokens" }
                }
            }))
            (cell("Scopes", "", html! { span class="font-mono text-xs" { (c.scopes) } }))
            (cell("Status", "", html! {
                @if c.status != "approved" { (super::registration::status_badge(c.status)) }
                @else if c.disabled { (badge(Hue::Bad, "Disabled")) } @else { (badge(Hue::Good, "Enabled")) }
            }))
            (cell("Active tokens", "tabular-nums", html! { a href=(c.tokens_href) class="hover:underline" { (c.active_tokens) } }))
            (cell("Created", "", when(&c.created)))
        }
    }
}

/// Problems with the client form, field by field.
#[derive(Debug, Clone, Default)]
pub struct ClientErrors<'a> {
    pub name: Option<&'a str>,
    pub scopes: Option<&'a str>,
    pub redirect_uris: Option<&'a str>,
    pub post_logout_redirect_uris: Option<&'a str>,
    pub grant_types: Option<&'a str>,
    pub resources: Option<&'a str>,
    /// The JWK Set or its URL (signed-JWT clients).
    pub keys: Option<&'a str>,
}

/// Which grants the form shows ticked.
#[derive(Debug, Clone, Copy, Default)]
pub struct GrantChoice {
    pub device_code: bool,
    pub authorization_code: bool,
    pub refresh_token: bool,
    pub client_credentials: bool,
}

/// The public keys a signed-JWT client registers: a JWK Set or its URL.
#[derive(Debug, Clone, Default)]
pub struct ClientKeysInput<'a> {
    pub jwks: &'a str,
    pub jwks_uri: &'a str,
}

/// The create and edit form.
#[derive(Debug, Clone)]
pub struct ClientForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub name: &'a str,
    pub scopes: &'a str,
    /// Space-separated redirect URIs.
    pub redirect_uris: &'a str,
    /// Space-separated post-logout redirect URIs.
    pub post_logout_redirect_uris: &'a str,
    pub grants: GrantChoice,
    pub refresh_tokens: bool,
    /// Space-separated RFC 8707 resources.
    pub resources: &'a str,
    /// On creation only (the type is chosen once): `public`,
    /// `confidential` (a secret) or `keys` (a signed JWT, with `keys`).
    pub kind: Option<&'a str>,
    pub keys: ClientKeysInput<'a>,
    pub errors: ClientErrors<'a>,
    pub submit: &'a str,
    pub cancel: &'a str,
}

pub fn client_form(p: &ClientForm<'_>) -> Markup {
    panel(
        None,
        html! {
            form method="post" action=(p.action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                (field(&Field {
                    id: "client-name",
                    name: "name",
                    label: "Name",
                    kind: "text",
                    value: p.name,
                    autocomplete: "off",
                    error: p.errors.name,
                    hint: Some("Shown to people on the consent page."),
                    required: true,
                    autofocus: p.errors.name.is_some() || (p.errors.scopes.is_none() && p.name.is_empty()),
                    ..Field::default()
                }))
                (field(&Field {
                    id: "client-scopes",
                    name: "scopes",
                    label: "Allowed scopes",
                    kind: "text",
                    value: p.scopes,
                    autocomplete: "off",
                    error: p.errors.scopes,
                    hint: Some("Separated by spaces, for example: read write. Add openid (with profile, email) for OpenID Connect sign-in."),
                    required: true,
                    autofocus: p.errors.name.is_none() && p.errors.scopes.is_some(),
                    literal: true,
                    input_class: "font-mono",
                    ..Field::default()
                }))
                (field(&Field {
                    id: "client-redirect-uris",
                    name: "redirect_uris",
                    label: "Redirect URIs",
                    kind: "text",
                    value: p.redirect_uris,
                    autocomplete: "off",
                    error: p.errors.redirect_uris,
                    hint: Some("Where sign-in for apps may return, separated by spaces. A loopback http://127.0.0.1/… URI matches any port."),
                    autofocus: p.errors.name.is_none() && p.errors.scopes.is_none() && p.errors.redirect_uris.is_some(),
                    literal: true,
                    input_class: "font-mono",
                    ..Field::default()
                }))
                (field(&Field {
                    id: "client-post-logout-uris",
                    name: "post_logout_redirect_uris",
                    label: "Post-logout redirect URIs",
                    kind: "text",
                    value: p.post_logout_redirect_uris,
                    autocomplete: "off",
                    error: p.errors.post_logout_redirect_uris,
                    hint: Some("Where the app may send people after signing them out, separated by spaces. Matched exactly."),
                    autofocus: p.errors.name.is_none() && p.errors.scopes.is_none() && p.errors.redirect_uris.is_none() && p.errors.post_logout_redirect_uris.is_some(),
                    literal: true,
                    input_class: "font-mono",
                    ..Field::default()
                }))
                (field(&Field {
                    id: "client-resources",
                    name: "resources",
                    label: "Resources",
                    kind: "text",
                    value: p.resources,
                    autocomplete: "off",
                    error: p.errors.resources,
                    hint: Some("The APIs (RFC 8707 resource URIs) its tokens may be for, separated by spaces. Empty: tokens are for this server only."),
                    literal: true,
                    input_class: "font-mono",
                    ..Field::default()
                }))
                fieldset class="space-y-2" aria-describedby=[p.errors.grant_types.map(|_| "client-grants-error")] {
                    legend class="text-sm font-medium text-slate-700 dark:text-slate-200" { "Grant types" }
                    // Tells the server the boxes were on the form: none ticked is then a choice.
                    input type="hidden" name="grants_shown" value="1";
                    @if let Some(error) = p.errors.grant_types {
                        p id="client-grants-error" role="alert" class="text-sm font-medium text-red-600 dark:text-red-400" { (error) }
                    }
                    (checkbox("client-grant-device", "grant_device_code", "Device code", p.grants.device_code,
                        Some("Devices and CLIs sign in with a code (RFC 8628).")))
                    (checkbox("client-grant-code", "grant_authorization_code", "Authorization code", p.grants.authorization_code,
                        Some("Apps send people to sign in and return with a code (needs a redirect URI).")))
                    (checkbox("client-grant-refresh", "grant_refresh_token", "Refresh token", p.grants.refresh_token,
                        Some("The client may renew access with a refresh token.")))
                    (checkbox("client-grant-machine", "grant_client_credentials", "Client credentials", p.grants.client_credentials,
                        Some("A confidential client gets tokens for itself, with no person (a service, a job).")))
                }
                @if let Some(kind) = p.kind {
                    fieldset class="space-y-2" {
                        legend class="text-sm font-medium text-slate-700 dark:text-slate-200" { "Type" }
                        (radio("client-public", "public", kind == "public", "Public",
                            "Runs on the user's device (CLI, TV app) and cannot keep a secret."))
                        (radio("client-confidential", "confidential", kind == "confidential", "Confidential",
                            "Runs on a server and authenticates with a secret, shown once after creation."))
                        (radio("client-keys", "keys", kind == "keys", "Confidential, signed JWT",
                            "Runs on a server and authenticates with a JWT signed by its own private key (private_key_jwt): register its public keys below."))
                    }
                    (keys_fields(&p.keys, p.errors.keys, "Only for a signed-JWT client."))
                }
                (checkbox("client-refresh", "refresh_tokens", "Issue refresh tokens", p.refresh_tokens,
                    Some("The device can renew its access without asking the user again.")))
                div class="flex flex-wrap gap-3" {
                    button type="submit" class=(BTN_PRIMARY) { (p.submit) }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

/// The JWK Set and `jwks_uri` inputs (one of them is given), on the
/// create form and the page that replaces a client's keys.
pub fn keys_fields(keys: &ClientKeysInput<'_>, error: Option<&str>, when: &str) -> Markup {
    let jwks_hint =
        format!("{when} Its JWK Set, as JSON: public keys only (ES256, EdDSA or RS256).");
    html! {
        (field(&Field {
            id: "client-jwks",
            name: "jwks",
            label: "Public keys (JWK Set)",
            kind: "textarea",
            value: keys.jwks,
            autocomplete: "off",
            error,
            hint: Some(&jwks_hint),
            autofocus: error.is_some(),
            literal: true,
            input_class: "font-mono text-sm",
            ..Field::default()
        }))
        (field(&Field {
            id: "client-jwks-uri",
            name: "jwks_uri",
            label: "Or the URL of its keys (jwks_uri)",
            kind: "url",
            value: keys.jwks_uri,
            autocomplete: "off",
            hint: Some("Fetched and cached for five minutes; https only (http on this machine)."),
            literal: true,
            input_class: "font-mono",
            ..Field::default()
        }))
    }
}

/// The page that replaces a signed-JWT client's public keys.
pub fn keys_form(
    action: &str,
    csrf: &str,
    keys: &ClientKeysInput<'_>,
    error: Option<&str>,
    cancel: &str,
) -> Markup {
    panel(
        None,
        html! {
            form method="post" action=(action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(csrf))
                p class="text-sm text-slate-600 dark:text-slate-300" {
                    "The new keys replace the registered ones at once: assertions signed with a key no longer listed are refused. "
                    "To rotate without a gap, list the old and the new key together first."
                }
                (keys_fields(keys, error, "Give one of the two."))
                div class="flex flex-wrap gap-3" {
                    button type="submit" class=(BTN_PRIMARY) { "Replace keys" }
                    a href=(cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

fn radio(id: &str, value: &str, checked: bool, label: &str, hint: &str) -> Markup {
    let hint_id = format!("{id}-hint");
    html! {
        div class="flex items-start gap-3" {
            input id=(id) name="kind" type="radio" value=(value) checked[checked] aria-describedby=(hint_id)
                class="mt-0.5 size-5 shrink-0 accent-brand-600 dark:accent-brand-400";
            div {
                label for=(id) class="text-sm font-medium text-slate-800 dark:text-slate-100" { (label) }
                p id=(hint_id) class="text-sm text-slate-500 dark:text-slate-400" { (hint) }
            }
        }
    }
}

/// An action on the client page: a link to its confirmation, or a form.
#[derive(Debug, Clone)]
pub enum ClientAction<'a> {
    Link {
        href: String,
        label: &'a str,
        danger: bool,
    },
    Post {
        action: String,
        label: &'a str,
    },
    /// A POST with fields of its own (e.g. `required=on`).
    PostWith {
        action: String,
        label: &'a str,
        hidden: Vec<(&'a str, &'a str)>,
    },
}

/// The client page: settings form and what can be done to it.
#[derive(Debug, Clone)]
pub struct ClientPage<'a> {
    pub id: &'a str,
    pub confidential: bool,
    /// How it authenticates, in words ("a secret", "a signed JWT
    /// (private_key_jwt), keys at https://…").
    pub authentication: &'a str,
    /// The RFC 8707 resources its tokens may be for; empty: none.
    pub resources: &'a [String],
    pub disabled: bool,
    /// `pending`, `approved` or `rejected`.
    pub status: &'a str,
    pub active_tokens: i64,
    pub created: When,
    pub csrf: &'a str,
    pub actions: Vec<ClientAction<'a>>,
    /// Approving its requests needs a recent second factor.
    pub second_factor_required: bool,
    /// How it registered itself, with Approve / Reject while pending
    /// (`registration::registration_panel`); `None` for clients an
    /// administrator made.
    pub registration: Option<Markup>,
}

pub fn client_page(p: &ClientPage<'_>, form: Markup) -> Markup {
    html! {
        div class="grid gap-6 lg:grid-cols-3" {
            div class="min-w-0 lg:col-span-2" {
                @if let Some(registration) = &p.registration { (registration) }
                (form)
            }
            div class="min-w-0 space-y-6" {
                (panel(Some("Client"), details(&[
                    ("Client ID", html! { code class="break-all font-mono text-xs" data-testid="client-id" { (p.id) } }),
                    ("Type", html! { @if p.confidential { "Confidential" } @else { "Public" } }),
                    ("Authenticates with", html! { span class="break-words" { (p.authentication) } }),
                    ("Resources", html! {
                        @if p.resources.is_empty() {
                            span class="text-slate-500 dark:text-slate-400" { "None (tokens are for this server)" }
                        } @else {
                            ul class="space-y-1" {
                                @for r in p.resources { li { code class="break-all font-mono text-xs" { (r) } } }
                            }
                        }
                    }),
                    ("Status", html! {
                        @if p.status != "approved" { (super::registration::status_badge(p.status)) }
                        @else if p.disabled { (badge(Hue::Bad, "Disabled")) } @else { (badge(Hue::Good, "Enabled")) }
                    }),
                    ("Active tokens", html! { (p.active_tokens) }),
                    ("Second factor to approve", html! {
                        @if p.second_factor_required { (badge(Hue::Info, "Required")) } @else { (badge(Hue::Neutral, "Not required")) }
                    }),
                    ("Created", when(&p.created)),
                ])))
                (panel(Some("Actions"), html! {
                    ul class="flex flex-col gap-2" {
                        @for a in &p.actions {
                            li { (action_markup(a, p.csrf)) }
                        }
                    }
                }))
            }
        }
    }
}

fn action_markup(a: &ClientAction<'_>, csrf: &str) -> Markup {
    match a {
        ClientAction::Link {
            href,
            label,
            danger,
        } => html! {
            a href=(href) class={ (if *danger { BTN_QUIET_DANGER } else { BTN_QUIET }) " w-full" } { (label) }
        },
        ClientAction::Post { action, label } => {
            post_button(&PostForm::new(action, csrf), label, BTN_QUIET, false)
        }
        ClientAction::PostWith {
            action,
            label,
            hidden,
        } => post_button(
            &PostForm {
                hidden: hidden.clone(),
                ..PostForm::new(action, csrf)
            },
            label,
            BTN_QUIET,
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_phones_each_row_is_a_card_of_labelled_lines() {
        let html = client_row(&ClientRow {
            name: "CLI",
            id: "0d6c2b8e-2f0b-4bfa-9d3c-5a4f8a7c1e22",
            href: "/admin/clients/x".into(),
            confidential: true,
            scopes: "read write",
            refresh_tokens: true,
            disabled: false,
            status: "approved",
            active_tokens: 3,
            tokens_href: "/admin/tokens?client=x".into(),
            created: When::default(),
        })
        .into_string();
        crate::admin::list::assert_card_labels(&html, TABLE.head);
    }
}
