//! `GET /health` and the fallback.

use crate::support::{TestApp, backend};

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

/// Reads answer but writes do not (another connection holds the write
/// lock, as a full disk or a read-only file would refuse them): `/health`
/// says `degraded` with a reason, within its deadline, and `healthy` again
/// once writes go through.
#[tokio::test]
async fn degraded_when_reads_work_but_writes_do_not() {
    use sqlx::{Connection, Executor};
    // Nothing written through the writer yet: /health probes.
    let app = TestApp::spawn().await;
    let release = if backend() == "postgres" {
        let mut c = sqlx::PgConnection::connect(&app.dir.url).await.unwrap();
        c.execute("BEGIN").await.unwrap();
        c.execute("LOCK TABLE settings IN EXCLUSIVE MODE")
            .await
            .unwrap();
        Box::pin(async move { c.execute("ROLLBACK").await.map(|_| ()) })
            as std::pin::Pin<Box<dyn std::future::Future<Output = sqlx::Result<()>> + Send>>
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.dir.url).await.unwrap();
        c.execute("BEGIN IMMEDIATE").await.unwrap();
        Box::pin(async move { c.execute("ROLLBACK").await.map(|_| ()) })
    };
    let r = app.get("/health").await;
    assert_eq!(r.status, 503, "{:?}", r.json);
    assert_eq!(r.json["status"], "degraded");
    assert_eq!(r.json["database"], "connected");
    assert_eq!(r.json["writes"], "failing");
    assert!(r.json["reason"].is_string(), "{:?}", r.json);

    release.await.unwrap();
    for _ in 0..100 {
        let r = app.get("/health").await;
        if r.status == 200 {
            assert_eq!(r.json["status"], "healthy");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("healthy again once writes go through");
}
