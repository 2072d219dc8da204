//! Sign-in for apps: `GET /oauth/authorize`, the consent page and its
//! decision, and `grant_type=authorization_code` with PKCE (RFC 6749 §4.1,
//! RFC 7636, RFC 9207), through the real HTTP app on either engine: the
//! happy path, every refusal and where it is answered (page or redirect),
//! single use under concurrency, reuse revoking, expiry by the clock, and
//! hostile input.

use authgate::model::audit::AuditAction;

use crate::oidc::params;
use crate::support::{Page, Reply, TestApp};

mod grants;
mod hostile;
mod logout;
mod prompt;
mod remembered;
mod single_use;

/// RFC 7636 Appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const APP: &str = "web-app";
pub(crate) const REDIRECT: &str = "https://app.example/callback";
const ISSUER: &str = "http://localhost:8080";

/// An app with a public client `web-app` (refresh tokens on) whose
/// redirect URIs are [`REDIRECT`] and a loopback one.
pub(crate) async fn spawn() -> TestApp {
    let app = TestApp::spawn().await;
    app.add_client(APP, None, "read write", true).await;
    app.core
        .store
        .set_client_redirect_uris(APP, &[REDIRECT.into(), "http://127.0.0.1/cb".into()])
        .await
        .unwrap();
    app
}

/// The usual request's parameters: code, S256, state `xyz`, scope `read`.
fn request() -> Vec<(&'static str, String)> {
    [
        ("response_type", "code"),
        ("client_id", APP),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("state", "xyz"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// `request()` with `name` set to `value` (or removed when `None`).
pub(crate) fn with(name: &'static str, value: Option<&str>) -> Vec<(&'static str, String)> {
    let mut pairs: Vec<_> = request().into_iter().filter(|(k, _)| *k != name).collect();
    if let Some(value) = value {
        pairs.push((name, value.to_owned()));
    }
    pairs
}

fn authorize_path(pairs: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", query.finish())
}

/// Opens the consent page of `pairs` (signed in), which must be shown.
async fn consent(app: &TestApp, pairs: &[(&str, String)]) -> Page {
    let page = app.page(&authorize_path(pairs)).await;
    assert_eq!(page.status, 200, "consent page: {}", page.body);
    page
}

/// Answers a consent page; returns the 303's `Location`.
async fn answer(app: &TestApp, page: &Page, decision: &str) -> String {
    let reply = app.decide_app(page, decision).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    reply.location().unwrap().to_owned()
}

/// Approves `pairs` (signed in) and returns the code: on the consent page,
/// or at once when the consent is remembered.
pub(crate) async fn code_for(app: &TestApp, pairs: &[(&str, String)]) -> String {
    let page = app.page(&authorize_path(pairs)).await;
    let location = match page.status {
        200 => answer(app, &page, "approve").await,
        303 => page.location().unwrap().to_owned(),
        other => panic!("authorize answered {other}: {}", page.body),
    };
    params(&location)["code"].clone()
}

async fn exchange(app: &TestApp, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", APP),
    ];
    if let Some(verifier) = verifier {
        form.push(("code_verifier", verifier));
    }
    app.post_form("/oauth/token", &form).await
}

/// A refused request's redirect: `(error, state)`, with `iss` checked.
async fn refused_redirect(app: &TestApp, pairs: &[(&str, String)]) -> (String, Option<String>) {
    let page = app.page(&authorize_path(pairs)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let location = page.location().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let p = params(location);
    assert_eq!(p["iss"], ISSUER, "RFC 9207");
    assert!(!p.contains_key("code"));
    (p["error"].clone(), p.get("state").cloned())
}

/// An error page, never a redirect (RFC 6749 §4.1.2.1).
async fn error_page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, 400, "{path}: {}", page.body);
    assert!(page.location().is_none(), "{path}");
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    page
}

#[tokio::test]
async fn a_signed_in_person_approves_and_the_app_redeems_with_pkce() {
    let app = spawn().await;
    app.sign_in().await;
    let page = consent(&app, &request()).await;
    assert!(page.body.contains("Client web-app"), "the app's name");
    assert!(page.body.contains("app.example"), "where it returns");
    assert!(
        page.body.contains("Read your data"),
        "scopes in plain words"
    );
    assert!(!page.body.contains("<script>"), "no inline script");
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://app.example;"),
        "{csp}"
    );
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let location = answer(&app, &page, "approve").await;
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    let p = params(&location);
    assert_eq!(p["state"], "xyz");
    assert_eq!(p["iss"], ISSUER);
    assert!(p["code"].len() >= 22, "at least 128 bits");

    let reply = exchange(&app, &p["code"], Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["scope"], "read");
    assert_eq!(reply.json["expires_in"], 3600);
    assert!(reply.json["refresh_token"].is_string());
    let info = app
        .tokeninfo(reply.json["access_token"].as_str().unwrap())
        .await;
    assert_eq!(info.status, 200);
    assert_eq!(info.json["client_id"], APP);
    assert_eq!(info.json["username"], "admin");
    let approved = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::AppApproved), 5)
        .await
        .unwrap();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].ip.as_deref(), Some("127.0.0.1"));
    // The person sees the approval on /account.
    let account = app.page("/account").await;
    assert!(account.body.contains("Sign-in via app.example"));
    // The refresh token works like the device grant's.
    let refreshed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    reply.json["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", APP),
            ],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.json);
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_is_invalid_grant() {
    let app = spawn().await;
    app.sign_in().await;
    let code = code_for(&app, &request()).await;
    let wrong = VERIFIER.replace('d', "e");
    for verifier in [Some(wrong.as_str()), None, Some("short")] {
        let reply = exchange(&app, &code, verifier).await;
        assert_eq!(
            (reply.status, reply.error()),
            (400, "invalid_grant"),
            "{verifier:?}"
        );
    }
    let reply = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(reply.status, 200, "failed checks do not use the code up");
}

