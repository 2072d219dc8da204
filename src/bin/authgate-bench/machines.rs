//! Machine clients: the client credentials grant, a confidential client
//! asking for a token for itself with its secret in HTTP Basic. Each
//! answer is a newly signed, recorded access token, so this measures
//! token minting and the writes behind it with no person involved.
//!
//! Set-up goes through the dashboard, as an administrator does: a
//! confidential client with only the client credentials grant.
//!
//! The `dpop` scenario is the same request with a fresh DPoP proof
//! (RFC 9449) each time, signed here as a client would: the server also
//! checks the proof's signature and records its `jti`, and the token is
//! bound to the key.

use std::sync::Arc;

use anyhow::{Result, ensure};
use authgate::client::dpop::{Prover, StoredDpopKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, COOKIE, HeaderName};
use serde_json::Value;

use crate::apps::shown;
use crate::measure::{Row, measure};
use crate::scenarios::Target;

/// The `Authorization: Basic` value of the registered machine client.
pub(crate) async fn machine(t: &Target) -> Result<Arc<String>> {
    let admin = &t.browser;
    let (status, page) = t
        .conn
        .post_form(
            "/admin/clients",
            &[
                ("csrf_token", admin.csrf.as_str()),
                ("name", "Bench nightly job"),
                ("scopes", "reports"),
                ("grants_shown", "1"),
                ("grant_client_credentials", "on"),
                ("kind", "confidential"),
            ],
            &[(COOKIE, admin.cookie.as_str())],
        )
        .await?;
    ensure!(
        status == StatusCode::CREATED,
        "creating the client: {status}"
    );
    let html = std::str::from_utf8(&page)?;
    let id = shown(html, "secret-0")?;
    let secret = shown(html, "secret-1")?;
    Ok(Arc::new(format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{secret}"))
    )))
}

/// `grant_type=client_credentials`, each answer a new access token.
pub(crate) async fn client_credentials(t: &Target, basic: Arc<String>) -> Row {
    measure(
        "client credentials (new token each time)",
        t.addr,
        t.workers,
        t.seconds,
        move |c, _, _| {
            let basic = basic.clone();
            async move {
                let r = c
                    .post_form(
                        "/oauth/token",
                        &[("grant_type", "client_credentials")],
                        &[(AUTHORIZATION, basic.as_str())],
                    )
                    .await;
                let ok = match r {
                    Ok((s, body)) if s == StatusCode::OK => serde_json::from_slice::<Value>(&body)
                        .is_ok_and(|v| v["access_token"].is_string()),
                    _ => false,
                };
                (1, ok)
            }
        },
    )
    .await
}

/// `grant_type=client_credentials` with a new DPoP proof each time; each
/// answer a new DPoP-bound access token.
pub(crate) async fn dpop(t: &Target, basic: Arc<String>) -> Result<Row> {
    let prover = Prover::new(&StoredDpopKey::generate()?)?;
    let url = Arc::new(format!("{}/oauth/token", t.base));
    Ok(measure(
        "client credentials with a DPoP proof",
        t.addr,
        t.workers,
        t.seconds,
        move |c, _, _| {
            let basic = basic.clone();
            let proof = prover.proof("POST", &url, None);
            async move {
                let Ok(proof) = proof else {
                    return (1, false);
                };
                let r = c
                    .post_form(
                        "/oauth/token",
                        &[("grant_type", "client_credentials")],
                        &[
                            (AUTHORIZATION, basic.as_str()),
                            (HeaderName::from_static("dpop"), proof.as_str()),
                        ],
                    )
                    .await;
                let ok = match r {
                    Ok((s, body)) if s == StatusCode::OK => serde_json::from_slice::<Value>(&body)
                        .is_ok_and(|v| v["token_type"] == "DPoP"),
                    _ => false,
                };
                (1, ok)
            }
        },
    )
    .await)
}
