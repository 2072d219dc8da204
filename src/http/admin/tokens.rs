//! `/admin/tokens`: the token list, and revoking one token, a user's or a
//! client's (each after a confirmation page).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::tokens::{BulkRevoke, TokenRow, TokensPage, tokens_page};
use components::admin::{Confirm, Section, confirm};
use components::feedback::Tone;
use maud::html;
use serde::Deserialize;

use super::audit::{page_at, pager};
use super::extract::AdminUser;
use super::render::{Frame, admin_page, token_status, when};
use crate::domain::admin::{self, Ctx, TokenEntry, TokenStatus};
use crate::http::error::PageError;
use crate::http::paths::{self, with_query};
use crate::http::ui::render::query_param;
use crate::http::ui::session::CsrfForm;
use crate::state::AppState;
use crate::store::{TokenFilter, TokenOwner};

fn param(query: Option<&str>, name: &str) -> Option<String> {
    query_param(query, name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

fn rows(entries: &[TokenEntry], now: i64) -> Vec<TokenRow<'_>> {
    entries
        .iter()
        .map(|e| {
            let t = &e.listing;
            let (status, hue) = token_status(e.status);
            TokenRow {
                jti: &t.jti,
                username: &t.username,
                user_href: with_query(paths::ADMIN_TOKENS, &[("user", &t.user_id)]),
                client_name: &t.client_name,
                client_href: with_query(paths::ADMIN_TOKENS, &[("client", &t.client_id)]),
                scope: &t.scope,
                status,
                hue,
                issued: when(t.issued_at, now),
                expires: when(t.expires_at, now),
                revoke_href: (e.status == TokenStatus::Active)
                    .then(|| with_query(paths::ADMIN_TOKENS_REVOKE, &[("jti", &t.jti)])),
            }
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let ctx = Ctx::of(&state.core);
    let search = param(q, "q");
    let status = param(q, "status").and_then(|s| TokenStatus::parse(&s));
    let user_id = param(q, "user");
    let client_id = param(q, "client");
    let filter = TokenFilter {
        search: search.as_deref(),
        status,
        user_id: user_id.as_deref(),
        client_id: client_id.as_deref(),
    };
    let page = admin::tokens(&ctx, &filter, &page_at(q)).await?;
    let clients = admin::client_choices(&ctx).await?;
    let user = match &user_id {
        Some(id) => ctx
            .store
            .find_user_by_id(id)
            .await
            .map_err(crate::domain::Error::from)?,
        None => None,
    };
    let now = state.core.clock.now_secs();
    let status_str = status.map(TokenStatus::as_str).unwrap_or("");
    let search_str = search.as_deref().unwrap_or("");
    let user_str = user_id.as_deref().unwrap_or("");
    let client_str = client_id.as_deref().unwrap_or("");
    let filters = [
        ("q", search_str),
        ("status", status_str),
        ("user", user_str),
        ("client", client_str),
    ];
    let mut client_options = vec![("", "All clients")];
    client_options.extend(
        clients
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str())),
    );
    let user_label = user
        .as_ref()
        .map(|u| format!("Revoke all tokens of {}…", u.username));
    let client = clients
        .iter()
        .find(|(id, _)| Some(id) == client_id.as_ref());
    let client_label = client.map(|(_, name)| format!("Revoke all tokens of {name}…"));
    let mut bulk = Vec::new();
    if let (Some(u), Some(label)) = (&user, &user_label) {
        bulk.push(BulkRevoke {
            label,
            href: with_query(paths::ADMIN_TOKENS_REVOKE, &[("user", &u.id)]),
        });
    }
    if let (Some((id, _)), Some(label)) = (client, &client_label) {
        bulk.push(BulkRevoke {
            label,
            href: with_query(paths::ADMIN_TOKENS_REVOKE, &[("client", id)]),
        });
    }
    let revoked = param(q, "revoked").and_then(|n| n.parse::<u64>().ok());
    let notice = revoked.map(|n| match n {
        1 => "1 active token revoked. It fails /oauth/tokeninfo from now on.".to_owned(),
        n => format!("{n} active tokens revoked. They fail /oauth/tokeninfo from now on."),
    });
    let body = tokens_page(&TokensPage {
        form_action: paths::ADMIN_TOKENS,
        search: search_str,
        status: status_str,
        status_options: vec![
            ("", "All"),
            ("active", "Active"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
        ],
        client: client_str,
        client_options,
        user: user.as_ref().map(|u| (u.id.as_str(), u.username.as_str())),
        rows: rows(&page.rows, now),
        pager: pager(
            paths::ADMIN_TOKENS,
            &filters,
            page.newer.as_ref(),
            page.older.as_ref(),
        ),
        bulk,
    });
    let frame = Frame::new(Section::Tokens, "Tokens")
        .subtitle("Access tokens, newest first. Revoking one stops it at once.")
        .notice(notice.as_deref().map(|n| (Tone::Success, n)));
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}

/// What a revocation is for: exactly one of the three.
#[derive(Debug, Deserialize, Default)]
pub struct RevokeFields {
    #[serde(default)]
    pub jti: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub client: String,
}

enum Target {
    Token(String),
    User(String),
    Client(String),
}

impl RevokeFields {
    fn target(self) -> Result<Target, PageError> {
        match (self.jti.trim(), self.user.trim(), self.client.trim()) {
            (j, "", "") if !j.is_empty() => Ok(Target::Token(j.to_owned())),
            ("", u, "") if !u.is_empty() => Ok(Target::User(u.to_owned())),
            ("", "", c) if !c.is_empty() => Ok(Target::Client(c.to_owned())),
            _ => Err(PageError::BadRequest(
                "Say which token, user or client to revoke.".into(),
            )),
        }
    }
}

/// `GET /admin/tokens/revoke?jti=|user=|client=`: what will be revoked.
pub async fn confirm_revoke(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let fields = RevokeFields {
        jti: query_param(q, "jti").unwrap_or_default(),
        user: query_param(q, "user").unwrap_or_default(),
        client: query_param(q, "client").unwrap_or_default(),
    };
    let ctx = Ctx::of(&state.core);
    let now = state.core.clock.now_secs();
    let (title, message, details, hidden, cancel) = match fields.target()? {
        Target::Token(jti) => {
            let token = ctx
                .store
                .find_access_token(&jti)
                .await
                .map_err(crate::domain::Error::from)?
                .ok_or(PageError::NotFound)?;
            let client = admin::find_client(&ctx, &token.client_id).await?;
            let details = vec![
                (
                    "Token",
                    html! { code class="break-all font-mono text-xs" { (token.jti) } },
                ),
                ("User", html! { (token.username) }),
                ("Client", html! { (client.name) }),
                ("Scope", html! { span class="font-mono" { (token.scope) } }),
                (
                    "Expires",
                    components::admin::when(&when(token.expires_at, now)),
                ),
            ];
            (
                "Revoke this token?".to_owned(),
                "The token fails /oauth/tokeninfo at once. The device's refresh token from the same approval is revoked too, so it cannot get a new one: the user must approve it again.".to_owned(),
                details,
                ("jti", jti),
                with_query(paths::ADMIN_TOKENS, &[]),
            )
        }
        Target::User(id) => {
            let user = admin::find_user(&ctx, &id).await?;
            let live = admin::live_tokens(&ctx, TokenOwner::User(&user.id)).await?;
            (
                format!("Revoke all tokens of {}?", user.username),
                format!(
                    "Every access and refresh token of {} stops working at once ({live} active). Their devices must be approved again.",
                    user.username
                ),
                vec![("Active tokens", html! { (live) })],
                ("user", user.id.clone()),
                with_query(paths::ADMIN_TOKENS, &[("user", &user.id)]),
            )
        }
        Target::Client(id) => {
            let client = admin::find_client(&ctx, &id).await?;
            let live = admin::live_tokens(&ctx, TokenOwner::Client(&client.id)).await?;
            (
                format!("Revoke all tokens of {}?", client.name),
                format!(
                    "Every access and refresh token issued to {} stops working at once ({live} active), for every user.",
                    client.name
                ),
                vec![
                    (
                        "Client ID",
                        html! { code class="break-all font-mono text-xs" { (client.id) } },
                    ),
                    ("Active tokens", html! { (live) }),
                ],
                ("client", client.id.clone()),
                with_query(paths::ADMIN_TOKENS, &[("client", &client.id)]),
            )
        }
    };
    let body = confirm(&Confirm {
        title: &title,
        message: &message,
        details,
        action: paths::ADMIN_TOKENS_REVOKE,
        csrf: &admin.web.csrf,
        hidden: vec![(hidden.0, &hidden.1)],
        confirm_label: "Revoke",
        cancel: &cancel,
        danger: true,
    });
    let frame = Frame::new(Section::Tokens, "Revoke tokens");
    Ok(admin_page(&state, &admin, StatusCode::OK, frame, body))
}

/// `POST /admin/tokens/revoke`: revokes, then back to the list.
pub async fn revoke(
    State(state): State<AppState>,
    admin: AdminUser,
    CsrfForm { form, .. }: CsrfForm<RevokeFields>,
) -> Result<Response, PageError> {
    let ctx = Ctx::of(&state.core);
    let actor = admin.actor();
    let (n, back) = match form.target()? {
        Target::Token(jti) => (admin::revoke_token(&ctx, &actor, &jti).await?, vec![]),
        Target::User(id) => {
            let n = admin::revoke_user_tokens(&ctx, &actor, &id).await?;
            (n, vec![("user", id)])
        }
        Target::Client(id) => {
            let n = admin::revoke_client_tokens(&ctx, &actor, &id).await?;
            (n, vec![("client", id)])
        }
    };
    let count = n.to_string();
    let mut pairs: Vec<(&str, &str)> = back.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("revoked", &count));
    Ok(Redirect::to(&with_query(paths::ADMIN_TOKENS, &pairs)).into_response())
}
