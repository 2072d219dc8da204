//! `/admin/providers/{name}`: one upstream provider's page, its edit form
//! (only the secret is write-only: an empty field keeps it), and its
//! removal, asked first with the number of accounts it unlinks.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::provider::{ProviderEditForm, ProviderPage, provider_page};
use components::admin::{Confirm, ConfirmPage, PostForm, Section};
use components::feedback::Tone;
use maud::html;
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, confirm_page, notice};
use crate::domain::Error;
use crate::domain::admin::Ctx;
use crate::domain::upstream::providers::{self, ProviderChanges};
use crate::domain::upstream::redirect_uri;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::session::CsrfForm;
use crate::model::Secret;
use crate::model::upstream::Provider;
use crate::state::AppState;

/// The edit form as posted. Every field is sent, so each replaces the
/// stored value, except an empty secret.
#[derive(Debug, Default, Deserialize)]
pub struct EditFields {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Secret,
    #[serde(default)]
    pub scopes: String,
    #[serde(default)]
    pub username_claim: String,
    #[serde(default)]
    pub email_claim: String,
    #[serde(default)]
    pub name_claim: String,
    /// Checkboxes: present when ticked.
    pub create_accounts: Option<String>,
    pub trust_email: Option<String>,
    /// Space-separated.
    #[serde(default)]
    pub allowed_domains: String,
    #[serde(default)]
    pub hint_domains: String,
}

impl EditFields {
    fn of(p: &Provider) -> Self {
        Self {
            label: p.label.clone(),
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            client_secret: Secret::default(),
            scopes: p.scopes.join(" "),
            username_claim: p.claims.username.clone(),
            email_claim: p.claims.email.clone(),
            name_claim: p.claims.name.clone(),
            create_accounts: p.create_accounts.then(|| "on".into()),
            trust_email: p.trust_email.then(|| "on".into()),
            allowed_domains: p.allowed_domains.join(" "),
            hint_domains: p.hint_domains.join(" "),
        }
    }

    fn changes(&self) -> ProviderChanges {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect();
        ProviderChanges {
            label: Some(self.label.clone()),
            issuer: Some(self.issuer.clone()),
            client_id: Some(self.client_id.clone()),
            client_secret: Some(self.client_secret.clone()).filter(|s| !s.is_empty()),
            scopes: Some(self.scopes.clone()),
            username_claim: Some(self.username_claim.trim().to_owned()),
            email_claim: Some(self.email_claim.trim().to_owned()),
            name_claim: Some(self.name_claim.trim().to_owned()),
            create_accounts: Some(self.create_accounts.is_some()),
            allowed_domains: Some(words(&self.allowed_domains)),
            trust_email: Some(self.trust_email.is_some()),
            hint_domains: Some(words(&self.hint_domains)),
        }
    }
}

async fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    name: &str,
    fields: Option<&EditFields>,
    note: Option<(Tone, &str)>,
) -> Result<Response, PageError> {
    let (provider, linked) = providers::find(&Ctx::of(&state.core), name).await?;
    let stored = EditFields::of(&provider);
    let f = fields.unwrap_or(&stored);
    let error = note
        .filter(|(tone, _)| *tone == Tone::Error)
        .map(|(_, m)| m);
    let toggle = with_id(
        if provider.enabled {
            paths::ADMIN_PROVIDER_DISABLE
        } else {
            paths::ADMIN_PROVIDER_ENABLE
        },
        &provider.name,
    );
    let save = with_id(paths::ADMIN_PROVIDER, &provider.name);
    let remove = with_id(paths::ADMIN_PROVIDER_REMOVE, &provider.name);
    let redirect = redirect_uri(&state.core.policy.issuer, &provider.name);
    let body = provider_page(&ProviderPage {
        csrf: &admin.web.csrf,
        name: &provider.name,
        enabled: provider.enabled,
        redirect_uri: &redirect,
        linked,
        save_action: &save,
        toggle_action: &toggle,
        remove_href: &remove,
        back_href: paths::ADMIN_PROVIDERS,
        form: ProviderEditForm {
            label: &f.label,
            issuer: &f.issuer,
            client_id: &f.client_id,
            scopes: &f.scopes,
            username_claim: &f.username_claim,
            email_claim: &f.email_claim,
            name_claim: &f.name_claim,
            create_accounts: f.create_accounts.is_some(),
            allowed_domains: &f.allowed_domains,
            trust_email: f.trust_email.is_some(),
            hint_domains: &f.hint_domains,
            error,
        },
    });
    let frame = Frame::new(Section::Providers, &provider.label)
        .subtitle("An OpenID Connect provider people may sign in through.")
        .notice(note);
    Ok(admin_page(state, admin, status, frame, body))
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let done = notice(query.as_deref(), &[("saved", "Changes saved.")]);
    page(
        &state,
        &admin,
        StatusCode::OK,
        &name,
        None,
        done.map(|d| (Tone::Success, d)),
    )
    .await
}

/// `POST /admin/providers/{name}`: saves; a refusal shows what was typed
/// (never the secret) with the reason.
pub async fn save(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
    CsrfForm { form, .. }: CsrfForm<EditFields>,
) -> Result<Response, PageError> {
    match providers::update(&Ctx::of(&state.core), &admin.actor(), &name, form.changes()).await {
        Ok(_) => {
            let back = with_query(&with_id(paths::ADMIN_PROVIDER, &name), &[("saved", "1")]);
            Ok(Redirect::to(&back).into_response())
        }
        Err(Error::InvalidRequest(why) | Error::Refused(why)) => {
            let message = format!("Not saved: {why}.");
            page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &name,
                Some(&form),
                Some((Tone::Error, &message)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/providers/{name}/remove`: what removal takes away.
pub async fn confirm_remove(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
) -> Result<Response, PageError> {
    let (provider, linked) = providers::find(&Ctx::of(&state.core), &name).await?;
    let action = with_id(paths::ADMIN_PROVIDER_REMOVE, &provider.name);
    let cancel = with_id(paths::ADMIN_PROVIDER, &provider.name);
    let question = format!("Remove {}?", provider.label);
    let consequence = format!(
        "Its button goes from the sign-in page, sign-ins under way through it fail, and \
         the {linked} account link(s) to it are deleted: those people sign in with their \
         password (or another linked account) from now on. Adding it again later does not \
         bring the links back."
    );
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence: &consequence,
            verb: "Remove provider",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![
            (
                "Issuer",
                html! { code class="font-mono break-all" { (provider.issuer) } },
            ),
            ("Linked accounts", html! { (linked) }),
        ],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Providers,
        "Remove provider",
        &page,
    ))
}

/// `POST /admin/providers/{name}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    providers::remove(&Ctx::of(&state.core), &admin.actor(), &name).await?;
    Ok(Redirect::to(&with_query(paths::ADMIN_PROVIDERS, &[("removed", "1")])).into_response())
}
