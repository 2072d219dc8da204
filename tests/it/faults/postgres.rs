//! PostgreSQL faults, each on a private cluster (see cluster.rs).

use std::time::Duration;

use super::cluster::Cluster;
use super::*;
use crate::support::backend;

/// The whole of one test, at most.
const BUDGET: Duration = Duration::from_secs(60);
/// An outage's answer comes within this (DATABASE_ACQUIRE_TIMEOUT is 2 s
/// by default; /health has a deadline of its own).
const FAST: Duration = Duration::from_millis(3_500);

/// A private cluster, on the PostgreSQL pass of the suite only (the
/// SQLite pass would run the same test a second time).
fn cluster_for(test: &str) -> Option<Cluster> {
    if backend() != "postgres" {
        eprintln!("{test}: runs on the PostgreSQL pass of the suite (make unit-pg)");
        return None;
    }
    Cluster::start(test)
}

async fn codes(cluster: &Cluster) -> Codes {
    let mut db = cluster.connect().await;
    codes_of(sqlx::query_as(CODES_SQL).fetch_all(&mut db).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_answered_fast_and_recovered_from() {
    let Some(mut cluster) = cluster_for("a_stopped_database_is_answered_fast_and_recovered_from")
    else {
        return;
    };
    tokio::time::timeout(BUDGET, stopped(&mut cluster))
        .await
        .expect("the test finishes within its budget");
}

async fn stopped(cluster: &mut Cluster) {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(tmp.path(), &[("DATABASE_URL", &cluster.url)]).await;
    let http = http();
    let browser = Browser::sign_in(&server).await;
    let mut flows = Vec::new();
    for _ in 0..4 {
        flows.push(start_flow(&server, &http).await);
    }
    browser.approved(&server, &flows[0]).await;
    browser.approved(&server, &flows[1]).await;
    let first = redeem(&server, &http, &flows[0], FAST).await;

    cluster.stop();

    request_code(&server, &http)
        .await
        .assert_unavailable("a device code request", FAST);
    poll(&server, &http, &flows[2])
        .await
        .assert_unavailable("a poll that needs the database", FAST);
    browser
        .approve(&server, &flows[3])
        .await
        .assert_unavailable_page("an approval", FAST);
    answer(super::http().get(server.url("/login")))
        .await
        .assert_unavailable_page("the sign-in page of a new visitor", FAST);
    let health = answer(http.get(server.url("/health"))).await;
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (503, Some("unhealthy")),
        "{health:?}"
    );
    assert!(health.took < FAST, "/health took {:?}", health.took);
    // Discovery is answered from memory.
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ] {
        let a = answer(http.get(server.url(path))).await;
        assert_eq!(a.status, 200, "{path}: {a:?}");
    }

    let back = now();
    cluster.start_again();
    let started = back.elapsed();
    let recovered = time_to_recover(Duration::from_secs(20), || request_code(&server, &http)).await;
    eprintln!(
        "postgres stopped: started again in {started:?}, first device code {recovered:?} later"
    );
    let second = redeem(&server, &http, &flows[1], FAST).await;
    browser.approved(&server, &flows[3]).await;
    let fourth = redeem(&server, &http, &flows[3], FAST).await;
    for token in [&first, &second, &fourth] {
        assert_eq!(tokeninfo(&server, &http, token).await.status, 200);
    }
    let health = answer(http.get(server.url("/health"))).await;
    assert_eq!(health.status, 200, "{health:?}");
    server.stop().await;
    check_codes(
        &codes(cluster).await,
        &[&flows[0], &flows[1], &flows[3]],
        &[&flows[0], &flows[1], &flows[3]],
    );
}
