//! `/admin/clients`: list, create, edit, disable and enable OAuth clients,
//! and rotate a confidential client's secret.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::clients::{
    ClientAction, ClientForm, ClientPage, ClientRow, ClientsPage, client_form, client_page,
    clients_page,
};
use components::admin::{
    Confirm, ConfirmPage, PostForm, SecretOnce, Section, full_id, secret_once,
};
use components::feedback::Tone;
use maud::html;

use super::client_fields::{ClientFields, client_errors};
use super::extract::{AdminUser, IdPath};
use super::render::{Frame, admin_page, confirm_page, notice, when};
use crate::domain::admin::{self, Ctx, FieldError};
use crate::domain::client::Client;
use crate::http::error::PageError;
use crate::http::paths::{self, with_id, with_query};
use crate::http::ui::login::Empty;
use crate::http::ui::render::query_param;
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;
use crate::store::TokenOwner;

pub async fn list(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let search = query_param(q, "q").unwrap_or_default();
    let clients = admin::clients(&Ctx::of(&state.core), Some(&search)).await?;
    let pending = admin::pending_clients(&Ctx::of(&state.core)).await?;
    let now = state.core.clock.now_secs();
    let rows = clients
        .iter()
        .map(|c| ClientRow {
            name: &c.name,
            id: &c.id,
            href: with_id(paths::ADMIN_CLIENT, &c.id),
            confidential: c.confidential,
            scopes: &c.allowed_scopes,
            refresh_tokens: c.refresh_tokens,
            disabled: c.disabled,
            status: &c.status,
            active_tokens: c.active_tokens,
            tokens_href: with_query(
                paths::ADMIN_TOKENS,
                &[("client", &c.id), ("status", "active")],
            ),
            created: when(c.created_at, now),
        })
        .collect();
    let body = clients_page(&ClientsPage {
        form_action: paths::ADMIN_CLIENTS,
        search: search.trim(),
        new_href: paths::ADMIN_CLIENTS_NEW,
        rows,
        pending,
    });
    let frame = Frame::new(Section::Clients, "Clients")
        .subtitle("The applications and devices that may ask users for access.");
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}

fn new_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    fields: &ClientFields,
    errors: &[FieldError],
) -> Response {
    let body = client_form(&ClientForm {
        action: paths::ADMIN_CLIENTS,
        csrf: &admin.web.csrf,
        name: &fields.name,
        scopes: &fields.scopes,
        redirect_uris: &fields.redirect_uris,
        post_logout_redirect_uris: &fields.post_logout_redirect_uris,
        grants: fields.choice(),
        refresh_tokens: fields.refresh_tokens.is_some(),
        resources: fields.resources.as_deref().unwrap_or_default(),
        kind: Some(&fields.kind),
        keys: fields.keys(),
        errors: client_errors(errors),
        submit: "Create client",
        cancel: paths::ADMIN_CLIENTS,
    });
    let frame = Frame::new(Section::Clients, "New client")
        .notice((!errors.is_empty()).then_some((Tone::Error, "Check the highlighted fields.")));
    admin_page(state, admin, status, frame, body)
}

pub async fn new_form(State(state): State<AppState>, admin: AdminUser) -> Response {
    new_page(
        &state,
        &admin,
        StatusCode::OK,
        &ClientFields::new_client(),
        &[],
    )
}

/// `POST /admin/clients`: registers a client and shows its id (and secret)
/// once.
pub async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm { form, .. }: CsrfForm<ClientFields>,
) -> Result<Response, PageError> {
    let (spec, (kind, keys)) = match (form.spec(), form.kind_and_keys()) {
        (Ok(spec), Ok(kind)) => (spec, kind),
        (spec, kind) => {
            let errors: Vec<FieldError> =
                spec.err().into_iter().chain(kind.err()).flatten().collect();
            return Ok(new_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            ));
        }
    };
    let signed_jwt = keys.is_some();
    let created =
        admin::create_client(&Ctx::of(&state.core), &admin.actor(), &spec, kind, keys).await?;
    let next = with_id(paths::ADMIN_CLIENT, &created.client_id);
    let mut values = vec![("Client ID", created.client_id.as_str())];
    if let Some(secret) = &created.secret {
        values.push(("Client secret", secret.expose()));
    }
    let message = if created.secret.is_some() {
        "The client authenticates with this ID and secret (HTTP Basic or client_secret_post)."
    } else if signed_jwt {
        "The client authenticates with a JWT it signs with its private key (private_key_jwt), with this ID as iss and sub."
    } else {
        "Devices identify themselves with this client ID; public clients have no secret."
    };
    let body = secret_once(&SecretOnce {
        title: &format!("Client \"{}\" created", spec.name),
        message,
        values,
        secret: created.secret.is_some(),
        next: &next,
        next_label: "Go to the client",
    });
    let frame = Frame::new(Section::Clients, "Client created");
    Ok(admin_page(&state, &admin, StatusCode::CREATED, frame, body))
}

