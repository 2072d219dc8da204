//! `/metrics`: what it counts after real traffic, and its three settings
//! (METRICS, METRICS_TOKEN, METRICS_ADDR).

use authgate::model::Decision;
use secrecy::SecretString;

use crate::support::TestApp;

async fn scrape(app: &TestApp, token: Option<&str>) -> (u16, String, String) {
    let mut req = app.http.get(app.url("/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, content_type, resp.text().await.unwrap())
}

/// The value of the series `series` (name and labels, as rendered).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_the_device_flow() {
    let app = TestApp::spawn_with(|c| c.rate_limit_device_code = 3).await;
    // Approved and redeemed; then revoked by its client.
    let tokens = app.issue_tokens().await;
    let reply = app
        .post_form(
            "/oauth/revoke",
            &[
                ("token", &tokens.refresh),
                ("client_id", &app.cli_client_id),
            ],
        )
        .await;
    assert_eq!(reply.status, 200);
    // Denied.
    let (_, user_code) = app.start_flow().await;
    app.decide(&user_code, Decision::Deny).await;
    // Expired: the device polls after the code's lifetime.
    let (device_code, _) = app.start_flow().await;
    app.advance(31 * 60);
    assert_eq!(app.poll(&device_code).await.error(), "expired_token");
    // Rate-limited (3 per minute per address).
    assert_eq!(app.device_code(None).await.status, 429);
    // A failed sign-in.
    let page = app.sign_in_as("admin", "wrong password").await;
    assert_eq!(page.status, 401);
    // Routes are templates, and unknown paths do not make series.
    let result_status = app.page("/device/approved").await.status;
    assert_eq!(app.get("/no/such/path/42").await.status, 404);

    let (status, content_type, text) = scrape(&app, None).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    for (series, expected) in [
        (r#"authgate_device_codes_total{event="issued"}"#, 3.0),
        (r#"authgate_device_codes_total{event="approved"}"#, 1.0),
        (r#"authgate_device_codes_total{event="denied"}"#, 1.0),
        (r#"authgate_device_codes_total{event="expired"}"#, 1.0),
        (
            r#"authgate_tokens_issued_total{grant_type="device_code"}"#,
            1.0,
        ),
        (
            r#"authgate_tokens_issued_total{grant_type="refresh_token"}"#,
            0.0,
        ),
        (r#"authgate_tokens_revoked_total{by="client"}"#, 1.0),
        ("authgate_sign_in_failures_total", 1.0),
        (r#"authgate_rate_limited_total{limit="device_code"}"#, 1.0),
        (
            r#"authgate_http_requests_total{method="POST",route="/oauth/device/code",status="429"}"#,
            1.0,
        ),
        (
            r#"authgate_http_requests_total{method="POST",route="/oauth/token",status="200"}"#,
            1.0,
        ),
        (
            r#"authgate_http_requests_total{method="GET",route="unmatched",status="404"}"#,
            1.0,
        ),
    ] {
        assert_eq!(value(&text, series), Some(expected), "{series}\n{text}");
    }
    let templated = format!(
        r#"authgate_http_requests_total{{method="GET",route="/device/{{outcome}}",status="{result_status}"}}"#
    );
    assert_eq!(value(&text, &templated), Some(1.0), "{templated}\n{text}");
    assert!(!text.contains("/device/approved"), "paths are templates");
    assert!(
        !text.contains("/no/such/path"),
        "raw paths never become labels"
    );
    assert!(text.contains(
        r#"authgate_http_request_duration_seconds_bucket{method="POST",route="/oauth/token",status="200",le="+Inf"} 1"#
    ));
    assert!(value(&text, "authgate_db_pool_connections").is_some_and(|n| n >= 1.0));
    assert!(value(&text, "authgate_db_pool_idle_connections").is_some());
    assert_eq!(value(&text, "authgate_db_pool_max_connections"), Some(8.0));
    assert!(text.contains("authgate_build_info{version=\""));
}

#[tokio::test]
async fn metrics_token_is_enforced() {
    let token = "scrape-token-0123456789";
    let app = TestApp::spawn_with(|c| c.metrics_token = Some(SecretString::from(token))).await;
    let (status, _, _) = scrape(&app, None).await;
    assert_eq!(status, 401);
    let (status, _, _) = scrape(&app, Some("scrape-token-0123456780")).await;
    assert_eq!(status, 401);
    let (status, _, text) = scrape(&app, Some(token)).await;
    assert_eq!(status, 200);
    assert!(text.contains("authgate_device_codes_total"));
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = TestApp::spawn_with(|c| c.metrics = false).await;
    let (status, _, _) = scrape(&app, None).await;
    assert_eq!(status, 404);
}

/// With METRICS_ADDR, /metrics moves to its own listener, which `start`
/// binds (port 0 here) beside the app's and stops with it.
#[tokio::test]
async fn metrics_move_to_their_own_address() {
    let app = TestApp::spawn_with(|c| c.metrics_addr = Some(([127, 0, 0, 1], 0).into())).await;
    let metrics = app.running.metrics_addr().expect("a metrics listener");
    assert_ne!(metrics.port(), 0, "the port it was given");
    let on_own = |path: &str| app.http.get(format!("http://{metrics}{path}")).send();

    assert_eq!(scrape(&app, None).await.0, 404, "not on the main listener");
    let own = on_own("/metrics").await.unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.text().await.unwrap().contains("authgate_build_info"));
    let elsewhere = on_own("/health").await.unwrap();
    assert_eq!(elsewhere.status(), 404, "only /metrics there");

    app.shutdown().await;
    assert!(
        std::net::TcpStream::connect(metrics).is_err(),
        "the metrics listener stops with the server"
    );
}

#[tokio::test]
async fn metrics_count_authorization_requests_by_outcome() {
    let app = TestApp::spawn().await;
    app.add_client("web", None, "read", true).await;
    app.core
        .store
        .set_client_redirect_uris("web", &["https://app.example/cb".into()])
        .await
        .unwrap();
    let path = "/oauth/authorize?response_type=code&client_id=web&scope=read&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
    assert_eq!(app.page(path).await.status, 303, "to sign in");
    app.sign_in().await;
    let page = app.page(path).await;
    assert_eq!(page.status, 200, "consent shown");
    let approved = app.decide_app(&page, "approve").await;
    assert_eq!(approved.status, 303);
    assert_eq!(app.page(path).await.status, 303, "remembered");
    let refused = format!("{path}&prompt=none%20login");
    assert_eq!(app.page(&refused).await.status, 303, "refused");
    assert_eq!(
        app.page("/oauth/authorize?client_id=nope").await.status,
        400
    );
    let (_, _, text) = scrape(&app, None).await;
    let count = |outcome: &str| {
        value(
            &text,
            &format!("authgate_authorization_requests_total{{outcome=\"{outcome}\"}}"),
        )
    };
    for (outcome, n) in [
        ("sign_in", 1.0),
        ("consent_shown", 1.0),
        ("approved", 1.0),
        ("remembered", 1.0),
        ("refused", 1.0),
        ("invalid", 1.0),
        ("denied", 0.0),
    ] {
        assert_eq!(count(outcome), Some(n), "{outcome}");
    }
}
