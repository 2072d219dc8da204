//! The scenarios, one function each: what a worker does in a loop, and
//! what it counts as a correct answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Result;
use hyper::StatusCode;
use hyper::header::AUTHORIZATION;
use serde_json::Value;

use crate::client::{ADMIN, Browser, Conn, create_user, device_code, issue_token, poll, sign_in};
use crate::measure::{Row, measure};
use crate::{INTROSPECTION_TOKEN, SIGN_IN_BURST};

/// What every scenario runs against.
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) base: String,
    /// A connection for set-up requests (codes, tokens).
    pub(crate) conn: Conn,
    /// The signed-in administrator, for approvals.
    pub(crate) browser: Browser,
    pub(crate) seconds: u64,
    pub(crate) workers: usize,
}

/// The one of `items` worker `w` uses for its `i`-th request: spread so
/// that workers do not walk the list in step.
fn pick(items: &[String], w: usize, i: u64, stride: usize) -> &str {
    &items[(w * stride + usize::try_from(i).unwrap_or(0)) % items.len()]
}

pub(crate) async fn health(t: &Target) -> Row {
    measure(
        "health",
        t.addr,
        t.workers,
        t.seconds,
        |c, _, _| async move {
            let ok = matches!(c.get("/health", None).await, Ok((s, _)) if s == StatusCode::OK);
            (1, ok)
        },
    )
    .await
}

pub(crate) async fn device_codes(t: &Target) -> Row {
    measure(
        "device_code",
        t.addr,
        t.workers,
        t.seconds,
        |c, _, _| async move { (1, device_code(&c).await.is_ok()) },
    )
    .await
}

/// `n` fresh pending device codes.
async fn pending_codes(t: &Target, n: usize) -> Result<Arc<Vec<String>>> {
    let mut codes = Vec::with_capacity(n);
    for _ in 0..n {
        let dc = device_code(&t.conn).await?;
        codes.push(dc["device_code"].as_str().unwrap_or_default().to_owned());
    }
    Ok(Arc::new(codes))
}

/// Polls spread over `codes` pending codes, so that both
/// `authorization_pending` and `slow_down` occur; the row says how many
/// of each.
pub(crate) async fn polls(t: &Target, codes: usize) -> Result<Row> {
    let codes = pending_codes(t, codes).await?;
    let pending = Arc::new(AtomicUsize::new(0));
    let slow = Arc::new(AtomicUsize::new(0));
    let (p, s) = (pending.clone(), slow.clone());
    let mut row = measure("poll", t.addr, t.workers, t.seconds, move |c, w, i| {
        let (codes, p, s) = (codes.clone(), p.clone(), s.clone());
        async move {
            let answer = poll(&c, pick(&codes, w, i, 7919)).await;
            let error = match answer {
                Ok((status, body)) if status == StatusCode::BAD_REQUEST => {
                    serde_json::from_slice::<Value>(&body).ok()
                }
                _ => None,
            };
            let ok = match error.as_ref().and_then(|v| v["error"].as_str()) {
                Some("authorization_pending") => {
                    p.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Some("slow_down") => {
                    s.fetch_add(1, Ordering::Relaxed);
                    true
                }
                _ => false,
            };
            (1, ok)
        }
    })
    .await;
    row.scenario = format!(
        "poll ({} pending, {} slow_down)",
        pending.load(Ordering::Relaxed),
        slow.load(Ordering::Relaxed)
    );
    Ok(row)
}

/// Polls while browsers sign in at full speed: Argon2 runs off the async
/// workers, so polling must keep most of its pace.
pub(crate) async fn polls_during_sign_ins(t: &Target, codes: usize) -> Result<Row> {
    let codes = pending_codes(t, codes).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let signed_in = Arc::new(AtomicUsize::new(0));
    let mut burst = Vec::new();
    for _ in 0..SIGN_IN_BURST {
        let (base, stop, signed_in) = (t.base.clone(), stop.clone(), signed_in.clone());
        burst.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if sign_in(&base, ADMIN, "127.0.0.1").await.is_ok() {
                    signed_in.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut row = measure(
        "poll_signin",
        t.addr,
        t.workers,
        t.seconds,
        move |c, w, i| {
            let codes = codes.clone();
            async move {
                let answer = poll(&c, pick(&codes, w, i, 7919)).await;
                (
                    1,
                    matches!(answer, Ok((s, _)) if s == StatusCode::BAD_REQUEST),
                )
            }
        },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for task in burst {
        let _ = task.await;
    }
    row.scenario = format!(
        "poll during sign-ins ({} sign-ins)",
        signed_in.load(Ordering::Relaxed)
    );
    Ok(row)
}

/// Access tokens from `n` complete flows, for the inspection scenarios.
pub(crate) async fn tokens(t: &Target, n: usize) -> Result<Arc<Vec<String>>> {
    let mut tokens = Vec::with_capacity(n);
    for _ in 0..n {
        tokens.push(issue_token(&t.conn, &t.browser).await?);
    }
    Ok(Arc::new(tokens))
}

pub(crate) async fn tokeninfo(t: &Target, tokens: Arc<Vec<String>>) -> Row {
    measure("tokeninfo", t.addr, t.workers, t.seconds, move |c, w, i| {
        let tokens = tokens.clone();
        async move {
            let r = c
                .get("/oauth/tokeninfo", Some(pick(&tokens, w, i, 1)))
                .await;
            (1, matches!(r, Ok((s, _)) if s == StatusCode::OK))
        }
    })
    .await
}

pub(crate) async fn introspection(t: &Target, tokens: Arc<Vec<String>>) -> Row {
    let auth = format!("Bearer {INTROSPECTION_TOKEN}");
    measure(
        "introspect",
        t.addr,
        t.workers,
        t.seconds,
        move |c, w, i| {
            let (tokens, auth) = (tokens.clone(), auth.clone());
            async move {
                let token = pick(&tokens, w, i, 1);
                let r = c
                    .post_form(
                        "/oauth/introspect",
                        &[("token", token)],
                        &[(AUTHORIZATION, auth.as_str())],
                    )
                    .await;
                let ok = match r {
                    Ok((s, body)) if s == StatusCode::OK => {
                        serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["active"] == true)
                    }
                    _ => false,
                };
                (1, ok)
            }
        },
    )
    .await
}

/// `n` people, each with an account, a signed-in browser and an address
/// of their own (from the benchmarking range 198.18.0.0/15), as many
/// people approving at once are; created through the admin page.
pub(crate) async fn people(t: &Target, n: usize) -> Result<Arc<Vec<Browser>>> {
    let mut people = Vec::with_capacity(n);
    for i in 0..n {
        let username = format!("bench-user-{i}");
        let password = format!("bench-password-{i}");
        create_user(&t.conn, &t.browser, &username, &password).await?;
        let address = format!("198.18.{}.{}", i / 250, i % 250 + 1);
        people.push(sign_in(&t.base, (&username, &password), &address).await?);
    }
    Ok(Arc::new(people))
}

/// Complete flows as a device and a person make them: request, code
/// entry, approval, redemption; each worker is one of `people`.
pub(crate) async fn flows(t: &Target, people: Arc<Vec<Browser>>) -> Row {
    measure(
        "complete flow (4 requests)",
        t.addr,
        people.len(),
        t.seconds,
        move |c, w, _| {
            let person = people[w % people.len()].clone();
            async move { (4, issue_token(&c, &person).await.is_ok()) }
        },
    )
    .await
}
