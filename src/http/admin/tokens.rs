//! `/admin/tokens`: the token list, and revoking one token, a user's or a
//! client's (each after a confirmation page).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use components::admin::tokens::{BulkRevoke, TokenRow, TokensPage, tokens_page};
use components::admin::{Confirm, ConfirmPage, PostForm, Section, full_id};
use components::feedback::Tone;
use maud::{Markup, html};
use serde::Deserialize;

use super::audit::{page_at, pager};
use super::extract::AdminUser;
use super::render::{Frame, admin_page, confirm_page, token_status, when};
use crate::domain::Error;
use crate::domain::admin::{self, Ctx, TokenEntry};
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths::{self, with_query};
use crate::http::ui::render::query_param;
use crate::http::ui::session::CsrfForm;
use crate::model::resource;
use crate::model::token::TokenStatus;
use crate::state::AppState;
use crate::store::{TokenFilter, TokenKind, TokenOwner};

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
                user: t
                    .username
                    .as_deref()
                    .zip(t.user_id.as_deref())
                    .map(|(name, id)| (name, with_query(paths::ADMIN_TOKENS, &[("user", id)]))),
                client_name: &t.client_name,
                client_href: with_query(paths::ADMIN_TOKENS, &[("client", &t.client_id)]),
                scope: &t.scope,
                apis: resource::from_stored(&t.audience),
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

/// The list's filters, from the query string.
struct Filters {
    search: String,
    status: Option<TokenStatus>,
    user_id: String,
    client_id: String,
    kind: Option<TokenKind>,
}

impl Filters {
    fn parse(q: Option<&str>) -> Self {
        Filters {
            search: param(q, "q").unwrap_or_default(),
            status: param(q, "status").and_then(|s| TokenStatus::parse(&s)),
            user_id: param(q, "user").unwrap_or_default(),
            client_id: param(q, "client").unwrap_or_default(),
            kind: param(q, "kind").and_then(|k| TokenKind::parse(&k)),
        }
    }

    fn store(&self) -> TokenFilter<'_> {
        fn set(s: &str) -> Option<&str> {
            (!s.is_empty()).then_some(s)
        }
        TokenFilter {
            search: set(&self.search),
            status: self.status,
            user_id: set(&self.user_id),
            client_id: set(&self.client_id),
            kind: self.kind,
        }
    }

    /// As query parameters, for the pager.
    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("q", &self.search),
            ("status", self.status.map(TokenStatus::as_str).unwrap_or("")),
            ("user", &self.user_id),
            ("client", &self.client_id),
            ("kind", self.kind.map(TokenKind::as_str).unwrap_or("")),
        ]
    }
}

/// "Revoke all tokens of …" for the user and client the list is narrowed to.
fn bulk_revokes(user: Option<&User>, client: Option<&(String, String)>) -> Vec<BulkRevoke> {
    let revoke = |name: &str, param: &str, id: &str| BulkRevoke {
        label: format!("Revoke all tokens of {name}…"),
        href: with_query(paths::ADMIN_TOKENS_REVOKE, &[(param, id)]),
    };
    let mut bulk = Vec::new();
    bulk.extend(user.map(|u| revoke(&u.username, "user", &u.id)));
    bulk.extend(client.map(|(id, name)| revoke(name, "client", id)));
    bulk
}

/// The notice after a revocation (`?revoked=N`).
fn revoked_notice(q: Option<&str>) -> Option<String> {
    param(q, "revoked")
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| match n {
            1 => "1 active token revoked. It fails /oauth/tokeninfo from now on.".to_owned(),
            n => format!("{n} active tokens revoked. They fail /oauth/tokeninfo from now on."),
        })
}

pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let q = query.as_deref();
    let ctx = Ctx::of(&state.core);
    let filters = Filters::parse(q);
    let page = admin::tokens(&ctx, &filters.store(), &page_at(q)).await?;
    let clients = admin::client_choices(&ctx).await?;
    let user = match filters.user_id.as_str() {
        "" => None,
        id => ctx.store.find_user_by_id(id).await.map_err(Error::from)?,
    };
    let client = clients.iter().find(|(id, _)| *id == filters.client_id);
    let mut client_options = vec![("", "All clients")];
    client_options.extend(
        clients
            .iter()
            .map(|(id, name)| (id.as_str(), name.as_str())),
    );
    let pairs = filters.pairs();
    let body = tokens_page(&TokensPage {
        form_action: paths::ADMIN_TOKENS,
        search: &filters.search,
        status: pairs[1].1,
        status_options: vec![
            ("", "All"),
            ("active", "Active"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
        ],
        kind: pairs[4].1,
        kind_options: vec![
            ("", "People and machines"),
            ("people", "People's"),
            ("machines", "Machines' (client credentials)"),
        ],
        client: &filters.client_id,
        client_options,
        user: user.as_ref().map(|u| (u.id.as_str(), u.username.as_str())),
        rows: rows(&page.rows, state.core.clock.now_secs()),
        pager: pager(
            paths::ADMIN_TOKENS,
            &pairs,
            page.newer.as_ref(),
            page.older.as_ref(),
        ),
        bulk: bulk_revokes(user.as_ref(), client),
    });
    let notice = revoked_notice(q);
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

/// What a confirmation page says about one revocation.
struct Confirmation {
    question: String,
    consequence: String,
    details: Vec<(&'static str, Markup)>,
    /// The hidden field naming the target.
    field: (&'static str, String),
    cancel: String,
}

async fn describe(state: &AppState, target: Target) -> Result<Confirmation, PageError> {
    let ctx = Ctx::of(&state.core);
    Ok(match target {
        Target::Token(jti) => {
            let token = ctx
                .store
                .find_access_token(&jti)
                .await
                .map_err(Error::from)?
                .ok_or(PageError::NotFound)?;
            let client = admin::find_client(&ctx, &token.client_id).await?;
            let expires = when(token.expires_at, state.core.clock.now_secs());
            Confirmation {
                question: "Revoke this token?".to_owned(),
                consequence:
                    "The token fails /oauth/tokeninfo at once. The device's refresh token \
                          from the same approval is revoked too, so it cannot get a new one: \
                          the user must approve it again."
                        .to_owned(),
                details: vec![
                    ("Token", full_id(&token.jti)),
                    (
                        "User",
                        html! { (token.username.as_deref().unwrap_or("— (the client itself)")) },
                    ),
                    ("Client", html! { (client.name) }),
                    ("Scope", html! { span class="font-mono" { (token.scope) } }),
                    ("Expires", components::admin::when(&expires)),
                ],
                field: ("jti", jti),
                cancel: paths::ADMIN_TOKENS.to_owned(),
            }
        }
        Target::User(id) => {
            let user = admin::find_user(&ctx, &id).await?;
            let live = admin::live_tokens(&ctx, TokenOwner::User(&user.id)).await?;
            Confirmation {
                question: format!("Revoke all tokens of {}?", user.username),
                consequence: format!(
                    "Every access and refresh token of {} stops working at once ({live} active). \
                     Their devices must be approved again.",
                    user.username
                ),
                details: vec![("Active tokens", html! { (live) })],
                cancel: with_query(paths::ADMIN_TOKENS, &[("user", &user.id)]),
                field: ("user", user.id.into_string()),
            }
        }
        Target::Client(id) => {
            let client = admin::find_client(&ctx, &id).await?;
            let live = admin::live_tokens(&ctx, TokenOwner::Client(&client.id)).await?;
            Confirmation {
                question: format!("Revoke all tokens of {}?", client.name),
                consequence: format!(
                    "Every access and refresh token issued to {} stops working at once \
                     ({live} active), for every user.",
                    client.name
                ),
                details: vec![
                    ("Client ID", full_id(&client.id)),
                    ("Active tokens", html! { (live) }),
                ],
                cancel: with_query(paths::ADMIN_TOKENS, &[("client", &client.id)]),
                field: ("client", client.id.into_string()),
            }
        }
    })
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
    let c = describe(&state, fields.target()?).await?;
    let (name, value) = &c.field;
    let page = ConfirmPage {
        confirm: Confirm {
            question: &c.question,
            consequence: &c.consequence,
            verb: "Revoke",
            post: PostForm {
                hidden: vec![(name, value)],
                ..PostForm::new(paths::ADMIN_TOKENS_REVOKE, &admin.web.csrf)
            },
        },
        details: c.details,
        cancel: &c.cancel,
    };
    Ok(confirm_page(
        &state,
        &admin,
        Section::Tokens,
        "Revoke tokens",
        &page,
    ))
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
    if n > 0 {
        state
            .core
            .metrics
            .tokens_revoked(crate::metrics::Revoker::Admin);
    }
    let count = n.to_string();
    let mut pairs: Vec<(&str, &str)> = back.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("revoked", &count));
    Ok(Redirect::to(&with_query(paths::ADMIN_TOKENS, &pairs)).into_response())
}
