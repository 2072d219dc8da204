//! `/admin/clients/{id}/approve` and `/reject`: an administrator's decision
//! on a client that registered itself, and the registration panel of the
//! client page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::registration::{RegistrationView, registration_panel};
use components::admin::{Confirm, ConfirmPage, PostForm, Section, full_id};
use maud::{Markup, html};
use serde::Deserialize;

use super::client_fields::ClientFields;
use super::clients::edit_page;
use super::extract::{AdminUser, IdPath};
use super::render::{confirm_page, when};
use crate::domain::Error;
use crate::domain::admin::{self, Ctx};
use crate::domain::client::Client;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

/// The registration panel of `client`'s page; `None` for clients an
/// administrator made. `approval`: the Approve form's value and problem.
pub(super) async fn panel(
    state: &AppState,
    admin: &AdminUser,
    client: &Client,
    approval: (&str, Option<&str>),
) -> Result<Option<Markup>, PageError> {
    let ctx = Ctx::of(&state.core);
    let Some(r) = admin::client_registration(&ctx, &client.id).await? else {
        return Ok(None);
    };
    let approve = with_id(paths::ADMIN_CLIENT_APPROVE, &client.id);
    let reject = with_id(paths::ADMIN_CLIENT_REJECT, &client.id);
    let m = &r.metadata;
    Ok(Some(registration_panel(&RegistrationView {
        status: client.status.as_str(),
        registered: when(r.registered_at, state.core.clock.now_secs()),
        from_ip: r.requester_ip.as_deref(),
        user_agent: r.user_agent.as_deref(),
        software_id: m.software_id.as_deref(),
        software_version: m.software_version.as_deref(),
        contacts: &m.contacts,
        client_uri: m.client_uri.as_deref(),
        redirect_uris: &m.redirect_uris,
        grant_types: &m.grant_types,
        auth_method: &m.token_endpoint_auth_method,
        scope: &m.scope,
        approve_action: &approve,
        reject_href: &reject,
        csrf: &admin.web.csrf,
        resources: approval.0,
        resources_error: approval.1,
    })))
}

#[derive(Debug, Deserialize)]
pub struct ApproveFields {
    /// Space-separated RFC 8707 resources (optional).
    #[serde(default)]
    pub resources: String,
}

/// `POST /admin/clients/{id}/approve`: the client may be used at once, on
/// every instance; with resources, its tokens may be for them.
pub async fn approve(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<ApproveFields>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let resources: Vec<&str> = form.resources.split_whitespace().collect();
    match admin::decide_client(&ctx, &admin.actor(), &id, true, &resources).await {
        Ok(()) => {
            let back = with_query(&with_id(paths::ADMIN_CLIENT, &id), &[("approved", "1")]);
            Ok(Redirect::to(&back).into_response())
        }
        Err(Error::InvalidRequest(why)) => {
            let client = admin::find_client(&ctx, &id).await?;
            let uris = admin::client_redirect_uris(&ctx, &client.id).await?;
            let logout = admin::client_post_logout_redirect_uris(&ctx, &client.id).await?;
            let fields = ClientFields::of(&client, &uris, &logout);
            edit_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &client,
                &fields,
                &[],
                Some((components::feedback::Tone::Error, "Check the resources.")),
                (&form.resources, Some(&why)),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// `GET /admin/clients/{id}/reject`: the confirmation.
pub async fn confirm_reject(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let client = admin::find_client(&Ctx::of(&state.core), &id).await?;
    let action = with_id(paths::ADMIN_CLIENT_REJECT, &client.id);
    let cancel = with_id(paths::ADMIN_CLIENT, &client.id);
    let question = format!("Reject {}?", client.name);
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence: "Every request of this client is then refused, for good: it cannot ask again with this registration. It stays listed, so you can see who asked.",
            verb: "Reject client",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![
            ("Client ID", full_id(&client.id)),
            ("Status", html! { (client.status.as_str()) }),
        ],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Clients,
        "Reject client",
        &page,
    ))
}

/// `POST /admin/clients/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    admin::decide_client(
        &Ctx::of(&state.core),
        &admin.actor(),
        &id,
        false,
        &[] as &[&str],
    )
    .await?;
    let back = with_query(&with_id(paths::ADMIN_CLIENT, &id), &[("rejected", "1")]);
    Ok(Redirect::to(&back).into_response())
}
