//! PostgreSQL faults, each on a private cluster (see cluster.rs): stopped,
//! restarted, its backends terminated, frozen.

use std::time::Duration;

use futures::future::join_all;

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
    let server = start(tmp.path(), &[("DATABASE_URL", &cluster.url)]).await;
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
        assert!(
            a.took < Duration::from_millis(500),
            "{path} from memory: {a:?}"
        );
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

/// After a restart of PostgreSQL, and after its backends are terminated,
/// the first write — alone in its round — succeeds: the writer notices
/// its connection is dead and retries once on a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_heals_after_a_restart_and_killed_backends() {
    let Some(mut cluster) = cluster_for("the_writer_heals_after_a_restart_and_killed_backends")
    else {
        return;
    };
    tokio::time::timeout(BUDGET, heals(&mut cluster))
        .await
        .expect("the test finishes within its budget");
}

async fn heals(cluster: &mut Cluster) {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), &[("DATABASE_URL", &cluster.url)]).await;
    let http = http();
    let browser = Browser::sign_in(&server).await;
    let mut flows = Vec::new();
    for _ in 0..3 {
        flows.push(start_flow(&server, &http).await);
    }
    browser.approved(&server, &flows[0]).await;
    let mut tokens = vec![redeem(&server, &http, &flows[0], FAST).await];

    // Restarted while idle: the first write is a device code request.
    cluster.stop();
    cluster.start_again();
    let a = request_code(&server, &http).await;
    assert_eq!(a.status, 200, "the first write after a restart: {a:?}");

    // Backends terminated: the first write is an approval.
    assert!(cluster.terminate_backends().await > 0);
    browser.approved(&server, &flows[1]).await;

    // And again: the first write is a redemption.
    assert!(cluster.terminate_backends().await > 0);
    let a = poll(&server, &http, &flows[1]).await;
    assert_eq!(
        a.status, 200,
        "the first write after terminated backends: {a:?}"
    );
    tokens.push(a.json()["access_token"].as_str().unwrap().to_owned());

    for token in &tokens {
        assert_eq!(tokeninfo(&server, &http, token).await.status, 200);
    }
    server.stop().await;
    check_codes(
        &codes(cluster).await,
        &[&flows[0], &flows[1]],
        &[&flows[0], &flows[1]],
    );
}

/// The database freezes (SIGSTOP) for longer than REQUEST_TIMEOUT while
/// approved devices redeem. Their requests are answered
/// `temporarily_unavailable` within the write deadline, and once the
/// database answers again every device gets its token: a redemption that
/// committed late is handed to the device's next poll, never judged a
/// replay (which would revoke it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_loses_no_acknowledged_approval() {
    let Some(mut cluster) = cluster_for("a_frozen_database_loses_no_acknowledged_approval") else {
        return;
    };
    tokio::time::timeout(BUDGET, frozen(&mut cluster))
        .await
        .expect("the test finishes within its budget");
}

/// How many devices redeem while the database is frozen.
const DEVICES: usize = 6;
/// REQUEST_TIMEOUT of the frozen test, and how long the freeze lasts.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);
const FREEZE: Duration = Duration::from_secs(10);

async fn frozen(cluster: &mut Cluster) {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(
        tmp.path(),
        &[
            ("DATABASE_URL", &cluster.url),
            ("REQUEST_TIMEOUT", "8s"),
            ("DATABASE_STATEMENT_TIMEOUT", "2s"),
            ("DATABASE_ACQUIRE_TIMEOUT", "1s"),
        ],
    )
    .await;
    let http = http();
    let browser = Browser::sign_in(&server).await;
    let mut flows = Vec::new();
    for _ in 0..DEVICES {
        flows.push(start_flow(&server, &http).await);
    }
    for flow in &flows {
        browser.approved(&server, flow).await;
    }
    // The client was just authenticated and the codes just decided here:
    // the devices' polls go straight to the writer.
    cluster.freeze();
    let frozen_at = now();
    let answers = join_all(flows.iter().map(|f| poll(&server, &http, f))).await;
    for a in &answers {
        assert!(
            a.took < REQUEST_TIMEOUT,
            "answered before REQUEST_TIMEOUT: {a:?}"
        );
        assert_ne!(a.status, 200, "nothing can commit while frozen: {a:?}");
        a.assert_unavailable("a redemption while frozen", Duration::from_secs(4));
    }
    let health = answer(http.get(server.url("/health"))).await;
    assert_eq!(health.status, 503, "{health:?}");
    assert!(health.took < FAST, "/health took {:?}", health.took);
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ] {
        let a = answer(http.get(server.url(path))).await;
        assert_eq!(a.status, 200, "{path}: {a:?}");
        assert!(
            a.took < Duration::from_millis(500),
            "{path} from memory: {a:?}"
        );
    }
    if let Some(rest) = FREEZE.checked_sub(frozen_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    cluster.thaw();
    let thawed = now();

    let tokens = join_all(
        flows
            .iter()
            .map(|f| redeem(&server, &http, f, Duration::from_secs(20))),
    )
    .await;
    eprintln!(
        "postgres frozen {FREEZE:?}: every device had its token {:?} after the thaw",
        thawed.elapsed()
    );
    for token in &tokens {
        let info = tokeninfo(&server, &http, token).await;
        assert_eq!(info.status, 200, "{info:?}");
    }
    let all: Vec<&Flow> = flows.iter().collect();
    check_codes(&codes(cluster).await, &all, &all);

    // Handed out once: presenting the code again is a replay, as ever.
    let again = poll(&server, &http, &flows[0]).await;
    assert_eq!(again.error(), "invalid_grant", "{again:?}");
    assert_eq!(tokeninfo(&server, &http, &tokens[0]).await.status, 401);
    server.stop().await;
}
