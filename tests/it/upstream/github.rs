//! Sign-in through GitHub: a small axum stand-in for a GitHub Enterprise
//! Server on 127.0.0.1 (token endpoint, `/api/v3/user`,
//! `/api/v3/user/emails`) whose answers each test sets.

use std::sync::{Arc, Mutex};

use axum::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::Digest as _;

use super::{add_provider, find, links, user};
use crate::oidc::params;
use crate::support::TestApp;
use authgate::model::audit::AuditAction;
use authgate::model::upstream::ProviderKind;

const TOKEN: &str = "gho_test_token";

/// What the stand-in answers: (status, body) for each endpoint.
#[derive(Clone)]
struct Answers {
    token: (u16, String),
    user: (u16, String),
    emails: (u16, String),
}

struct Mock {
    base: String,
    answers: Arc<Mutex<Answers>>,
    /// The last token request's form.
    sent: Arc<Mutex<Vec<(String, String)>>>,
}

fn answer(
    (status, body): (u16, String),
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body,
    )
}

/// The API answers only the token the token endpoint gave, and only to
/// requests that ask for GitHub's media type.
fn api_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
        && headers.get("accept").and_then(|v| v.to_str().ok())
            == Some("application/vnd.github+json")
        && headers.contains_key("user-agent")
}

