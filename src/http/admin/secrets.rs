//! `/admin/clients/{id}/secret`: rotating a confidential client's secret,
//! after a confirmation; the new one is shown once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use components::admin::{
    Confirm, ConfirmPage, PostForm, SecretOnce, Section, full_id, secret_once,
};

use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, confirm_page};
use crate::domain::admin::{self, Ctx};
use crate::http::error::PageError;
use crate::http::paths::{self, with_id};
use crate::http::ui::login::Empty;
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;

pub async fn confirm_rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let client = admin::find_client(&Ctx::of(&state.core), &id).await?;
    if client.secret_hash.is_none() {
        return Err(PageError::BadRequest(
            "This client has no secret to rotate.".into(),
        ));
    }
    let action = with_id(paths::ADMIN_CLIENT_SECRET, &client.id);
    let cancel = with_id(paths::ADMIN_CLIENT, &client.id);
    let question = format!("Rotate the secret of {}?", client.name);
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence: "A new secret is generated and shown once. The current secret stops working at once: update the client's configuration right after.",
            verb: "Rotate secret",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![("Client ID", full_id(&client.id))],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Clients,
        "Rotate secret",
        &page,
    ))
}

/// `POST /admin/clients/{id}/secret`: a new secret, shown once.
pub async fn rotate(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let client = admin::find_client(&ctx, &id).await?;
    let secret = admin::rotate_client_secret(&ctx, &admin.actor(), &client.id).await?;
    let next = with_id(paths::ADMIN_CLIENT, &client.id);
    let body = secret_once(&SecretOnce {
        title: &format!("New secret for {}", client.name),
        message: "The previous secret no longer works.",
        values: vec![
            ("Client ID", client.id.as_str()),
            ("Client secret", secret.expose()),
        ],
        secret: true,
        next: &next,
        next_label: "Back to the client",
    });
    Ok(admin_page(
        &state,
        &admin,
        StatusCode::OK,
        Frame::new(Section::Clients, "Secret rotated"),
        body,
    ))
}
