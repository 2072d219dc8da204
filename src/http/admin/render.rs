//! Rendering admin pages: the wide layout with the admin navigation,
//! htmx fragments of live parts, and the presentation of times, statuses
//! and audit actions.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use components::admin::{self as view, ConfirmPage, Hue, Section, Shell, When};
use components::feedback::Tone;
use components::layout::Width;
use maud::Markup;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::extract::AdminUser;
use crate::domain::admin::FieldError;
use crate::http::paths;
use crate::http::ui::render::{html, page_with};
use crate::model::Standing;
use crate::model::audit::{AuditAction, AuditCategory};
use crate::model::token::TokenStatus;
use crate::state::AppState;

/// What an admin page shows around its body.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub section: Section,
    pub title: &'a str,
    pub subtitle: Option<&'a str>,
    pub notice: Option<(Tone, &'a str)>,
}

impl<'a> Frame<'a> {
    pub fn new(section: Section, title: &'a str) -> Self {
        Self {
            section,
            title,
            subtitle: None,
            notice: None,
        }
    }

    pub fn subtitle(self, subtitle: &'a str) -> Self {
        Self {
            subtitle: Some(subtitle),
            ..self
        }
    }

    pub fn notice(self, notice: Option<(Tone, &'a str)>) -> Self {
        Self { notice, ..self }
    }
}

/// A full admin page (never cached: it carries a CSRF token and data).
pub fn admin_page(
    state: &AppState,
    admin: &AdminUser,
    status: StatusCode,
    frame: Frame<'_>,
    body: Markup,
) -> Response {
    let shell = view::shell(
        &Shell {
            links: &paths::ADMIN_LINKS,
            section: frame.section,
            title: frame.title,
            subtitle: frame.subtitle,
            notice: frame.notice,
        },
        body,
    );
    html(
        status,
        page_with(state, &admin.web, frame.title, Width::Wide, shell),
    )
}

/// The page of a confirmation (the GET of an action's path): the question
/// in the admin frame, the page named `title`.
pub fn confirm_page(
    state: &AppState,
    admin: &AdminUser,
    section: Section,
    title: &str,
    page: &ConfirmPage<'_>,
) -> Response {
    let frame = Frame::new(section, title);
    admin_page(
        state,
        admin,
        StatusCode::OK,
        frame,
        view::confirm_page(page),
    )
}

/// An htmx fragment (no layout), not cached.
pub fn fragment(markup: Markup) -> Response {
    let mut response = (StatusCode::OK, Html(markup.into_string())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("HX-Request"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// "Nothing changed" to a polling live part: htmx swaps nothing on 204.
pub fn unchanged() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A short fingerprint of rendered markup: the version a live part
/// carries in its polling URL, so the server can answer 204 while it
/// would render the same thing.
pub fn fingerprint(markup: &Markup) -> String {
    text_fingerprint(&markup.0)
}

pub fn text_fingerprint(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// The URL a live part polls: `path` with its filters, the version of its
/// content (`v`) and of its announcement (`s`).
pub fn live_url(path: &str, filters: &[(&str, &str)], inner: &Markup, summary: &str) -> String {
    let v = fingerprint(inner);
    let s = text_fingerprint(summary);
    let mut pairs = filters.to_vec();
    pairs.push(("v", &v));
    pairs.push(("s", &s));
    paths::with_query(path, &pairs)
}

/// What a poll answers: nothing (204) when the client already shows
/// `inner`; otherwise the new live element, plus the announcement when it
/// changed (so screen readers hear news, not repeats).
pub fn live_answer(
    query: Option<&str>,
    id: &str,
    url: &str,
    inner: Markup,
    status_id: &str,
    summary: &str,
) -> Response {
    let shown = crate::http::ui::render::query_param(query, "v");
    if shown.as_deref() == Some(fingerprint(&inner).as_str()) {
        return unchanged();
    }
    let said = crate::http::ui::render::query_param(query, "s");
    let announce = said.as_deref() != Some(text_fingerprint(summary).as_str());
    fragment(maud::html! {
        (view::live(id, url, inner))
        @if announce { (view::live_status_update(status_id, summary)) }
    })
}

/// A Unix time as the tables show it, relative to `now`.
pub fn when(at: i64, now: i64) -> When {
    let (absolute, iso) = match OffsetDateTime::from_unix_timestamp(at) {
        Ok(t) => (
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            t.format(&Rfc3339).unwrap_or_default(),
        ),
        Err(_) => (String::new(), String::new()),
    };
    When {
        relative: view::relative(at - now),
        absolute,
        iso,
    }
}

pub fn device_status(s: Standing) -> (&'static str, Hue) {
    match s {
        Standing::Pending => ("Pending", Hue::Warn),
        Standing::Approved => ("Approved", Hue::Good),
        Standing::Redeemed => ("Token issued", Hue::Info),
        Standing::Denied => ("Denied", Hue::Bad),
        Standing::Expired => ("Expired", Hue::Neutral),
    }
}

pub fn token_status(s: TokenStatus) -> (&'static str, Hue) {
    match s {
        TokenStatus::Active => ("Active", Hue::Good),
        TokenStatus::Revoked => ("Revoked", Hue::Bad),
        TokenStatus::Expired => ("Expired", Hue::Neutral),
    }
}

/// The words and colour of an audit action (every action has them: the
/// match is exhaustive).
pub fn action_words(action: AuditAction) -> (&'static str, Hue) {
    use AuditAction as A;
    match action {
        A::SignedIn => ("Signed in", Hue::Good),
        A::SignInFailed => ("Sign-in failed", Hue::Bad),
        A::SignedOutByApp => ("Signed out by an app", Hue::Neutral),
        A::TotpEnabled => ("Two-step sign-in turned on", Hue::Good),
        A::TotpRemoved => ("Two-step sign-in turned off", Hue::Warn),
        A::TotpCodeFailed => ("Wrong sign-in code", Hue::Bad),
        A::TotpStepReplayed => ("Sign-in code reused", Hue::Bad),
        A::StepUp => ("Second factor confirmed", Hue::Good),
        A::PasskeyAdded => ("Passkey added", Hue::Good),
        A::PasskeyRenamed => ("Passkey renamed", Hue::Neutral),
        A::PasskeyRemoved => ("Passkey removed", Hue::Warn),
        A::PasskeyUsed => ("Signed in with a passkey", Hue::Good),
        A::PasskeyFailed => ("Passkey refused", Hue::Bad),
        A::RecoveryCodesGenerated => ("Recovery codes made", Hue::Good),
        A::RecoveryCodeUsed => ("Recovery code used", Hue::Warn),
        A::RecoveryCodeFailed => ("Wrong recovery code", Hue::Bad),
        A::RecoveryCodesExhausted => ("Last recovery code used", Hue::Warn),
        A::CodeEntryFailed => ("Wrong code entered", Hue::Warn),
        A::DeviceApproved => ("Device approved", Hue::Good),
        A::DeviceDenied => ("Device denied", Hue::Warn),
        A::DeviceClientCapReached => ("Client at its pending-request ceiling", Hue::Bad),
        A::AppApproved => ("App sign-in approved", Hue::Good),
        A::AppDenied => ("App sign-in denied", Hue::Warn),
        A::ConsentGiven => ("App consent remembered", Hue::Good),
        A::ConsentRevoked => ("App consent revoked by the user", Hue::Warn),
        A::TokenIssued => ("Token issued", Hue::Good),
        A::TokenRefreshed => ("Token refreshed", Hue::Neutral),
        A::TokenRevoked => ("Token revoked by its client", Hue::Warn),
        A::RefreshTokenReused => ("Refresh token reused", Hue::Bad),
        A::AuthorizationCodeReused => ("Authorization code reused", Hue::Bad),
        A::GrantRevoked => ("Access revoked by the user", Hue::Warn),
        A::AdminDeviceCodeCancelled => ("Device request denied by admin", Hue::Info),
        A::AdminTokenRevoked => ("Token revoked by admin", Hue::Info),
        A::AdminUserTokensRevoked => ("User's tokens revoked", Hue::Info),
        A::AdminClientTokensRevoked => ("Client's tokens revoked", Hue::Info),
        A::AdminClientCreated => ("Client created", Hue::Info),
        A::AdminClientUpdated => ("Client edited", Hue::Info),
        A::AdminClientDisabled => ("Client disabled", Hue::Info),
        A::AdminClientEnabled => ("Client enabled", Hue::Info),
        A::AdminClientSecretRotated => ("Client secret rotated", Hue::Info),
        A::AdminUserCreated => ("User created", Hue::Info),
        A::AdminUserDisabled => ("User disabled", Hue::Info),
        A::AdminUserEnabled => ("User enabled", Hue::Info),
        A::AdminUserPasswordReset => ("Password reset", Hue::Info),
        A::AdminUserRoleChanged => ("Role changed", Hue::Info),
        A::AdminUserUnlocked => ("Sign-in lock-outs cleared", Hue::Info),
        A::AdminUserProfileChanged => ("Profile changed", Hue::Info),
        A::AdminSecondFactorPolicyChanged => ("Second-factor rule changed", Hue::Info),
        A::AdminUserFactorsReset => ("Two-step sign-in reset", Hue::Info),
        A::UpstreamSignedIn => ("Signed in through a provider", Hue::Good),
        A::UpstreamRefused => ("Provider sign-in refused", Hue::Warn),
        A::UpstreamLinked => ("Provider account linked", Hue::Good),
        A::UpstreamUnlinked => ("Provider account unlinked", Hue::Warn),
        A::UpstreamAccountCreated => ("Account created at provider sign-in", Hue::Info),
        A::AdminProviderCreated => ("Provider added", Hue::Info),
        A::AdminProviderDisabled => ("Provider disabled", Hue::Info),
        A::AdminProviderEnabled => ("Provider enabled", Hue::Info),
        A::AdminProviderRemoved => ("Provider removed", Hue::Info),
        A::AdminProviderUpdated => ("Provider edited", Hue::Info),
        A::AdminUserUpstreamUnlinked => ("Provider account unlinked by admin", Hue::Info),
        A::ClientRegistered => ("Client registered itself", Hue::Warn),
        A::ClientRegistrationUpdated => ("Client updated its registration", Hue::Warn),
        A::ClientRegistrationDeleted => ("Client deleted its registration", Hue::Neutral),
        A::AdminClientApproved => ("Client approved", Hue::Info),
        A::AdminClientRejected => ("Client rejected", Hue::Info),
    }
}

/// The words and colour of a stored action; unknown ones show as is.
pub fn action_label(action: &str) -> (&str, Hue) {
    match AuditAction::parse(action) {
        Some(known) => action_words(known),
        None => (action, Hue::Neutral),
    }
}

/// A group of actions in the audit filter, in words.
pub fn category_label(category: AuditCategory) -> &'static str {
    match category {
        AuditCategory::SignIn => "Sign-ins",
        AuditCategory::Device => "Device and app approvals and denials",
        AuditCategory::Tokens => "Tokens issued and revoked",
        AuditCategory::Admin => "Admin actions",
    }
}

/// The audit filter's choices (value, label): every group, then every
/// action.
pub fn audit_filter_options() -> impl Iterator<Item = (&'static str, &'static str)> {
    let groups = AuditCategory::ALL
        .into_iter()
        .map(|c| (c.key(), category_label(c)));
    let actions = AuditAction::ALL
        .into_iter()
        .map(|a| (a.as_str(), action_words(a).0));
    groups.chain(actions)
}

/// The message of `field` among a form's problems.
pub fn field_message<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

/// The notice a page shows after a redirect: the message of the first
/// `(query parameter, message)` present in `query`.
pub fn notice<'a>(query: Option<&str>, messages: &[(&str, &'a str)]) -> Option<&'a str> {
    messages
        .iter()
        .find(|(name, _)| crate::http::ui::render::query_param(query, name).is_some())
        .map(|(_, message)| *message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_absolute_and_machine_forms() {
        let w = when(1_700_000_000, 1_700_000_300);
        assert_eq!(w.relative, "5 minutes ago");
        assert_eq!(w.absolute, "2023-11-14 22:13:20 UTC");
        assert_eq!(w.iso, "2023-11-14T22:13:20Z");
    }

    #[test]
    fn stored_actions_show_in_words_and_unknown_ones_as_is() {
        for action in AuditAction::ALL {
            assert_eq!(action_label(action.as_str()), action_words(action));
            assert_ne!(action_words(action).0, action.as_str());
        }
        assert_eq!(action_label("made.up"), ("made.up", Hue::Neutral));
    }

    #[test]
    fn the_audit_filter_offers_every_group_and_action_once() {
        let values: Vec<_> = audit_filter_options().map(|(v, _)| v).collect();
        let unique: std::collections::HashSet<_> = values.iter().collect();
        assert_eq!(values.len(), unique.len());
        assert_eq!(
            values.len(),
            AuditCategory::ALL.len() + AuditAction::ALL.len()
        );
    }
}
