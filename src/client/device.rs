//! The device flow of `authgate login`, from the device's side (RFC 8628):
//! ask for a code, show the page and the code, poll until the person
//! decides. The fallback whenever the browser sign-in cannot be used.

use std::time::Duration;

use super::oauth::{Client, DeviceAuthorization, Endpoints, Poll, TokenResponse};
use super::prompt::Shown;
use super::untrusted::{check_page, clean};
use super::{Failure, Result, now_secs, prompt, relative};

/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval.
const SLOW_DOWN_STEP: u64 = 5;
/// RFC 8628 §3.2: the interval when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// After network errors the interval doubles up to this (RFC 8628 §3.5
/// asks clients to back off when the connection times out).
const MAX_BACKOFF: u64 = 60;

/// What the device flow needs besides the server's endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub client_id: &'a str,
    pub scope: Option<&'a str>,
    /// RFC 8707 resources to ask for.
    pub resources: &'a [String],
    /// Open the verification page in a browser here (when there is one).
    pub open_browser: bool,
    /// Draw the QR code (when stderr is a terminal).
    pub qr: bool,
}

/// Runs the device flow against `client`'s server until the person
/// decides or the code expires.
pub async fn sign_in(
    client: &Client,
    endpoints: &Endpoints,
    options: Options<'_>,
) -> Result<TokenResponse> {
    let server = client.server();
    let device_endpoint = endpoints
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| anyhow::anyhow!("{server} does not offer the device authorization grant"))?;
    let auth = client
        .device_authorization(
            &device_endpoint,
            options.client_id,
            options.scope,
            options.resources,
        )
        .await?;
    let shown = vet(server, &auth)?;
    let interactive = prompt::interactive();
    eprint!(
        "{}",
        prompt::instructions(server, &shown, interactive && options.qr)
    );
    if options.open_browser && interactive && prompt::can_open_browser() {
        let url = shown.complete.as_ref().unwrap_or(&shown.page).url.as_str();
        if prompt::open_browser(url).await {
            eprintln!("Opened the page in your browser.");
        }
    }
    eprintln!();
    wait_for_approval(client, &endpoints.token_endpoint, options.client_id, &auth).await
}

/// Vets the server's device authorization before anything of it is shown
/// or opened: the verification page must be an http(s) URL (else the
/// login stops: a `file:` or `smb:` address is no sign-in page), a
/// `verification_uri_complete` that is not one is left out, a page on
/// another origin than `server` is pointed out, and the code is cleaned.
fn vet(server: &str, auth: &DeviceAuthorization) -> Result<Shown> {
    let page = check_page(server, &auth.verification_uri).map_err(|e| {
        anyhow::anyhow!(
            "the server's verification_uri {e}: refusing to show or open it; \
             is {server} an AuthGate server?"
        )
    })?;
    let complete = match auth
        .verification_uri_complete
        .as_deref()
        .map(|uri| check_page(server, uri))
    {
        None => None,
        Some(Ok(complete)) => Some(complete),
        Some(Err(e)) => {
            eprintln!("warning: ignoring the server's verification_uri_complete: {e}");
            None
        }
    };
    let mut origins: Vec<&str> = [&page]
        .into_iter()
        .chain(&complete)
        .filter_map(|p| p.elsewhere.as_deref())
        .collect();
    origins.dedup();
    for origin in origins {
        eprintln!(
            "warning: the sign-in page is on {origin}, not {server}: \
             enter the code there only if you trust it"
        );
    }
    Ok(Shown {
        page,
        complete,
        user_code: clean(&auth.user_code),
    })
}

/// Polls until the person decides or the code expires (RFC 8628 §3.4-3.5).
async fn wait_for_approval(
    client: &Client,
    token_endpoint: &str,
    client_id: &str,
    auth: &DeviceAuthorization,
) -> Result<TokenResponse> {
    let deadline = now_secs() + i64::try_from(auth.expires_in).unwrap_or(i64::MAX);
    let mut interval = auth.interval.unwrap_or(DEFAULT_INTERVAL).max(1);
    let spinner = prompt::spinner();
    if !prompt::interactive() {
        eprintln!(
            "Waiting for approval (checking every {interval} s; the code expires {}).",
            relative(deadline - now_secs())
        );
    }
    let mut backoff = 0;
    let outcome = loop {
        let left = deadline - now_secs();
        spinner.set_message(format!(
            "Waiting for approval in the browser (the code expires {})",
            relative(left)
        ));
        tokio::time::sleep(Duration::from_secs(interval.max(backoff))).await;
        if now_secs() >= deadline {
            break Err(Failure::Expired);
        }
        match client
            .poll(token_endpoint, client_id, &auth.device_code)
            .await
        {
            Ok(Poll::Granted(tokens)) => break Ok(tokens),
            Ok(Poll::Pending) => backoff = 0,
            Ok(Poll::SlowDown(server_interval)) => {
                // RFC 8628 §3.5: +5 s for this and all later polls; AuthGate
                // also says the new interval, which wins when larger.
                interval = server_interval.unwrap_or(0).max(interval + SLOW_DOWN_STEP);
                backoff = 0;
            }
            Ok(Poll::Denied) => break Err(Failure::Denied),
            Ok(Poll::Expired) => break Err(Failure::Expired),
            Ok(Poll::Unavailable(retry_after)) => {
                // An outage at the server: the code still holds, and a
                // redemption it could not confirm is handed to the next
                // poll (within two minutes), so keep polling, gently.
                backoff = (interval.max(backoff) * 2)
                    .min(MAX_BACKOFF)
                    .max(retry_after.unwrap_or(0).min(MAX_BACKOFF));
                spinner.suspend(|| {
                    eprintln!(
                        "warning: the server is temporarily unavailable; retrying in {backoff} s"
                    )
                });
            }
            Err(e) if is_transient(&e) => {
                backoff = (interval.max(backoff) * 2).min(MAX_BACKOFF);
                let e = clean(&format!("{e:#}"));
                spinner.suspend(|| eprintln!("warning: {e}; retrying in {backoff} s"));
            }
            Err(e) => break Err(e.into()),
        }
    };
    spinner.finish_and_clear();
    outcome
}

/// Connection problems and timeouts are worth another try; a malformed
/// answer or an unexpected OAuth error is not.
fn is_transient(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<reqwest::Error>())
        .any(|e| e.is_connect() || e.is_timeout() || e.is_request())
}