fn actions(client: &Client) -> Vec<ClientAction<'static>> {
    let mut actions = vec![ClientAction::Link {
        href: with_query(paths::ADMIN_TOKENS, &[("client", &client.id)]),
        label: "View tokens",
        danger: false,
    }];
    if client.secret_hash.is_some() {
        actions.push(ClientAction::Link {
            href: with_id(paths::ADMIN_CLIENT_SECRET, &client.id),
            label: "Rotate secret…",
            danger: false,
        });
    }
    if client.keys.is_some() {
        actions.push(ClientAction::Link {
            href: with_id(paths::ADMIN_CLIENT_KEYS, &client.id),
            label: "Replace keys…",
            danger: false,
        });
    }
    actions.push(ClientAction::Link {
        href: with_query(paths::ADMIN_TOKENS_REVOKE, &[("client", &client.id)]),
        label: "Revoke all tokens…",
        danger: true,
    });
    let (label, required) = if client.require_second_factor {
        ("Stop requiring a second factor", "off")
    } else {
        ("Require a second factor to approve", "on")
    };
    actions.push(ClientAction::PostWith {
        action: with_id(paths::ADMIN_CLIENT_SECOND_FACTOR, &client.id),
        label,
        hidden: vec![("required", required)],
    });
    actions.push(if client.disabled {
        ClientAction::Post {
            action: with_id(paths::ADMIN_CLIENT_ENABLE, &client.id),
            label: "Enable client",
        }
    } else {
        ClientAction::Link {
            href: with_id(paths::ADMIN_CLIENT_DISABLE, &client.id),
            label: "Disable client…",
            danger: true,
        }
    });
    actions
}

/// The client page. `approval` is the Approve form's resources and their
/// problem, after a refused approval.
#[allow(clippy::too_many_arguments)]
pub(super) async fn edit_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    client: &Client,
    fields: &ClientFields,
    errors: &[FieldError],
    notice: Option<(Tone, &str)>,
    approval: (&str, Option<&str>),
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let live = admin::live_tokens(&ctx, TokenOwner::Client(&client.id)).await?;
    let action = with_id(paths::ADMIN_CLIENT, &client.id);
    let form = client_form(&ClientForm {
        action: &action,
        csrf: &admin.web.csrf,
        name: &fields.name,
        scopes: &fields.scopes,
        redirect_uris: &fields.redirect_uris,
        post_logout_redirect_uris: &fields.post_logout_redirect_uris,
        grants: fields.choice(),
        refresh_tokens: fields.refresh_tokens.is_some(),
        resources: fields.resources.as_deref().unwrap_or_default(),
        kind: None,
        keys: Default::default(),
        errors: client_errors(errors),
        submit: "Save changes",
        cancel: paths::ADMIN_CLIENTS,
    });
    let body = client_page(
        &ClientPage {
            id: &client.id,
            confidential: client.is_confidential(),
            authentication: &authentication_of(client),
            resources: &client.resources,
            disabled: client.disabled,
            status: client.status.as_str(),
            active_tokens: live,
            created: when(client.created_at, state.core.clock.now_secs()),
            csrf: &admin.web.csrf,
            actions: actions(client),
            second_factor_required: client.require_second_factor,
            registration: super::registrations::panel(state, admin, client, approval).await?,
        },
        form,
    );
    let notice =
        notice.or((!errors.is_empty()).then_some((Tone::Error, "Check the highlighted fields.")));
    let frame = Frame::new(Section::Clients, &client.name).notice(notice);
    Ok(admin_page(state, admin, status, frame, body))
}

