//! Browser sessions: who is signed in, the CSRF token, and the extractors
//! that enforce both.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Digest;
use tower_sessions::{Expiry, Session};

use crate::crypto::constant_time_eq;
use crate::domain::user::User;
use crate::http::error::PageError;
use crate::http::paths;
use crate::model::authn::{Amr, Authentication, SessionProof, method};
use crate::model::time::UnixSecs;
use crate::state::AppState;

const USER_ID: &str = "user_id";
/// What the password was when the session signed in (see [`auth_stamp`]).
const AUTH_STAMP: &str = "auth_stamp";
const CSRF: &str = "csrf_token";
/// When the session signed in (Unix seconds): an authorization code's
/// `auth_time`.
const AUTH_TIME: &str = "auth_time";
/// How long a session nobody signed in to lives without use. Only the
/// sign-in form needs one (for its CSRF token), so a visitor who never
/// signs in leaves a row that is gone within minutes, not a week.
pub const ANONYMOUS_LIFETIME: time::Duration = time::Duration::minutes(15);
/// The authorization request this session was sent to sign in (again)
/// for, and when (see [`WebSession::ask_sign_in_for`]).
const SIGN_IN_FOR: &str = "sign_in_for";
/// Where a person sent to set up a second factor goes back to once it is
/// on (a checked local path).
const AFTER_ENROLMENT: &str = "after_enrolment";
/// Where the step-up page returns to (a checked local path), for the
/// passkey ceremony, whose answer is JSON without the form's `next`.
const STEP_UP_NEXT: &str = "step_up_next";
/// A right password still waiting for its second step: the user id, the
/// password's fingerprint then, the `next=` and when it lapses (see
/// [`WebSession::await_code`]).
const AWAITING_CODE: &str = "awaiting_code";
/// How long the code page waits after a right password.
pub const AWAIT_CODE_SECS: i64 = 5 * 60;
/// How the session signed in (RFC 8176 `amr` values).
const AMR: &str = "amr";
/// When this session last proved a second factor (Unix seconds): what a
/// step-up policy's window is measured from.
const FACTOR_AT: &str = "factor_at";
/// The application last decided on, for the result page.
const LAST_APP: &str = "last_app";
/// The outcome of the last decision, so result pages show only real ones.
const LAST_OUTCOME: &str = "last_outcome";

/// The session of a browser, its CSRF token and its signed-in user.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub session: Session,
    pub csrf: String,
    pub user: Option<User>,
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| PageError::Internal(msg.to_owned()))?;
        let csrf = match session.get::<String>(CSRF).await? {
            Some(token) => token,
            None => {
                let token = state.core.random.token(32);
                session.insert(CSRF, &token).await?;
                token
            }
        };
        let user = match session.get::<String>(USER_ID).await? {
            Some(id) => {
                let stamp = session.get::<String>(AUTH_STAMP).await?;
                match crate::domain::user::find(&state.core, &id).await? {
                    Some(user) if !user.disabled && stamp == Some(auth_stamp(&user)) => Some(user),
                    // Deleted, disabled or given a new password since
                    // sign-in: the session is void.
                    _ => {
                        session.remove::<String>(USER_ID).await?;
                        session.remove::<String>(AUTH_STAMP).await?;
                        None
                    }
                }
            }
            None => None,
        };
        if user.is_none() {
            session.set_expiry(Some(Expiry::OnInactivity(ANONYMOUS_LIFETIME)));
        }
        Ok(WebSession {
            session,
            csrf,
            user,
        })
    }
}

/// A short fingerprint of the user's password hash and session epoch.
/// Every new password has a new salt, so setting a password (even the same
/// one) changes it, and so does moving the epoch on (an administrator
/// resetting the user's second factors): every session signed in before
/// no longer matches. Epoch 0 adds nothing, so sessions signed in before
/// epochs existed stay signed in.
fn auth_stamp(user: &User) -> String {
    let mut hasher = sha2::Sha256::new();
    hasher.update(user.password_hash.as_bytes());
    if user.session_epoch != 0 {
        hasher.update(format!("\nepoch {}", user.session_epoch).as_bytes());
    }
    hex::encode(&hasher.finalize()[..16])
}

