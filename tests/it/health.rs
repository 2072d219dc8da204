//! `GET /health` and the fallback.

use crate::support::{TestApp, WriteLock, backend};

#[tokio::test]
async fn healthy_with_a_database_round_trip() {
    let app = TestApp::spawn().await;
    let r = app.get("/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "healthy");
    assert_eq!(r.json["database"], "connected");
    assert_eq!(r.json["writes"], "ok", "a probe of its own wrote");
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

/// Reads answer but writes do not (another connection holds the lock a
/// device code's insert needs, as a full disk or a read-only file would
/// refuse it): the write is answered 503, `/health` then says `degraded`
/// with a reason, within its deadline, and `healthy` again once a write
/// goes through.
#[tokio::test]
async fn degraded_when_reads_work_but_writes_do_not() {
    let app = TestApp::spawn_with(|c| {
        c.pool.statement_timeout = std::time::Duration::from_millis(300);
        c.pool.write_timeout = std::time::Duration::from_secs(2);
    })
    .await;
    let lock = WriteLock::take(&app.dir.url).await;
    let r = app.device_code(None).await;
    assert_eq!((r.status, r.error()), (503, "temporarily_unavailable"));
    let r = app.get("/health").await;
    assert_eq!(r.status, 503, "{:?}", r.json);
    assert_eq!(r.json["status"], "degraded");
    assert_eq!(r.json["database"], "connected");
    assert_eq!(r.json["writes"], "failing");
    assert!(r.json["reason"].is_string(), "{:?}", r.json);

    lock.release().await;
    assert_eq!(app.device_code(None).await.status, 200);
    let r = app.get("/health").await;
    assert_eq!(
        (r.status, r.json["status"].as_str()),
        (200, Some("healthy"))
    );
}