pub async fn edit(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let client = admin::find_client(&Ctx::of(&state.core), &id).await?;
    let notice = notice(
        query.as_deref(),
        &[
            ("saved", "Changes saved."),
            (
                "disabled",
                "Client disabled. Its requests now fail with invalid_client and its tokens stop working.",
            ),
            ("enabled", "Client enabled."),
            ("second_factor", "Second-factor rule saved."),
            (
                "keys",
                "Keys replaced. Assertions are now checked with the new keys.",
            ),
            (
                "approved",
                "Client approved. It may now use what it registered for.",
            ),
            (
                "rejected",
                "Client rejected. Every request it makes is refused.",
            ),
        ],
    );
    let ctx = Ctx::of(&state.core);
    let uris = admin::client_redirect_uris(&ctx, &client.id).await?;
    let post_logout = admin::client_post_logout_redirect_uris(&ctx, &client.id).await?;
    let fields = ClientFields::of(&client, &uris, &post_logout);
    edit_page(
        &state,
        &admin,
        StatusCode::OK,
        &client,
        &fields,
        &[],
        notice.map(|n| (Tone::Success, n)),
        ("", None),
    )
    .await
}

/// `POST /admin/clients/{id}`: saves name, scopes, redirect URIs and the
/// refresh setting.
pub async fn update(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { form, .. }: CsrfForm<ClientFields>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let client = admin::find_client(&ctx, &id).await?;
    match form.spec() {
        Ok(spec) => {
            admin::update_client(&ctx, &admin.actor(), &client.id, &spec).await?;
            let back = with_query(&with_id(paths::ADMIN_CLIENT, &client.id), &[("saved", "1")]);
            Ok(Redirect::to(&back).into_response())
        }
        Err(errors) => {
            edit_page(
                &state,
                &admin,
                StatusCode::UNPROCESSABLE_ENTITY,
                &client,
                &form,
                &errors,
                None,
                ("", None),
            )
            .await
        }
    }
}

pub async fn confirm_disable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let client = admin::find_client(&ctx, &id).await?;
    let live = admin::live_tokens(&ctx, TokenOwner::Client(&client.id)).await?;
    let action = with_id(paths::ADMIN_CLIENT_DISABLE, &client.id);
    let cancel = with_id(paths::ADMIN_CLIENT, &client.id);
    let question = format!("Disable {}?", client.name);
    let page = ConfirmPage {
        confirm: Confirm {
            question: &question,
            consequence: "Every request of this client then fails with invalid_client, and its tokens stop working while it is disabled. You can enable it again later.",
            verb: "Disable client",
            post: PostForm::new(&action, &admin.web.csrf),
        },
        details: vec![
            ("Client ID", full_id(&client.id)),
            ("Active tokens", html! { (live) }),
        ],
        cancel: &cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Clients,
        "Disable client",
        &page,
    ))
}

pub async fn disable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    admin::set_client_disabled(&Ctx::of(&state.core), &admin.actor(), &id, true).await?;
    let back = with_query(&with_id(paths::ADMIN_CLIENT, &id), &[("disabled", "1")]);
    Ok(Redirect::to(&back).into_response())
}

pub async fn enable(
    State(state): State<AppState>,
    admin: AdminUser,
    IdPath(id): IdPath,
    CsrfForm { .. }: CsrfForm<Empty>,
) -> Result<Response, PageError> {
    admin::set_client_disabled(&Ctx::of(&state.core), &admin.actor(), &id, false).await?;
    let back = with_query(&with_id(paths::ADMIN_CLIENT, &id), &[("enabled", "1")]);
    Ok(Redirect::to(&back).into_response())
}

/// How `client` authenticates, in words for its page.
fn authentication_of(client: &Client) -> String {
    use crate::model::client::ClientKeys;
    match (&client.keys, &client.secret_hash) {
        (Some(ClientKeys::Jwks(_)), _) => {
            "A signed JWT (private_key_jwt), with registered keys".into()
        }
        (Some(ClientKeys::JwksUri(uri)), _) => {
            format!("A signed JWT (private_key_jwt), with the keys at {uri}")
        }
        (None, Some(_)) => "A secret (client_secret_basic or client_secret_post)".into(),
        (None, None) => "Nothing: a public client, with PKCE".into(),
    }
}
