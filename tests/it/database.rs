//! Database settings on whichever engine the suite runs on: the statement
//! timeout on every pooled connection and the schema check.

use std::time::Duration;

use authgate::store::Backend;

use crate::support::{TestApp, backend};

#[tokio::test]
async fn statement_timeout_is_set_on_every_connection() {
    let app = TestApp::spawn_with(|c| {
        c.pool.statement_timeout = Duration::from_millis(300);
    })
    .await;
    let store = &app.core.store;
    assert_eq!(store.backend().as_str(), backend());
    match store.backend() {
        Backend::Postgres => {
            let pool = store.postgres_pool().unwrap();
            // Several connections at once, so not only the first is checked.
            let mut conns = Vec::new();
            for _ in 0..3 {
                conns.push(pool.acquire().await.unwrap());
            }
            for conn in &mut conns {
                let (value,): (String,) = sqlx::query_as("SHOW statement_timeout")
                    .fetch_one(&mut **conn)
                    .await
                    .unwrap();
                assert_eq!(value, "300ms");
            }
            drop(conns);
            let err = sqlx::query("SELECT pg_sleep(2)")
                .execute(pool)
                .await
                .unwrap_err();
            let code = err.as_database_error().and_then(|e| e.code());
            assert_eq!(code.as_deref(), Some("57014"), "query_canceled: {err}");
            // The pool stays usable after a cancelled statement.
            assert!(store.ping().await.is_ok());
        }
        Backend::Sqlite => {
            let pool = store.sqlite_pool().unwrap();
            let (ms,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(ms, 300);
        }
    }
}

#[tokio::test]
async fn a_migrated_database_has_no_pending_migrations() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.core.store.pending_migrations().await.unwrap(),
        Vec::<String>::new()
    );
}