impl WebSession {
    /// Signs `user` in at `now_secs` for `lifetime` of inactivity: a new
    /// session id (no fixation), a new CSRF token.
    /// `amr` lists how (RFC 8176: `pwd`, or `pwd otp mfa`).
    pub async fn sign_in(
        &mut self,
        user: User,
        new_csrf: String,
        lifetime: std::time::Duration,
        now_secs: i64,
        amr: &[&str],
    ) -> Result<(), PageError> {
        self.session.remove::<Awaiting>(AWAITING_CODE).await?;
        self.session.cycle_id().await?;
        let lifetime = time::Duration::try_from(lifetime).unwrap_or(time::Duration::DAY);
        self.session
            .set_expiry(Some(Expiry::OnInactivity(lifetime)));
        self.session.insert(USER_ID, &user.id).await?;
        self.session.insert(AUTH_STAMP, auth_stamp(&user)).await?;
        self.session.insert(AUTH_TIME, now_secs).await?;
        self.session.insert(AMR, amr).await?;
        if Amr::of(amr).contains(method::MFA) {
            self.session.insert(FACTOR_AT, now_secs).await?;
        }
        self.session.insert(CSRF, &new_csrf).await?;
        self.csrf = new_csrf;
        self.user = Some(user);
        Ok(())
    }

    /// Keeps this session signed in after its user's password changed
    /// (`user` as it is now): the person who changed it stays, every other
    /// session of theirs ends.
    pub async fn renew_stamp(&self, user: &User) -> Result<(), PageError> {
        self.session.insert(AUTH_STAMP, auth_stamp(user)).await?;
        Ok(())
    }

    /// Notes that `user` gave the right password at `now_secs` and must
    /// now give a code: the session is not signed in (nor its id renewed)
    /// until [`Self::sign_in`]; the note lapses after [`AWAIT_CODE_SECS`].
    pub async fn await_code(
        &self,
        user: &User,
        next: &str,
        now_secs: i64,
    ) -> Result<(), PageError> {
        let awaiting = Awaiting {
            user_id: user.id.to_string(),
            stamp: auth_stamp(user),
            next: next.to_owned(),
            until: now_secs + AWAIT_CODE_SECS,
        };
        self.session.insert(AWAITING_CODE, awaiting).await?;
        Ok(())
    }

    /// The user still waiting for their code and their `next=`, if the
    /// note is there, unexpired, and their password has not changed since.
    pub async fn awaiting_code(
        &self,
        state: &AppState,
    ) -> Result<Option<(User, String)>, PageError> {
        let Some(a) = self.session.get::<Awaiting>(AWAITING_CODE).await? else {
            return Ok(None);
        };
        if a.until < state.core.clock.now_secs() {
            self.session.remove::<Awaiting>(AWAITING_CODE).await?;
            return Ok(None);
        }
        match crate::domain::user::find(&state.core, &a.user_id).await? {
            Some(user) if !user.disabled && auth_stamp(&user) == a.stamp => {
                Ok(Some((user, a.next)))
            }
            _ => Ok(None),
        }
    }

    /// How this session signed in (a password for sessions from before
    /// it was recorded).
    pub async fn amr(&self) -> Result<Amr, PageError> {
        Ok(match self.session.get::<Vec<String>>(AMR).await? {
            Some(values) => Amr::of(&values),
            None => Amr::password(),
        })
    }

    /// When this session last proved a second factor (at sign-in or a
    /// step-up), if it ever did.
    pub async fn factor_at(&self) -> Result<Option<i64>, PageError> {
        Ok(self.session.get::<i64>(FACTOR_AT).await?)
    }

    /// Records a second factor proven at `now_secs` by the signed-in
    /// person (`methods`, e.g. `otp`): the session gets a new id (its
    /// privileges grew), and `mfa`; the factor's time is this session's
    /// newest authentication (`auth_time`).
    pub async fn stepped_up(&self, methods: &[&str], now_secs: i64) -> Result<(), PageError> {
        let mut amr = self.amr().await?;
        for m in methods.iter().copied().chain([method::MFA]) {
            amr.add(m);
        }
        self.session.cycle_id().await?;
        self.session.insert(AMR, amr.values()).await?;
        self.session.insert(AUTH_TIME, now_secs).await?;
        self.session.insert(FACTOR_AT, now_secs).await?;
        Ok(())
    }

