//! MAX_PENDING_CODES_PER_CLIENT: a client with that many live pending
//! device codes gets `slow_down` (429, Retry-After) for new ones until
//! codes are decided or expire; other clients are not affected; the count
//! survives a restart; reaching it is counted and audited once a minute.

use authgate::model::Decision;
use authgate::model::audit::AuditAction;

use crate::support::{TestApp, TestDb};

const CEILING: u64 = 3;

async fn with_ceiling(db: std::sync::Arc<TestDb>) -> TestApp {
    TestApp::spawn_in(db, |c| c.max_pending_codes_per_client = CEILING).await
}

async fn audited(app: &TestApp) -> usize {
    app.core
        .store
        .recent_audit_events(Some(AuditAction::DeviceClientCapReached), 100)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_client_at_its_ceiling_is_told_to_slow_down_until_codes_are_decided_or_expire() {
    let app = with_ceiling(TestDb::fresh().await).await;
    let mut user_codes = Vec::new();
    for _ in 0..CEILING {
        user_codes.push(app.start_flow().await.1);
    }
    let refused = app.device_code(None).await;
    assert_eq!(refused.status, 429, "{:?}", refused.json);
    assert_eq!(refused.error(), "slow_down");
    let retry: i64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(
        refused.json["error_description"]
            .as_str()
            .unwrap()
            .contains("too many device requests waiting"),
        "{:?}",
        refused.json
    );
    // Another client is not held to this one's ceiling.
    app.add_client("other", None, "read", false).await;
    let other = app
        .post_form("/oauth/device/code", &[("client_id", "other")])
        .await;
    assert_eq!(other.status, 200, "{:?}", other.json);

    // A decision frees a slot at once.
    app.decide(&user_codes[0], Decision::Deny).await;
    assert_eq!(app.device_code(None).await.status, 200);
    assert_eq!(app.device_code(None).await.status, 429);

    // So does expiry: every code expires after DEVICE_CODE_EXPIRATION.
    app.advance(30 * 60 + 1);
    assert_eq!(app.device_code(None).await.status, 200);

    // Refusals are audited once a minute per client, not once each.
    assert_eq!(audited(&app).await, 1);
    let metrics = app.core.metrics.render();
    assert!(
        metrics.contains(r#"authgate_rate_limited_total{limit="client_pending_codes"} 2"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_count_survives_a_restart() {
    let db = TestDb::fresh().await;
    let app = with_ceiling(db.clone()).await;
    for _ in 0..CEILING {
        app.start_flow().await;
    }
    app.shutdown().await;
    let again = with_ceiling(db).await;
    let refused = again.device_code(None).await;
    assert_eq!(refused.status, 429, "counted from the database at start-up");
}

#[tokio::test]
async fn no_ceiling_when_it_is_zero() {
    let app = TestApp::spawn_with(|c| c.max_pending_codes_per_client = 0).await;
    for _ in 0..5 {
        app.start_flow().await;
    }
}