async fn mock() -> Mock {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answers = Arc::new(Mutex::new(Answers {
        token: (
            200,
            json!({"access_token": TOKEN, "token_type": "bearer", "scope": "read:user,user:email"})
                .to_string(),
        ),
        user: (
            200,
            json!({"id": 4242, "login": "octo-cat", "name": "Octo Cat", "email": null}).to_string(),
        ),
        emails: (
            200,
            json!([
                {"email": "octo@other.example", "primary": false, "verified": true},
                {"email": "octo@corp.example", "primary": true, "verified": true},
            ])
            .to_string(),
        ),
    }));
    let sent: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let (a1, a2, a3, s) = (
        answers.clone(),
        answers.clone(),
        answers.clone(),
        sent.clone(),
    );
    let router = axum::Router::new()
        .route(
            "/login/oauth/access_token",
            post(
                move |headers: HeaderMap, Form(form): Form<Vec<(String, String)>>| async move {
                    assert_eq!(headers.get("accept").unwrap(), "application/json");
                    *s.lock().unwrap() = form;
                    answer(a1.lock().unwrap().token.clone())
                },
            ),
        )
        .route(
            "/api/v3/user",
            get(move |headers: HeaderMap| async move {
                if !api_ok(&headers) {
                    return answer((401, json!({"message": "Bad credentials"}).to_string()));
                }
                answer(a2.lock().unwrap().user.clone())
            }),
        )
        .route(
            "/api/v3/user/emails",
            get(move |headers: HeaderMap| async move {
                if !api_ok(&headers) {
                    return answer((401, json!({"message": "Bad credentials"}).to_string()));
                }
                answer(a3.lock().unwrap().emails.clone())
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Mock {
        base,
        answers,
        sent,
    }
}

/// The app with a GitHub provider `corp` at the stand-in.
async fn setup(create: bool, trust: bool) -> (TestApp, Mock) {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| {
        p.kind = ProviderKind::Github;
        p.create_accounts = create;
        p.trust_email = trust;
    })
    .await;
    (app, mock)
}

/// Starts a sign-in: the parameters sent to GitHub.
async fn start(app: &TestApp, mock: &Mock) -> std::collections::HashMap<String, String> {
    let page = app.page("/login/upstream/corp").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location().unwrap();
    assert!(
        location.starts_with(&format!("{}/login/oauth/authorize?", mock.base)),
        "{location}"
    );
    params(location)
}

async fn callback(app: &TestApp, state: &str) -> crate::support::Page {
    app.page(&format!(
        "/login/upstream/corp/callback?code=gh-code&state={state}"
    ))
    .await
}

#[tokio::test]
async fn a_new_person_signs_in_with_github_by_numeric_id() {
    let (app, mock) = setup(true, false).await;
    let sent = start(&app, &mock).await;
    assert_eq!(sent["scope"], "read:user user:email");
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["client_id"], super::CLIENT);
    let page = callback(&app, &sent["state"]).await;
    assert_eq!(page.status, 303, "{}", page.body);

    // The token request carried the secret and the PKCE verifier.
    let form = mock.sent.lock().unwrap().clone();
    let value = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(value("client_secret").as_deref(), Some(super::SECRET));
    assert_eq!(value("code").as_deref(), Some("gh-code"));
    let verifier = value("code_verifier").unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes())),
        sent["code_challenge"]
    );

    let user = find(&app, "octo-cat").await.expect("account created");
    let ids = app
        .core
        .store
        .user_upstream_identities(user.id.as_str())
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].subject, "4242", "the numeric id, not the login");

    // The same callback again is refused: the state is single-use.
    let again = callback(&app, &sent["state"]).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.body.contains("expired"));

    // Renamed at GitHub: the same id signs in to the same account, and
    // the new login makes no second one.
    mock.answers.lock().unwrap().user = (
        200,
        json!({"id": 4242, "login": "renamed", "name": null}).to_string(),
    );
    let sent = start(&app, &mock).await;
    let page = callback(&app, &sent["state"]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(find(&app, "renamed").await.is_none());
    assert_eq!(links(&app, user.id.as_str()).await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn only_a_verified_primary_address_links_to_a_trusted_account() {
    let (app, mock) = setup(false, true).await;
    let ann = user(&app, "ann", Some("octo@corp.example"), true).await;
    let bob = user(&app, "bob", Some("octo@other.example"), true).await;

    // Unverified primary address: no link, a password sign-in is asked
    // for; bob's (verified, not primary) address links nothing either.
    mock.answers.lock().unwrap().emails = (
        200,
        json!([
            {"email": "octo@other.example", "primary": false, "verified": true},
            {"email": "octo@corp.example", "primary": true, "verified": false},
        ])
        .to_string(),
    );
    let sent = start(&app, &mock).await;
    let page = callback(&app, &sent["state"]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to link"), "{}", page.body);
    assert_eq!(links(&app, &ann).await, 0);
    assert_eq!(links(&app, &bob).await, 0);

    // Verified primary address: linked to ann and signed in.
    mock.answers.lock().unwrap().emails = (
        200,
        json!([
            {"email": "octo@corp.example", "primary": true, "verified": true},
        ])
        .to_string(),
    );
    let sent = start(&app, &mock).await;
    let page = callback(&app, &sent["state"]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(links(&app, &ann).await, 1);
    assert_eq!(links(&app, &bob).await, 0);
    let account = app.page("/account").await;
    assert!(account.body.contains("ann"));
    app.shutdown().await;
}

#[tokio::test]
async fn github_failures_are_pages_and_audited() {
    let (app, mock) = setup(true, false).await;
    type Change = fn(&mut Answers);
    let cases: [(&str, Change, u16, &str); 6] = [
        (
            "token endpoint error",
            |a| a.token = (200, json!({"error": "bad_verification_code"}).to_string()),
            502,
            "could not be verified",
        ),
        (
            "token without access_token",
            |a| a.token = (200, json!({"token_type": "bearer"}).to_string()),
            502,
            "could not be verified",
        ),
        (
            "API 500",
            |a| a.user = (500, "oops".into()),
            502,
            "not answering",
        ),
        (
            "API 401",
            |a| a.user = (401, json!({"message": "Bad credentials"}).to_string()),
            502,
            "could not be verified",
        ),
        (
            "API malformed",
            |a| a.emails = (200, "[{\"email\": 1".into()),
            502,
            "not answering",
        ),
        (
            "no primary address",
            |a| {
                a.emails = (
                    200,
                    json!([{"email": "x@corp.example", "primary": false, "verified": true}])
                        .to_string(),
                )
            },
            403,
            "did not say which e-mail address",
        ),
    ];
    let honest = mock.answers.lock().unwrap().clone();
    for (what, change, status, says) in cases {
        {
            let mut answers = mock.answers.lock().unwrap();
            *answers = honest.clone();
            change(&mut answers);
        }
        let sent = start(&app, &mock).await;
        let page = callback(&app, &sent["state"]).await;
        assert_eq!(page.status, status, "{what}: {}", page.body);
        assert!(page.body.contains(says), "{what}: {}", page.body);
        assert!(find(&app, "octo-cat").await.is_none(), "{what}");
    }
    let refused = crate::admin::audit(&app, AuditAction::UpstreamRefused).await;
    let api = refused
        .iter()
        .filter(|e| e.detail.as_deref() == Some("code exchange or GitHub API refused"))
        .count();
    assert_eq!(api, 6);
    app.shutdown().await;
}
