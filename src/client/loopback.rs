//! The loopback listener of the browser sign-in (RFC 8252 §7.3): a tiny
//! HTTP server on 127.0.0.1, on a port the system picks, that waits for
//! the one authorization response the browser is redirected to.
//!
//! Anyone on this machine, and any web page the browser opens, can send a
//! request to that port, so an answer is taken only when its `state` is
//! the one this login sent (RFC 6749 §10.12); others are answered 400 and
//! ignored, and the listener keeps waiting. An answer with the right
//! `state` whose `iss` is not the server's issuer (or has none) ends the
//! login: it is the mix-up attack RFC 9207 defends against, where another
//! authorization server's answer is passed off as this one's. The first
//! answer taken closes the door: later ones are told it is over.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::untrusted::clean;
use crate::crypto::constant_time_eq;

/// The path of the redirect URI, registered for the CLI client as
/// `http://127.0.0.1/callback` (any port matches).
pub const CALLBACK_PATH: &str = "/callback";

/// What an authorization response said, once it is known to be ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// RFC 6749 §4.1.2: the code to redeem.
    Code(String),
    /// RFC 6749 §4.1.2.1: `error` and its description, as sent.
    Refused {
        error: String,
        description: Option<String>,
    },
}

/// What to make of one request to the callback path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not this login's answer (wrong, missing or repeated `state`): ignored.
    NotOurs,
    /// This login's answer from another issuer, or without `iss`: the
    /// login fails. Carries the `iss` sent, if any.
    MixUp(Option<String>),
    Accept(Answer),
}

/// Judges the query string of a request to [`CALLBACK_PATH`]: `state` must
/// be `state` (compared in constant time), then `iss` must be `issuer`
/// exactly (RFC 9207 §2.4: simple string comparison). A parameter sent
/// twice counts as missing.
pub fn judge(query: &str, state: &str, issuer: &str) -> Verdict {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match seen.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => *slot = None,
            None => seen.push((name.into_owned(), Some(value.into_owned()))),
        }
    }
    let get = |name: &str| {
        seen.iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    };
    match get("state") {
        Some(sent) if constant_time_eq(sent.as_bytes(), state.as_bytes()) => {}
        _ => return Verdict::NotOurs,
    }
    let iss = get("iss");
    if iss.as_deref() != Some(issuer) {
        return Verdict::MixUp(iss);
    }
    if let Some(error) = get("error") {
        return Verdict::Accept(Answer::Refused {
            error,
            description: get("error_description"),
        });
    }
    match get("code").filter(|c| !c.is_empty()) {
        Some(code) => Verdict::Accept(Answer::Code(code)),
        None => Verdict::Accept(Answer::Refused {
            error: "invalid_request".into(),
            description: Some("the answer carried neither a code nor an error".into()),
        }),
    }
}

/// A bound listener and the redirect URI that reaches it.
pub struct Loopback {
    listener: TcpListener,
    pub redirect_uri: String,
}

/// What waiting ended with.
#[derive(Debug)]
pub enum Waited {
    Answer(Answer),
    MixUp(Option<String>),
    TimedOut,
}

/// What the handler shares with [`Loopback::wait`].
struct Shared {
    state: String,
    issuer: String,
    /// Taken by the first answer accepted (or refused as a mix-up).
    done: Mutex<Option<oneshot::Sender<Verdict>>>,
}

impl Loopback {
    /// Binds 127.0.0.1 on a port the system picks (RFC 8252 §7.3: the
    /// loopback IP literal, not `localhost`, which may resolve elsewhere
    /// or to IPv6 first).
    pub async fn bind() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Self {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{CALLBACK_PATH}"),
        })
    }

    /// Serves until this login's answer arrives or `timeout` passes, then
    /// stops listening (after letting the browser have its page).
    pub async fn wait(self, state: &str, issuer: &str, timeout: Duration) -> Waited {
        let (tx, rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            state: state.to_owned(),
            issuer: issuer.to_owned(),
            done: Mutex::new(Some(tx)),
        });
        let app = axum::Router::new()
            .route(CALLBACK_PATH, get(callback))
            .fallback(|| async { page(StatusCode::NOT_FOUND, "Not found", "Nothing here.") })
            .with_state(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(
            axum::serve(self.listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .into_future(),
        );
        let verdict = tokio::time::timeout(timeout, rx).await;
        let _ = stop.send(());
        // The browser's page is on its way; a kept-alive connection is
        // closed by the graceful shutdown, a stuck one by the abort.
        let abort = server.abort_handle();
        if tokio::time::timeout(Duration::from_secs(2), server)
            .await
            .is_err()
        {
            abort.abort();
        }
        match verdict {
            Ok(Ok(Verdict::Accept(answer))) => Waited::Answer(answer),
            Ok(Ok(Verdict::MixUp(iss))) => Waited::MixUp(iss),
            Ok(Ok(Verdict::NotOurs) | Err(_)) | Err(_) => Waited::TimedOut,
        }
    }
}

