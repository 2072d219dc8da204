//! Outages as the app presents them, in process: a database that is gone
//! and requests past REQUEST_TIMEOUT are answered 503 with `Retry-After`,
//! as OAuth JSON or as a page, never as a 500 or an empty body. (The real
//! binary against failing databases: faults/.)

use std::time::Duration;

use crate::support::{TestApp, WriteLock};

#[tokio::test]
async fn a_database_that_is_gone_is_answered_503_and_discovery_still_works() {
    let app = TestApp::spawn().await;
    app.core.store.close().await;

    let r = app.device_code(None).await;
    assert_eq!((r.status, r.error()), (503, "temporarily_unavailable"));
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.header("cache-control"), Some("no-store"));

    let page = app.page("/login").await;
    assert_eq!(page.status, 503);
    assert!(
        page.body.contains("Temporarily unavailable"),
        "{}",
        page.body
    );
    assert_eq!(page.header("retry-after"), Some("5"));

    // Even with what memory holds grown old: served at once, read again
    // in the background.
    app.advance(60);
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path} from memory");
    }
    let meta = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(
        meta.json["scopes_supported"],
        serde_json::json!(["read", "write"])
    );
}

#[tokio::test]
async fn a_request_past_its_deadline_is_answered_503_json() {
    // The database is frozen for writes and would wait longer than the
    // request may: the deadline answers first. (A zero deadline is no
    // proof: a request that needs no wait at all finishes before it.)
    let app = TestApp::spawn_with(|c| {
        c.request_timeout = Duration::from_millis(300);
        c.pool.statement_timeout = Duration::from_secs(20);
        c.pool.write_timeout = Duration::from_secs(20);
    })
    .await;
    let lock = WriteLock::take(&app.dir.url).await;
    let r = tokio::time::timeout(Duration::from_secs(10), app.device_code(None))
        .await
        .expect("answered at the deadline, not when the database lets go");
    assert_eq!((r.status, r.error()), (503, "temporarily_unavailable"));
    assert!(r.header("retry-after").is_some());

    lock.release().await;
    assert_eq!(app.device_code(None).await.status, 200);
}
