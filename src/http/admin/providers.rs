//! `/admin/providers`: upstream OpenID providers (and GitHub) people may
//! sign in through: list, add (from a preset or not), disable and enable
//! (each provider's own page, with its edit form and removal, is in
//! `provider.rs`). Presets are resolved by domain/upstream/presets.rs,
//! like the command line's.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::Section;
use components::admin::providers::{ProviderForm, ProviderRow, ProvidersPage, providers_page};
use components::feedback::Tone;
use serde::Deserialize;

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, notice};
use crate::domain::Error;
use crate::domain::admin::Ctx;
use crate::domain::upstream::presets::{self, Choices, Preset};
use crate::domain::upstream::providers::{self, ProviderSpec};
use crate::domain::upstream::redirect_uri;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::session::CsrfForm;
use crate::model::Secret;
use crate::model::upstream::DEFAULT_SCOPES;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ProviderFields {
    /// A preset's name, or empty for a generic OpenID Connect provider.
    #[serde(default)]
    pub preset: String,
    #[serde(default)]
    pub tenant: String,
    #[serde(default)]
    pub name: String,
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
    /// Space-separated.
    #[serde(default)]
    pub allowed_domains: String,
    /// Checkboxes: present when ticked.
    pub create_accounts: Option<String>,
    pub trust_email: Option<String>,
    /// Space-separated.
    #[serde(default)]
    pub hint_domains: String,
}

async fn page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    fields: &ProviderFields,
    error: Option<&str>,
    done: Option<&str>,
) -> Result<Response, PageError> {
    let list = providers::list(&Ctx::of(&state.core)).await?;
    let rows = list
        .iter()
        .map(|p| {
            let mut options = Vec::new();
            if p.create_accounts {
                options.push("creates accounts".to_owned());
            }
            if !p.allowed_domains.is_empty() {
                options.push(format!("domains: {}", p.allowed_domains.join(", ")));
            }
            if p.trust_email {
                options.push("trusts e-mail".to_owned());
            }
            if !p.hint_domains.is_empty() {
                options.push(format!("sign-in domains: {}", p.hint_domains.join(", ")));
            }
            let toggle = if p.enabled {
                paths::ADMIN_PROVIDER_DISABLE
            } else {
                paths::ADMIN_PROVIDER_ENABLE
            };
            ProviderRow {
                name: &p.name,
                kind: p.kind.as_str(),
                label: &p.label,
                href: with_id(paths::ADMIN_PROVIDER, &p.name),
                issuer: &p.issuer,
                redirect_uri: redirect_uri(&state.core.policy.issuer, &p.name),
                options,
                enabled: p.enabled,
                toggle_action: with_id(toggle, &p.name),
            }
        })
        .collect();
    let preset_options: Vec<(&str, &str)> = std::iter::once(("", "None: OpenID Connect"))
        .chain(Preset::ALL.iter().map(|p| (p.as_str(), p.label())))
        .collect();
    let body = providers_page(&ProvidersPage {
        csrf: &admin.web.csrf,
        add_action: paths::ADMIN_PROVIDERS,
        rows,
        form: ProviderForm {
            presets: &preset_options,
            preset: &fields.preset,
            tenant: &fields.tenant,
            name: &fields.name,
            label: &fields.label,
            issuer: &fields.issuer,
            client_id: &fields.client_id,
            scopes: &fields.scopes,
            allowed_domains: &fields.allowed_domains,
            create_accounts: fields.create_accounts.is_some(),
            trust_email: fields.trust_email.is_some(),
            hint_domains: &fields.hint_domains,
            error,
        },
    });
    let frame = Frame::new(Section::Providers, "Sign-in providers")
        .subtitle("OpenID Connect providers, and GitHub, people may sign in through.")
        .notice(done.map(|n| (Tone::Success, n)));
    Ok(admin_page(state, admin, status, frame, body))
}

pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let done = notice(
        query.as_deref(),
        &[
            (
                "added",
                "Provider added. Register its redirect URI at the provider.",
            ),
            (
                "disabled",
                "Provider disabled: its button is gone and its sign-ins are refused.",
            ),
            ("enabled", "Provider enabled."),
            ("removed", "Provider removed, with its account links."),
        ],
    );
    let fields = ProviderFields {
        scopes: DEFAULT_SCOPES.to_owned(),
        ..ProviderFields::default()
    };
    page(&state, &admin, StatusCode::OK, &fields, None, done).await
}

/// `POST /admin/providers`: adds one; a refusal shows the form again.
pub async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm { form, .. }: CsrfForm<ProviderFields>,
) -> Result<Response, PageError> {
    let preset = match form.preset.as_str() {
        "" => None,
        other => match Preset::parse(other) {
            Some(p) => Some(p),
            None => return refused(&state, &admin, &form, "no such preset").await,
        },
    };
    // The form shows the generic scopes; with a preset they are the
    // preset's unless changed.
    let scopes = Some(form.scopes.clone())
        .filter(|s| !s.trim().is_empty() && (preset.is_none() || s.trim() != DEFAULT_SCOPES));
    let choices = Choices {
        issuer: Some(form.issuer.clone()),
        tenant: Some(form.tenant.clone()),
        label: Some(form.label.clone()),
        scopes,
        ..Choices::default()
    };
    let resolved = match presets::resolve(preset, choices) {
        Ok(resolved) => resolved,
        Err(why) => return refused(&state, &admin, &form, &why).await,
    };
    let spec = ProviderSpec {
        kind: resolved.kind,
        name: form.name.trim().to_owned(),
        label: resolved.label,
        issuer: resolved.issuer,
        client_id: form.client_id.clone(),
        client_secret: form.client_secret.clone(),
        scopes: resolved.scopes,
        claims: resolved.claims,
        create_accounts: form.create_accounts.is_some(),
        allowed_domains: form
            .allowed_domains
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        trust_email: form.trust_email.is_some(),
        hint_domains: form
            .hint_domains
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    };
    match providers::add(&Ctx::of(&state.core), &admin.actor(), spec).await {
        Ok(_) => Ok(
            Redirect::to(&with_query(paths::ADMIN_PROVIDERS, &[("added", "1")])).into_response(),
        ),
        Err(Error::InvalidRequest(why)) => refused(&state, &admin, &form, &why).await,
        Err(e) => Err(e.into()),
    }
}

/// The add form again, saying why it was refused.
async fn refused(
    state: &AppState,
    admin: &AdminUser,
    form: &ProviderFields,
    why: &str,
) -> Result<Response, PageError> {
    let message = format!("Not added: {why}.");
    page(
        state,
        admin,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        Some(&message),
        None,
    )
    .await
}

async fn set_enabled(
    state: &AppState,
    admin: &AdminUser,
    name: &str,
    enabled: bool,
) -> Result<Response, PageError> {
    providers::set_enabled(&Ctx::of(&state.core), &admin.actor(), name, enabled).await?;
    let done = if enabled { "enabled" } else { "disabled" };
    Ok(Redirect::to(&with_query(paths::ADMIN_PROVIDERS, &[(done, "1")])).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    set_enabled(&state, &admin, &name, false).await
}

pub async fn enable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(name): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    set_enabled(&state, &admin, &name, true).await
}
