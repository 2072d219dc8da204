//! Sign-in for apps: `GET /oauth/authorize` (RFC 6749 §4.1.1, RFC 7636)
//! and `POST /oauth/authorize/decision`.
//!
//! These live under `/oauth` as the RFCs' endpoint names go, but answer
//! people: a request that cannot be answered at a redirect URI is an error
//! page, never a redirect (RFC 6749 §4.1.2.1); signed-out visitors sign in
//! and come back; the consent page is built from the device consent's
//! components. Everything else goes back to the application by a 303
//! with `Cache-Control: no-store`.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use components::authorize::{AppConsent, app_consent};
use serde::Deserialize;
use utoipa::ToSchema;

use super::device::DecisionFields;
use super::render::{html as html_response, page};
use super::session::{CsrfForm, SignedIn, WebSession, login_url_for};
use super::step_up::send_for_factor;
use crate::domain::Error;
use crate::domain::authorize::{self, AuthorizeParams};
use crate::domain::step_up;
use crate::http::error::PageError;
use crate::http::extract::ClientIp;
use crate::http::openapi::FORM;
use crate::http::{paths, security_headers};
use crate::metrics::AuthorizeOutcome;
use crate::model::Decision;
use crate::model::redirect_uri;
use crate::model::{resource, scope};
use crate::state::AppState;

/// A 303 to `location` that nobody may cache: it may carry a code.
fn see_other(location: &str) -> Result<Response, PageError> {
    let value = HeaderValue::try_from(location)
        .map_err(|_| PageError::BadRequest("The application's address is malformed.".into()))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, value);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A refused request: back to the application when it is safe, else a page.
fn refused(state: &AppState, e: Error) -> Result<Response, PageError> {
    let count = |outcome| state.core.metrics.authorization(outcome);
    match e {
        Error::AuthorizationRefused(redirect) => {
            count(AuthorizeOutcome::Refused);
            see_other(&authorize::error_location(&state.core, &redirect))
        }
        Error::InvalidAuthorizationRequest(message) => {
            count(AuthorizeOutcome::Invalid);
            Err(PageError::BadRequest(message))
        }
        // The consent page stayed open past the second factor's window.
        Error::SecondFactorNeeded { .. } => Err(PageError::Forbidden(
            "Approving this needs your second factor again. Go back to the application and \
             start again."
                .into(),
        )),
        other => Err(other.into()),
    }
}

/// The consent page's form, as documented (the handler reads it as the
/// device decision's fields).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionForm {
    pub csrf_token: String,
    /// The sealed consent ticket of the page.
    pub consent: String,
    /// `approve` or `deny`.
    pub decision: String,
}

