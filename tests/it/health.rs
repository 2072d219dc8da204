//! `GET /health` and the fallback.

use crate::support::{TestApp, backend};

#[tokio::test]
async fn healthy_with_a_database_round_trip() {
    let app = TestApp::spawn().await;
    let r = app.get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "healthy");
    assert_eq!(r.json["database"], "connected");
    assert_eq!(r.json["database_kind"], backend());
    assert!(r.json["database_latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(r.json["timestamp"].is_string());
    assert!(
        r.header("x-request-id").is_some(),
        "every response carries a request id"
    );
}

#[tokio::test]
async fn unhealthy_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.core.store.close().await;
    let r = app.get("/health").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json["status"], "unhealthy");
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let app = TestApp::spawn().await;
    let r = app.get("/oauth/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "not_found");
}