async fn callback(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let verdict = judge(
        query.as_deref().unwrap_or(""),
        &shared.state,
        &shared.issuer,
    );
    if verdict == Verdict::NotOurs {
        eprintln!(
            "warning: ignored an answer on the loopback listener that is not this login's \
             (wrong or missing state); still waiting"
        );
        return page(
            StatusCode::BAD_REQUEST,
            "Not this sign-in",
            "This answer does not belong to the sign-in waiting in the terminal; it was ignored.",
        );
    }
    let sender = shared.done.lock().unwrap_or_else(|e| e.into_inner()).take();
    let Some(sender) = sender else {
        return page(
            StatusCode::CONFLICT,
            "Already answered",
            "This sign-in was already answered. You can close this tab.",
        );
    };
    let response = match &verdict {
        Verdict::Accept(Answer::Code(_)) => page(
            StatusCode::OK,
            "Signed in",
            "AuthGate received your sign-in. You can close this tab and return to the terminal.",
        ),
        Verdict::Accept(Answer::Refused { .. }) => page(
            StatusCode::OK,
            "Sign-in not completed",
            "The sign-in did not complete; the terminal says why. You can close this tab.",
        ),
        _ => page(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "This answer came from another server than the one the terminal signs in to, \
             so it was refused. You can close this tab.",
        ),
    };
    let _ = sender.send(verdict);
    response
}

/// A small static page: nothing from the request is echoed, nothing is
/// loaded from elsewhere, nothing is cached or passed on as a referrer
/// (the address bar holds the code).
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "AuthGate: " (title) } }
            body { h1 { (title) } p { (message) } }
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    response
}

/// A mix-up refusal as one line, the `iss` sent [`clean`]ed.
pub fn mix_up_message(iss: Option<&str>, issuer: &str) -> String {
    match iss {
        Some(iss) => format!(
            "refused the browser's answer: it names the issuer {:?}, not {issuer} \
             (RFC 9207 mix-up defence); nothing was stored",
            clean(iss)
        ),
        None => format!(
            "refused the browser's answer: it does not name its issuer (iss), which {issuer} \
             always does (RFC 9207 mix-up defence); nothing was stored"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://auth.example.com";

    #[test]
    fn only_this_logins_state_counts() {
        for query in [
            "code=c&state=other&iss=https%3A%2F%2Fauth.example.com",
            "code=c&iss=https%3A%2F%2Fauth.example.com",
            "code=c&state=s&state=s&iss=https%3A%2F%2Fauth.example.com",
            "state=S&code=c",
            "",
        ] {
            assert_eq!(judge(query, "s", ISSUER), Verdict::NotOurs, "{query}");
        }
    }

    #[test]
    fn the_issuer_must_be_the_servers() {
        assert_eq!(
            judge("code=c&state=s&iss=https%3A%2F%2Fevil.example", "s", ISSUER),
            Verdict::MixUp(Some("https://evil.example".into()))
        );
        assert_eq!(judge("code=c&state=s", "s", ISSUER), Verdict::MixUp(None));
        // Simple string comparison: a trailing slash is another issuer.
        assert_eq!(
            judge(
                "code=c&state=s&iss=https%3A%2F%2Fauth.example.com%2F",
                "s",
                ISSUER
            ),
            Verdict::MixUp(Some("https://auth.example.com/".into()))
        );
        // Errors carry iss too (RFC 9207 §2).
        assert_eq!(
            judge("error=access_denied&state=s", "s", ISSUER),
            Verdict::MixUp(None)
        );
    }

    #[test]
    fn codes_and_errors_are_taken() {
        let iss = "iss=https%3A%2F%2Fauth.example.com";
        assert_eq!(
            judge(&format!("code=abc&state=s&{iss}"), "s", ISSUER),
            Verdict::Accept(Answer::Code("abc".into()))
        );
        assert_eq!(
            judge(
                &format!("error=access_denied&error_description=No+thanks&state=s&{iss}"),
                "s",
                ISSUER
            ),
            Verdict::Accept(Answer::Refused {
                error: "access_denied".into(),
                description: Some("No thanks".into())
            })
        );
        assert!(matches!(
            judge(&format!("state=s&{iss}"), "s", ISSUER),
            Verdict::Accept(Answer::Refused { error, .. }) if error == "invalid_request"
        ));
    }

    #[tokio::test]
    async fn the_listener_answers_at_the_seeded_redirect_uri() {
        let loopback = Loopback::bind().await.unwrap();
        assert!(loopback.redirect_uri.starts_with("http://127.0.0.1:"));
        let seeded = [crate::bootstrap::CLI_REDIRECT_URI.to_owned()];
        assert!(
            crate::model::redirect_uri::is_registered(&seeded, &loopback.redirect_uri),
            "{}",
            loopback.redirect_uri
        );
    }

    #[test]
    fn mix_up_messages_are_clean() {
        let line = mix_up_message(Some("https://evil\u{1b}[2J"), ISSUER);
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(line.contains("RFC 9207"), "{line}");
    }
}