/// The authorization endpoint (RFC 6749 §4.1.1, PKCE per RFC 7636).
///
/// A page for people, not a JSON endpoint: a signed-out visitor is sent to
/// sign-in and back; a signed-in one sees the consent page, or is sent
/// back with a code at once when they already consented to every scope
/// asked (unless `prompt=consent`). `prompt=none` never shows a page
/// (`login_required`, `consent_required`); `prompt=login` and a sign-in
/// older than `max_age` send the person to sign in again, once. Errors about the
/// client or the redirect URI are an HTML page; every other error goes to
/// the redirect URI with `error`, `error_description`, `state` and `iss`.
#[utoipa::path(
    get,
    path = paths::AUTHORIZE,
    tag = "sign-in for apps",
    params(
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query),
        ("redirect_uri" = Option<String>, Query, description = "Required unless the client registered exactly one"),
        ("scope" = Option<String>, Query, description = "Defaults to every scope the client may have"),
        ("state" = Option<String>, Query, description = "Echoed to the redirect URI"),
        ("code_challenge" = Option<String>, Query, description = "S256 challenge; required for public clients"),
        ("code_challenge_method" = Option<String>, Query, description = "`S256` (`plain` is refused)"),
        ("nonce" = Option<String>, Query),
        ("dpop_jkt" = Option<String>, Query, description = "RFC 9449 §10: the code is then only exchanged with a DPoP proof of this key"),
        ("prompt" = Option<String>, Query, description = "`none`, `login`, `consent`, `select_account` (OpenID Connect Core §3.1.2.1)"),
        ("max_age" = Option<i64>, Query, description = "Sign in again when the sign-in is older (seconds)"),
        ("login_hint" = Option<String>, Query, description = "Prefills the username on the sign-in form"),
        ("idp_hint" = Option<String>, Query, description = "Name of an upstream provider: sign-in goes straight to it"),
    ),
    responses(
        (status = 200, description = "The consent page", content_type = "text/html", body = String),
        (status = 303, description = "To sign-in, or to the redirect URI with a code (remembered consent) or an error",
            headers(("Location" = String))),
        (status = 400, description = "An error page: unknown client, unregistered or missing redirect URI",
            content_type = "text/html", body = String),
    )
)]
pub async fn authorize(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    web: WebSession,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let params = AuthorizeParams::parse(&query);
    let request = match authorize::check(&state.core, &params).await {
        Ok(request) => request,
        Err(e) => return refused(&state, e),
    };
    let now = state.core.clock.now_secs();
    let auth_time = web.auth_time().await?;
    let signed_in_for = web.user.is_some() && web.signed_in_for(&query).await?;
    let user = match web.user.clone() {
        Some(user)
            if !authorize::must_sign_in(
                request.prompt,
                request.max_age,
                auth_time,
                now,
                signed_in_for,
            ) =>
        {
            user
        }
        signed_in => {
            // OpenID Connect Core §3.1.2.6: prompt=none shows no page.
            if request.prompt.none {
                let e = request.refusal("login_required", "the user must sign in");
                return refused(&state, e);
            }
            // Remembered so that coming back signed in ends the loop.
            web.ask_sign_in_for(&query, now).await?;
            let here = format!("{}?{query}", paths::AUTHORIZE);
            let login = login_url_for(&here, signed_in.is_some(), request.login_hint.as_deref());
            state.core.metrics.authorization(AuthorizeOutcome::SignIn);
            return Ok(Redirect::to(&login).into_response());
        }
    };
    let factor_at = web.factor_at().await?;
    let client = &request.client;
    match step_up::check_approval(&state.core, &user.id, client, factor_at, request.acr).await {
        Ok(()) => {}
        // Core §3.1.2.6: without a page there is no way to step up.
        Err(Error::SecondFactorNeeded { .. }) if request.prompt.none => {
            let e = request.refusal("interaction_required", "a second factor is needed");
            return refused(&state, e);
        }
        Err(Error::SecondFactorNeeded { enrol, .. }) => {
            let here = format!("{}?{query}", paths::AUTHORIZE);
            return Ok(send_for_factor(&HeaderMap::new(), enrol, &here));
        }
        Err(e) => return Err(e.into()),
    }
    let authn = web.authentication_or(now).await?;
    let ip = ip.map(|ip| ip.to_string());
    match authorize::answer_remembered(&state.core, &user.id, authn, &request, ip).await {
        Ok(Some(location)) => {
            state
                .core
                .metrics
                .authorization(AuthorizeOutcome::Remembered);
            return see_other(&location);
        }
        Ok(None) => state
            .core
            .metrics
            .authorization(AuthorizeOutcome::ConsentShown),
        Err(e) => return refused(&state, e),
    }
    let ticket = authorize::issue_ticket(&state.core, &web.csrf, &user.id, &request)?;
    let scopes: Vec<String> = request.scope.iter().map(str::to_owned).collect();
    let words: Vec<String> = scopes.iter().map(|s| scope::describe(s)).collect();
    let returns_to = redirect_uri::destination(&request.redirect_uri);
    let view = app_consent(&AppConsent {
        action: paths::AUTHORIZE_DECISION,
        csrf: &web.csrf,
        app_name: &request.client.name,
        returns_to: &returns_to,
        ticket: &ticket,
        scopes: scopes
            .iter()
            .map(String::as_str)
            .zip(words.iter().map(String::as_str))
            .collect(),
        resources: resource::with_hosts(&request.resources),
        account: &user.username,
    });
    let mut response = html_response(
        StatusCode::OK,
        page(&state, &web, "Sign in to an application", view),
    );
    // The decision's 303 leaves for the application: Chromium checks that
    // redirect against this page's `form-action`.
    if let Some(csp) = redirect_uri::csp_source(&request.redirect_uri)
        .and_then(|source| security_headers::csp_with_form_target(state.http.dev, &source))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

/// The person's answer on the consent page.
///
/// Approve: 303 to the redirect URI with `code`, `state` and `iss`. Deny:
/// `error=access_denied` there. A stale or foreign consent ticket is an
/// error page.
#[utoipa::path(
    post,
    path = paths::AUTHORIZE_DECISION,
    tag = "sign-in for apps",
    request_body(content = DecisionForm, content_type = FORM),
    responses(
        (status = 303, description = "To the redirect URI, or to sign-in", headers(("Location" = String))),
        (status = 400, description = "An error page: stale ticket, unknown decision", content_type = "text/html", body = String),
        (status = 403, description = "An error page: CSRF token missing or wrong", content_type = "text/html", body = String),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    SignedIn { user, .. }: SignedIn,
    CsrfForm { web, form }: CsrfForm<DecisionFields>,
) -> Result<Response, PageError> {
    let decision = Decision::parse(&form.decision)
        .ok_or_else(|| PageError::BadRequest("Choose Approve or Deny.".into()))?;
    let proof = web.proof_or(state.core.clock.now_secs()).await?;
    let decided = authorize::decide(
        &state.core,
        &web.csrf,
        &user.id,
        proof,
        &form.consent,
        decision,
        ip.map(|ip| ip.to_string()),
    )
    .await;
    match decided {
        Ok(location) => {
            state.core.metrics.authorization(match decision {
                Decision::Approve => AuthorizeOutcome::Approved,
                Decision::Deny => AuthorizeOutcome::Denied,
            });
            see_other(&location)
        }
        Err(e) => refused(&state, e),
    }
}