    /// When this session signed in, if it recorded it (sessions signed in
    /// before it did not).
    pub async fn auth_time(&self) -> Result<Option<i64>, PageError> {
        Ok(self.session.get::<i64>(AUTH_TIME).await?)
    }

    /// What an approval carries: when and how this session signed in
    /// (`now` for a session signed in before sign-in times were kept).
    pub async fn authentication_or(&self, now: i64) -> Result<Authentication, PageError> {
        Ok(Authentication {
            time: UnixSecs(self.auth_time().await?.unwrap_or(now)),
            amr: self.amr().await?,
        })
    }

    /// What this session brings to an approval at `now`.
    pub async fn proof_or(&self, now: i64) -> Result<SessionProof, PageError> {
        Ok(SessionProof {
            authentication: self.authentication_or(now).await?,
            factor_at: self.factor_at().await?,
        })
    }

    /// Remembers where the step-up page shown now returns to.
    pub async fn remember_step_up_next(&self, next: &str) -> Result<(), PageError> {
        self.session.insert(STEP_UP_NEXT, next).await?;
        Ok(())
    }

    /// Where a finished step-up goes, once.
    pub async fn take_step_up_next(&self) -> Result<Option<String>, PageError> {
        Ok(self.session.remove::<String>(STEP_UP_NEXT).await?)
    }

    /// Remembers `next` (a checked local path) for after enrolment.
    pub async fn return_after_enrolment(&self, next: &str) -> Result<(), PageError> {
        self.session.insert(AFTER_ENROLMENT, next).await?;
        Ok(())
    }

    /// Where to go back to now that a factor is set up, once.
    pub async fn take_return_after_enrolment(&self) -> Result<Option<String>, PageError> {
        Ok(self.session.remove::<String>(AFTER_ENROLMENT).await?)
    }

    /// Notes that the authorization request `request` (its query string)
    /// sends the person to sign in at `now_secs`: once they have, the same
    /// request must not send them again (`prompt=login`, `max_age`).
    pub async fn ask_sign_in_for(&self, request: &str, now_secs: i64) -> Result<(), PageError> {
        self.session
            .insert(SIGN_IN_FOR, (request_key(request), now_secs))
            .await?;
        Ok(())
    }

    /// Whether the person signed in after `request` sent them to: true
    /// once, then the note is gone (a reload asks again).
    pub async fn signed_in_for(&self, request: &str) -> Result<bool, PageError> {
        let Some((key, asked_at)) = self.session.get::<(String, i64)>(SIGN_IN_FOR).await? else {
            return Ok(false);
        };
        let fresh = self.auth_time().await?.is_some_and(|at| at >= asked_at);
        if !(fresh && constant_time_eq(key.as_bytes(), request_key(request).as_bytes())) {
            return Ok(false);
        }
        self.session.remove::<(String, i64)>(SIGN_IN_FOR).await?;
        Ok(true)
    }

    /// Destroys the session server-side and clears the cookie.
    pub async fn sign_out(&self) -> Result<(), PageError> {
        self.session.flush().await?;
        Ok(())
    }

    /// Remembers a decision's outcome (and application) for its result page.
    pub async fn remember_outcome(
        &self,
        outcome: &str,
        app: Option<&str>,
    ) -> Result<(), PageError> {
        self.session.insert(LAST_OUTCOME, outcome).await?;
        match app {
            Some(name) => self.session.insert(LAST_APP, name).await?,
            None => {
                self.session.remove::<String>(LAST_APP).await?;
            }
        }
        Ok(())
    }

    /// The application of the last decision, if its outcome is `outcome`.
    pub async fn outcome_app(&self, outcome: &str) -> Result<Option<Option<String>>, PageError> {
        if self.session.get::<String>(LAST_OUTCOME).await?.as_deref() != Some(outcome) {
            return Ok(None);
        }
        Ok(Some(self.session.get::<String>(LAST_APP).await?))
    }
}

