//! The verification journey: `GET /device` (code entry), `POST /device`
//! (consent, as an htmx partial), `POST /device/decision`, and the result
//! pages.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use components::device::{self as view, CodeEntry, Consent, Outcome, ResultCard};
use maud::{Markup, html};
use serde::Deserialize;

use super::render::{html as html_response, page, page_or_fragment, query_param};
use super::session::{CsrfForm, SignedIn, WebSession};
use super::step_up::send_for_factor;
use crate::domain::code_guard::{self, Guesser};
use crate::domain::{Error, consent, step_up, user_agent};
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::paths;
use crate::model::{Decision, UserCode};
use crate::model::{resource, scope};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct CodeFields {
    #[serde(default)]
    pub user_code: String,
}

#[derive(Debug, Deserialize)]
pub struct DecisionFields {
    /// The consent ticket of the view (see `domain/consent.rs`).
    #[serde(default)]
    pub consent: String,
    #[serde(default)]
    pub decision: String,
}

/// The swappable panel around the journey's current card.
fn panel(inner: Markup) -> Markup {
    html! { div id=(view::PANEL_ID) { (inner) } }
}

/// What a person typed, shown back to them: the canonical form when it is
/// a valid code, otherwise their text (bounded).
fn echo(typed: &str) -> String {
    UserCode::parse(typed)
        .map(|c| c.display())
        .unwrap_or_else(|| typed.chars().take(32).collect())
}

fn entry_markup(web: &WebSession, value: &str, error: Option<&str>, prefilled: bool) -> Markup {
    view::code_entry(&CodeEntry {
        action: paths::DEVICE,
        csrf: &web.csrf,
        value,
        error,
        prefilled,
    })
}

/// `GET /device[?user_code=...]`.
pub async fn show(
    State(state): State<AppState>,
    SignedIn { web, .. }: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let typed = query_param(query.as_deref(), "user_code").unwrap_or_default();
    let value = echo(&typed);
    let body = panel(entry_markup(&web, &value, None, !typed.is_empty()));
    html_response(StatusCode::OK, page(&state, &web, "Connect a device", body))
}

/// The message shown under the field for a code that cannot be used.
fn code_problem(e: &Error) -> Option<&'static str> {
    match e {
        Error::UnknownUserCode => {
            Some("That code is not valid. Check it on your device and try again.")
        }
        Error::ExpiredUserCode => {
            Some("That code has expired. Start again on your device to get a new one.")
        }
        Error::UserCodeAlreadyUsed => {
            Some("That code has already been used. Start again on your device.")
        }
        Error::StaleConsent => {
            Some("That approval page has expired. Enter the code from your device again.")
        }
        _ => None,
    }
}

/// `POST /device`: the typed code leads to the consent view, or back to
/// the field with an inline error (422, or 429 with `Retry-After` while
/// guessing is limited; swapped in by htmx).
pub async fn submit_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<CodeFields>,
) -> Result<Response, PageError> {
    let typed = form.user_code.trim();
    let who = Guesser {
        session: &web.csrf,
        user_id: &user.id,
        ip,
    };
    let (code, client) = match code_guard::find_pending(&state.core, &who, typed).await {
        Ok(found) => found,
        Err(e) => return refused_entry(&state, &web, &headers, typed, e),
    };
    let display = code.user_code.display();
    let factor_at = web.factor_at().await?;
    match step_up::check_approval(&state.core, &user.id, &client, factor_at, None).await {
        Ok(()) => {}
        Err(Error::SecondFactorNeeded { enrol, .. }) => {
            let here = format!("{}?user_code={display}", paths::DEVICE);
            return Ok(send_for_factor(&headers, enrol, &here));
        }
        Err(e) => return Err(e.into()),
    }
    let now = state.core.clock.now_secs();
    let scopes: Vec<String> = code
        .scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let words: Vec<String> = scopes.iter().map(|s| scope::describe(s)).collect();
    let device = user_agent::describe(code.user_agent.as_deref());
    let ticket = consent::issue(&state.core, &web.csrf, &user.id, &code);
    let signed_in_with = web.amr().await?.describe();
    let view = view::consent(&Consent {
        action: paths::DEVICE_DECISION,
        csrf: &web.csrf,
        app_name: &client.name,
        user_code: &display,
        ticket: &ticket,
        device: &device,
        address: code.requester_ip.as_deref(),
        requested_secs_ago: (now - code.created_at.0).max(0),
        scopes: scopes
            .iter()
            .map(String::as_str)
            .zip(words.iter().map(String::as_str))
            .collect(),
        resources: resource::with_hosts(&code.resources),
        account: &user.username,
        signed_in_with: &signed_in_with,
    });
    Ok(page_or_fragment(
        &state,
        &web,
        &headers,
        StatusCode::OK,
        "Authorize device",
        view,
        panel,
    ))
}

