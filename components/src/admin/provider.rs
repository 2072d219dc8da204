//! `/admin/providers/{name}`: one upstream provider, its edit form (the
//! client secret write-only: left empty, it is kept), Disable/Enable and
//! the way to its removal.

use maud::{Markup, html};

use super::{
    BTN_PRIMARY, BTN_QUIET, BTN_QUIET_DANGER, Hue, PostForm, badge, checkbox, details, panel,
    post_button,
};
use crate::feedback::{Tone, alert};
use crate::form::{Field, csrf_field, field};

/// The edit form's values (what was typed, after a refusal) and its problem.
#[derive(Debug, Clone, Default)]
pub struct ProviderEditForm<'a> {
    pub label: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a str,
    pub username_claim: &'a str,
    pub email_claim: &'a str,
    pub name_claim: &'a str,
    pub create_accounts: bool,
    /// Space-separated.
    pub allowed_domains: &'a str,
    pub trust_email: bool,
    /// Space-separated.
    pub hint_domains: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct ProviderPage<'a> {
    pub csrf: &'a str,
    pub name: &'a str,
    pub enabled: bool,
    pub redirect_uri: &'a str,
    /// Accounts linked through it.
    pub linked: i64,
    /// POST: saves the form.
    pub save_action: &'a str,
    /// POST: Disable (or Enable).
    pub toggle_action: &'a str,
    /// GET: the removal's confirmation.
    pub remove_href: &'a str,
    pub back_href: &'a str,
    pub form: ProviderEditForm<'a>,
}

pub fn provider_page(p: &ProviderPage<'_>) -> Markup {
    html! {
        div class="grid gap-6 lg:grid-cols-3" {
            div class="min-w-0 lg:col-span-2" { (edit_form(p)) }
            div class="min-w-0 space-y-6" {
                (panel(Some("Provider"), details(&[
                    ("Name", html! { code class="font-mono" { (p.name) } }),
                    ("Status", html! {
                        @if p.enabled { (badge(Hue::Good, "Enabled")) } @else { (badge(Hue::Bad, "Disabled")) }
                    }),
                    ("Redirect URI", html! { code class="font-mono text-xs break-all" { (p.redirect_uri) } }),
                    ("Linked accounts", html! { (p.linked) }),
                ])))
                (panel(Some("Actions"), html! {
                    ul class="flex flex-col gap-2" {
                        li {
                            @if p.enabled {
                                (post_button(&PostForm::new(p.toggle_action, p.csrf), "Disable provider", BTN_QUIET_DANGER, false))
                            } @else {
                                (post_button(&PostForm::new(p.toggle_action, p.csrf), "Enable provider", BTN_QUIET, false))
                            }
                        }
                        li { a href=(p.remove_href) class={ (BTN_QUIET_DANGER) " w-full" } { "Remove provider…" } }
                        li { a href=(p.back_href) class={ (BTN_QUIET) " w-full" } { "All providers" } }
                    }
                }))
            }
        }
    }
}

fn text<'a>(id: &'a str, name: &'a str, label: &'a str, value: &'a str) -> Field<'a> {
    Field {
        id,
        name,
        label,
        kind: "text",
        value,
        autocomplete: "off",
        literal: true,
        ..Field::default()
    }
}

fn edit_form(p: &ProviderPage<'_>) -> Markup {
    let f = &p.form;
    panel(
        Some("Settings"),
        html! {
            form method="post" action=(p.save_action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                @if let Some(error) = f.error { (alert(Tone::Error, error)) }
                (field(&Field { hint: Some("“Sign in with …”"), literal: false,
                    ..text("provider-label", "label", "Button label", f.label) }))
                (field(&Field { kind: "url", input_class: "font-mono", required: true,
                    hint: Some("Cannot change while accounts are linked through it: remove the provider and add it again."),
                    ..text("provider-issuer", "issuer", "Issuer URL", f.issuer) }))
                (field(&Field { required: true, ..text("provider-client-id", "client_id", "Client ID", f.client_id) }))
                (field(&Field { id: "provider-client-secret", name: "client_secret", label: "New client secret",
                    kind: "password", autocomplete: "new-password",
                    hint: Some("Leave empty to keep the saved one, which is never shown."), ..Field::default() }))
                (field(&Field { input_class: "font-mono", ..text("provider-scopes", "scopes", "Scopes", f.scopes) }))
                div class="grid gap-5 sm:grid-cols-3" {
                    (field(&Field { input_class: "font-mono", ..text("provider-username-claim", "username_claim", "Username claim", f.username_claim) }))
                    (field(&Field { input_class: "font-mono", ..text("provider-email-claim", "email_claim", "E-mail claim", f.email_claim) }))
                    (field(&Field { input_class: "font-mono", ..text("provider-name-claim", "name_claim", "Name claim", f.name_claim) }))
                }
                (checkbox("provider-create", "create_accounts", "Create accounts", f.create_accounts,
                    Some("A person unknown here gets an account (without a password) at first sign-in.")))
                (field(&Field { hint: Some("Separated by spaces; accounts are then created only for verified addresses there."),
                    ..text("provider-domains", "allowed_domains", "Allowed e-mail domains", f.allowed_domains) }))
                (checkbox("provider-trust", "trust_email", "Trust its verified e-mail addresses", f.trust_email,
                    Some("A verified address links to the account here with the same verified address.")))
                (field(&Field { hint: Some("Separated by spaces; an application's login_hint at one of these domains goes straight to this provider."),
                    ..text("provider-hint-domains", "hint_domains", "Sign-in domains", f.hint_domains) }))
                button type="submit" class=(BTN_PRIMARY) { "Save changes" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_field_is_empty_and_values_are_escaped() {
        let html = provider_page(&ProviderPage {
            csrf: "t",
            name: "corp",
            enabled: true,
            redirect_uri: "https://auth.example/login/upstream/corp/callback",
            linked: 3,
            save_action: "/admin/providers/corp",
            toggle_action: "/admin/providers/corp/disable",
            remove_href: "/admin/providers/corp/remove",
            back_href: "/admin/providers",
            form: ProviderEditForm {
                label: "<Corp>",
                ..ProviderEditForm::default()
            },
        })
        .into_string();
        assert!(html.contains("value=\"&lt;Corp&gt;\""));
        assert!(html.contains("name=\"client_secret\" type=\"password\" value=\"\""));
        assert!(html.contains("Disable provider"));
        assert!(html.contains("href=\"/admin/providers/corp/remove\""));
    }
}