/// See [`AWAITING_CODE`].
#[derive(Debug, serde::Serialize, Deserialize)]
struct Awaiting {
    user_id: String,
    stamp: String,
    next: String,
    until: i64,
}

/// A signed-in person. Without one, the request is redirected to sign-in
/// and comes back to the same address afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub web: WebSession,
    pub user: User,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let web = WebSession::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match web.user.clone() {
            Some(user) => Ok(SignedIn { web, user }),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|pq| pq.as_str())
                    .unwrap_or(paths::DEVICE);
                Err(Redirect::to(&login_url(here)).into_response())
            }
        }
    }
}

/// A short digest of an authorization request's query: what
/// [`SIGN_IN_FOR`] remembers.
fn request_key(request: &str) -> String {
    hex::encode(&sha2::Sha256::digest(request.as_bytes())[..16])
}

/// `/login?next=<here>` for an authorization request: with `reauth=1` the
/// form shows even to a signed-in person; `login_hint` prefills it.
pub fn login_url_for(here: &str, reauth: bool, login_hint: Option<&str>) -> String {
    let mut url = login_url(here);
    if reauth {
        url.push_str("&reauth=1");
    }
    if let Some(hint) = login_hint {
        url.push_str("&login_hint=");
        url.extend(form_urlencoded::byte_serialize(hint.as_bytes()));
    }
    url
}

/// `/login?next=<here>`, with `here` form-encoded.
pub fn login_url(here: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("{}?next={next}", paths::LOGIN)
}

/// Where to go after sign-in: only local absolute paths of at most
/// [`MAX_NEXT`] bytes, never another
/// origin (`//evil`, `/\evil`, `https://...`), else the device page.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= MAX_NEXT
                && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_owned()
        }
        _ => paths::DEVICE.to_owned(),
    }
}

/// The longest `next=` kept: room for an authorization request (a
/// redirect URI, a state and a PKCE challenge).
pub const MAX_NEXT: usize = 8192;

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// A form body whose `csrf_token` matched the session's: every
/// state-changing form goes through this. A mismatch is a 403 page.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub web: WebSession,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let web = WebSession::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|r| {
                PageError::BadRequest(format!("The form could not be read: {}", r.body_text()))
            })?;
        let presented: CsrfOnly = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::BadRequest("The form could not be read.".into()))?;
        if presented.csrf_token.is_empty()
            || !constant_time_eq(presented.csrf_token.as_bytes(), web.csrf.as_bytes())
        {
            tracing::warn!("form refused: CSRF token missing or wrong");
            return Err(PageError::Forbidden(
                "This form has expired or did not come from AuthGate. Go back, reload the page and try again."
                    .into(),
            ));
        }
        // PostgreSQL text cannot hold NUL: refuse it here rather than fail
        // a query with a 500 (no form field has a use for it).
        if form_urlencoded::parse(&bytes).any(|(n, v)| n.contains('\0') || v.contains('\0')) {
            return Err(PageError::BadRequest(
                "The form contains characters that are not allowed.".into(),
            ));
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::BadRequest("The form is incomplete or malformed.".into()))?;
        Ok(CsrfForm { web, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_limited_to_local_paths() {
        assert_eq!(
            safe_next(Some("/device?user_code=BCDF-GHJK")),
            "/device?user_code=BCDF-GHJK"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/device");
        assert_eq!(safe_next(Some("/\\evil.example")), "/device");
        assert_eq!(safe_next(Some("https://evil.example")), "/device");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/device");
        assert_eq!(safe_next(Some("/ok\r\nSet-Cookie: x")), "/device");
        assert_eq!(safe_next(None), "/device");
    }

    #[test]
    fn login_url_encodes_the_return_address() {
        assert_eq!(
            login_url("/device?user_code=BCDF-GHJK"),
            "/login?next=%2Fdevice%3Fuser_code%3DBCDF-GHJK"
        );
    }
}