/// The code-entry form again, with why `typed` was refused: 429 with
/// `Retry-After` while a guessing budget is spent, 422 for a code that
/// cannot be used; anything else is an error page.
fn refused_entry(
    state: &AppState,
    web: &WebSession,
    headers: &HeaderMap,
    typed: &str,
    e: Error,
) -> Result<Response, PageError> {
    let (status, message, retry_after) = match &e {
        Error::TooManyAttempts { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many attempts. Wait {} seconds, then try again.",
                retry_after_secs.max(&1)
            ),
            Some(*retry_after_secs),
        ),
        other => match code_problem(other) {
            Some(message) => (StatusCode::UNPROCESSABLE_ENTITY, message.to_owned(), None),
            None => return Err(e.into()),
        },
    };
    let entry = entry_markup(web, &echo(typed), Some(&message), false);
    let mut response = page_or_fragment(
        state,
        web,
        headers,
        status,
        "Connect a device",
        entry,
        panel,
    );
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    Ok(response)
}

/// `POST /device/decision`: approve or deny the request the consent view
/// showed (named by its ticket), then the result page.
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<DecisionFields>,
) -> Result<Response, PageError> {
    let decision = Decision::parse(&form.decision)
        .ok_or_else(|| PageError::BadRequest("Choose Approve or Deny.".into()))?;
    let ip = ip.map(|ip| ip.to_string());
    let proof = web.proof_or(state.core.clock.now_secs()).await?;
    let decided = consent::decide(
        &state.core,
        &web.csrf,
        &user.id,
        &form.consent,
        decision,
        ip,
        proof,
    )
    .await;
    match decided {
        Ok((_, client)) => {
            let outcome = match decision {
                Decision::Approve => "approved",
                Decision::Deny => "denied",
            };
            web.remember_outcome(outcome, Some(&client.name)).await?;
            Ok(Redirect::to(&paths::device_result(outcome)).into_response())
        }
        Err(Error::SecondFactorNeeded { enrol, user_code }) => {
            let here = match user_code {
                Some(code) => format!("{}?user_code={code}", paths::DEVICE),
                None => paths::DEVICE.to_owned(),
            };
            Ok(send_for_factor(&headers, enrol, &here))
        }
        Err(Error::ExpiredUserCode) => {
            web.remember_outcome("expired", None).await?;
            Ok(Redirect::to(&paths::device_result("expired")).into_response())
        }
        Err(e) => match code_problem(&e) {
            Some(message) => {
                let body = panel(entry_markup(&web, "", Some(message), false));
                Ok(html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    page(&state, &web, "Connect a device", body),
                ))
            }
            None => Err(e.into()),
        },
    }
}

/// `GET /device/{approved|denied|expired}`.
pub async fn result(
    State(state): State<AppState>,
    SignedIn { web, .. }: SignedIn,
    Path(outcome): Path<String>,
) -> Result<Response, PageError> {
    let (kind, title) = match outcome.as_str() {
        "approved" => (Outcome::Approved, "Device connected"),
        "denied" => (Outcome::Denied, "Request denied"),
        "expired" => (Outcome::Expired, "Code expired"),
        _ => return Err(PageError::NotFound),
    };
    // Only the outcome of this session's own last decision is shown.
    let Some(app) = web.outcome_app(&outcome).await? else {
        return Ok(Redirect::to(paths::DEVICE).into_response());
    };
    let outcome = kind;
    let body = view::result(&ResultCard {
        outcome,
        app_name: app.as_deref(),
        another_device: paths::DEVICE,
        logout: paths::LOGOUT,
        csrf: &web.csrf,
    });
    Ok(html_response(
        StatusCode::OK,
        page(&state, &web, title, body),
    ))
}