#[tokio::test]
async fn plain_and_missing_challenges_are_refused_at_the_redirect_uri() {
    let app = spawn().await;
    app.sign_in().await;
    for pairs in [
        with("code_challenge_method", Some("plain")),
        with("code_challenge_method", None),
        with("code_challenge", None),
        with("code_challenge", Some("too-short")),
    ] {
        let (error, state) = refused_redirect(&app, &pairs).await;
        assert_eq!(error, "invalid_request", "{pairs:?}");
        assert_eq!(state.as_deref(), Some("xyz"));
    }
    let (error, _) = refused_redirect(&app, &with("response_type", Some("token"))).await;
    assert_eq!(error, "unsupported_response_type");
    let (error, _) = refused_redirect(&app, &with("scope", Some("admin"))).await;
    assert_eq!(error, "invalid_scope");
}

#[tokio::test]
async fn a_confidential_client_may_skip_pkce_but_must_authenticate() {
    let app = spawn().await;
    app.add_client("server-app", Some("s3cret-s3cret"), "read", false)
        .await;
    app.core
        .store
        .set_client_redirect_uris("server-app", &[REDIRECT.into()])
        .await
        .unwrap();
    app.sign_in().await;
    let mut pairs = with("code_challenge", None);
    pairs.retain(|(k, _)| *k != "code_challenge_method" && *k != "client_id");
    pairs.push(("client_id", "server-app".into()));
    let code = code_for(&app, &pairs).await;
    let form = |secret: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", "server-app"),
            ("client_secret", secret),
        ]
    };
    let reply = app.post_form("/oauth/token", &form("wrong")).await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_client"));
    let reply = app.post_form("/oauth/token", &form("s3cret-s3cret")).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert!(
        reply.json.get("refresh_token").is_none(),
        "none for this client"
    );
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_get_a_page_never_a_redirect() {
    let app = spawn().await;
    app.sign_in().await;
    error_page(&app, &authorize_path(&with("client_id", Some("nope")))).await;
    error_page(&app, &authorize_path(&with("client_id", None))).await;
    for evil in [
        "https://evil.example/callback",
        "https://app.example/callback/",
        "https://app.example/callback?x=1",
        "http://localhost:5000/cb",
    ] {
        error_page(&app, &authorize_path(&with("redirect_uri", Some(evil)))).await;
    }
    // Two registered: the request must name one.
    error_page(&app, &authorize_path(&with("redirect_uri", None))).await;
    // Repeated client_id or redirect_uri: no safe place to answer.
    let mut pairs = request();
    pairs.push(("redirect_uri", "https://evil.example/cb".into()));
    error_page(&app, &authorize_path(&pairs)).await;
    // Unknown before sign-in too: nobody is sent to sign in for nothing.
    let stranger = app.reply_client().await;
    let resp = stranger
        .get(app.url(&authorize_path(&with("client_id", Some("nope")))))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn a_loopback_redirect_matches_any_port() {
    let app = spawn().await;
    app.sign_in().await;
    let uri = "http://127.0.0.1:54321/cb";
    let page = consent(&app, &with("redirect_uri", Some(uri))).await;
    assert!(page.body.contains("127.0.0.1:54321"));
    let location = answer(&app, &page, "approve").await;
    assert!(location.starts_with(&format!("{uri}?code=")), "{location}");
    let code = params(&location)["code"].clone();
    let wrong_port = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:1/cb"),
                ("client_id", APP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(
        wrong_port.error(),
        "invalid_grant",
        "the token request repeats it exactly"
    );
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", uri),
                ("client_id", APP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
}

#[tokio::test]
async fn the_only_registered_redirect_uri_may_be_left_out() {
    let app = spawn().await;
    app.core
        .store
        .set_client_redirect_uris(APP, &[REDIRECT.into()])
        .await
        .unwrap();
    app.sign_in().await;
    let code = code_for(&app, &with("redirect_uri", None)).await;
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", APP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    // When the request named it, the token request must repeat it.
    let code = code_for(&app, &request()).await;
    let reply = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", APP),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(reply.error(), "invalid_grant");
}

#[tokio::test]
async fn a_denial_returns_access_denied_with_state_and_iss() {
    let app = spawn().await;
    app.sign_in().await;
    let page = consent(&app, &request()).await;
    let location = answer(&app, &page, "deny").await;
    let p = params(&location);
    assert!(location.starts_with(REDIRECT));
    assert_eq!(p["error"], "access_denied");
    assert_eq!(p["state"], "xyz");
    assert_eq!(p["iss"], ISSUER);
    assert!(!p.contains_key("code"));
    let denied = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::AppDenied), 5)
        .await
        .unwrap();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].client_id.as_deref(), Some(APP));
    assert_eq!(denied[0].target.as_deref(), Some("app.example"));
}

#[tokio::test]
async fn a_signed_out_person_signs_in_and_comes_back_to_the_consent() {
    let app = spawn().await;
    let path = authorize_path(&request());
    let page = app.page(&path).await;
    assert_eq!(page.status, 303);
    let login = page.location().unwrap().to_owned();
    assert!(login.starts_with("/login?next="), "{login}");
    let form = app.page(&login).await;
    assert!(form.body.contains("continue to the application"));
    let next = crate::support::hidden_field(&form.body, "next").unwrap();
    let signed_in = app
        .submit(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("username", "admin"),
                ("password", crate::support::ADMIN_PASSWORD),
                ("next", &next.replace("&amp;", "&")),
            ],
            false,
        )
        .await;
    assert_eq!(signed_in.continues_to(), path.as_str());
    let consent = consent(&app, &request()).await;
    let location = answer(&app, &consent, "approve").await;
    assert!(params(&location).contains_key("code"));
}
