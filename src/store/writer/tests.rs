//! The writer through the store: groups, failures, races and stalls.

use std::time::Duration;

use sqlx::Connection;

use crate::model::audit::AuditAction;
use crate::model::time::UnixSecs;
use crate::model::user::Role;
use crate::model::{DeviceCode, DeviceState, Transition, UserCode};
use crate::store::{
    NewAccessToken, NewAuditEvent, NewClient, NewDeviceCode, NewGrant, NewUser, PoolSettings, Store,
};

impl Store {
    /// Writes the approval of the code with id `id` by `user_id` at `now`
    /// as the device flow would, without reading it first; answers the
    /// code's hash when it was pending and live.
    async fn approve_raw(
        &self,
        id: &str,
        user_id: &str,
        now: i64,
        audit: Option<&NewAuditEvent>,
    ) -> crate::store::Result<Option<String>> {
        let decided = DeviceCode {
            id: id.into(),
            state: DeviceState::Approved {
                user_id: user_id.into(),
                decided_at: UnixSecs(now),
            },
            ..DeviceCode::example()
        };
        self.write_decision(Transition::Approve, &decided, audit)
            .await
    }
}

async fn store_with_codes(n: usize) -> (Store, tempfile::TempDir) {
    store_with(&PoolSettings::default(), n).await
}

fn url_in(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("w.db").display())
}

/// A pending code of client `c`, numbered `i` (0 to 9).
fn code(i: usize) -> NewDeviceCode {
    NewDeviceCode {
        id: format!("d{i}").into(),
        device_code_hash: format!("h{i}"),
        user_code: UserCode::parse(&format!(
            "BCDFGHJ{}",
            ["K", "L", "M", "N", "P", "Q", "R", "S", "T", "V"][i]
        ))
        .unwrap(),
        client_id: "c".into(),
        scope: "read".into(),
        interval_secs: 5,
        requester_ip: None,
        user_agent: None,
        created_at: UnixSecs(0),
        expires_at: UnixSecs(i64::MAX / 2),
        code_challenge: None,
        resources: Vec::new(),
    }
}

async fn store_with(settings: &PoolSettings, n: usize) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&url_in(&dir), settings).await.unwrap();
    store.migrate().await.unwrap();
    store
        .insert_client(&NewClient {
            keys: None,
            id: "c".into(),
            name: "C".into(),
            secret_hash: None,
            allowed_scopes: "read".into(),
            refresh_tokens: false,
            grant_types: crate::model::client::GrantTypes::default_for(false, false),
            now: 0,
        })
        .await
        .unwrap();
    store
        .insert_user(&NewUser {
            id: "u".into(),
            username: "u".into(),
            password_hash: "x".into(),
            role: Role::User,
            profile: crate::model::user::Profile::default(),
            now: 0,
        })
        .await
        .unwrap();
    for i in 0..n {
        store.insert_device_code(&code(i)).await.unwrap();
    }
    (store, dir)
}

/// A job that fails inside a group (here: a decision by a user who does
/// not exist breaks a foreign key) fails alone; the jobs sharing its
/// transaction are applied and answered.
#[tokio::test]
async fn a_failing_job_does_not_take_its_group_down() {
    let (store, _dir) = store_with_codes(4).await;
    let decisions: Vec<_> = (0..4)
        .map(|i| {
            let store = store.clone();
            let user = if i == 2 { "nobody" } else { "u" };
            tokio::spawn(async move { store.approve_raw(&format!("d{i}"), user, 1, None).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for d in decisions {
        outcomes.push(d.await.unwrap());
    }
    for (i, outcome) in outcomes.iter().enumerate() {
        let code = store
            .find_device_code_by_hash(&format!("h{i}"))
            .await
            .unwrap()
            .unwrap();
        if i == 2 {
            assert!(outcome.is_err(), "{outcome:?}");
            assert_eq!(code.state, DeviceState::Pending);
        } else {
            assert!(matches!(outcome, Ok(Some(_))), "{outcome:?}");
            assert!(matches!(code.state, DeviceState::Approved { .. }));
        }
    }
}

fn audit(id: &str, action: AuditAction) -> NewAuditEvent {
    NewAuditEvent {
        id: id.into(),
        at: 1,
        ..NewAuditEvent::new(action)
    }
}

/// Decisions and redemptions racing in (probably) one round: each code
/// moves once, and the audit events, grants and tokens written are
/// exactly those of the moves that happened.
#[tokio::test]
async fn only_the_moves_that_happen_write_their_rows() {
    let (store, _dir) = store_with_codes(4).await;
    // d3 has expired by the time it is decided.
    let decide = |i: usize, n: usize, now: i64| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .approve_raw(
                    &format!("d{i}"),
                    "u",
                    now,
                    Some(&audit(&format!("a{i}-{n}"), AuditAction::DeviceApproved)),
                )
                .await
                .unwrap()
                .is_some()
        })
    };
    let decisions = [
        decide(0, 0, 1),
        decide(0, 1, 1),
        decide(1, 0, 1),
        decide(3, 0, i64::MAX),
    ];
    let mut won = Vec::new();
    for d in decisions {
        won.push(d.await.unwrap());
    }
    assert_eq!(won.iter().filter(|&&w| w).count(), 2, "{won:?}");
    assert!(won[0] != won[1], "one of two decisions of d0 wins");
    assert!(won[2] && !won[3]);

    let redeem = |i: usize, n: usize| {
        let store = store.clone();
        tokio::spawn(async move {
            let id = format!("d{i}");
            let (grant, access) = redemption(i, n);
            store
                .redeem_device_code(
                    &id,
                    2,
                    &grant,
                    &access,
                    None,
                    Some(&audit(&format!("r{i}-{n}"), AuditAction::TokenIssued)),
                )
                .await
                .unwrap()
        })
    };
    // d0 and d1 are approved (twice each); d2 is still pending.
    let redemptions = [
        redeem(0, 0),
        redeem(0, 1),
        redeem(1, 0),
        redeem(1, 1),
        redeem(2, 0),
    ];
    let mut won = Vec::new();
    for r in redemptions {
        won.push(r.await.unwrap());
    }
    assert_eq!(won, [won[0], !won[0], won[2], !won[2], false]);

    let count = |sql: &'static str| {
        let store = store.clone();
        async move {
            let pool = store.sqlite_pool().unwrap().clone();
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
            n
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM grants").await, 2);
    assert_eq!(count("SELECT COUNT(*) FROM access_tokens").await, 2);
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_events WHERE action = 'device.approved'").await,
        2
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM audit_events WHERE action = 'token.issued'").await,
        2
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM access_tokens t JOIN audit_events a \
             ON a.id = 'r' || substr(t.jti, 2)"
        )
        .await,
        2,
        "each token's audit event is its own redemption's"
    );
}

/// The grant and access token of redemption `n` of code `i`, at time 2.
fn redemption(i: usize, n: usize) -> (NewGrant, NewAccessToken) {
    let id = format!("d{i}");
    let grant = NewGrant {
        id: format!("g{i}-{n}"),
        user_id: "u".into(),
        client_id: "c".into(),
        scope: "read".into(),
        device_code_id: Some(id.clone()),
        device_label: None,
        requester_ip: None,
        now: 2,
        auth_time: None,
        amr: None,
        resources: String::new(),
    };
    let access = NewAccessToken {
        jti: format!("t{i}-{n}"),
        user_id: "u".into(),
        client_id: "c".into(),
        scope: "read".into(),
        device_code_id: Some(id),
        grant_id: grant.id.clone(),
        issued_at: 2,
        expires_at: 3,
        audience: String::new(),
        dpop_jkt: None,
    };
    (grant, access)
}

/// After a round is applied again on a fresh connection, the jobs that
/// lost there are looked up: those the first attempt had committed are
/// answered as won, the others as lost.
#[tokio::test]
async fn a_retried_round_finds_what_its_first_attempt_committed() {
    use super::{Job, Outcome, Writing};
    let (store, dir) = store_with_codes(2).await;
    for id in ["d0", "d1"] {
        let decided = store.approve_raw(id, "u", 1, None);
        assert!(decided.await.unwrap().is_some());
    }
    let (grant, access) = redemption(1, 0);
    assert!(
        store
            .redeem_device_code("d1", 2, &grant, &access, None, None)
            .await
            .unwrap()
    );
    let decide = |status: &'static str| Job::Decide {
        id: "d0".into(),
        status,
        user_id: "u".into(),
        now: 1,
        auth_time: None,
        amr: None,
        audit: None,
        reply: tokio::sync::oneshot::channel().0,
    };
    let redeem = |n: usize| {
        let (grant, access) = redemption(1, n);
        Job::Redeem {
            id: "d1".into(),
            now: 2,
            grant: Box::new(grant),
            access: Box::new(access),
            refresh: None,
            audit: None,
            reply: tokio::sync::oneshot::channel().0,
        }
    };
    let jobs = [decide("approved"), decide("denied"), redeem(0), redeem(1)];
    let mut outcomes = vec![
        Outcome::Decided(None),
        Outcome::Decided(None),
        Outcome::Redeemed(false),
        Outcome::Redeemed(false),
    ];
    let pool = sqlx::SqlitePool::connect(&url_in(&dir)).await.unwrap();
    let mut writing = Writing {
        db: crate::store::Db::Sqlite(pool),
        held: None,
        deadline: Duration::from_secs(10),
    };
    super::recheck::earlier_attempt(&mut writing, &jobs, &mut outcomes)
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            Outcome::Decided(Some("h0".into())),
            Outcome::Decided(None),
            Outcome::Redeemed(true),
            Outcome::Redeemed(false),
        ]
    );
}

/// What the database holds of code `i`.
async fn stored(store: &Store, i: usize) -> bool {
    store
        .find_device_code_by_hash(&format!("h{i}"))
        .await
        .unwrap()
        .is_some()
}

/// A stalled database (another connection holds SQLite's write lock):
/// the caller hears `Unavailable` within the write deadline instead of
/// waiting for it, the cut-off round writes nothing later, and the writer
/// works again once the lock is gone.
#[tokio::test]
async fn a_stall_is_answered_within_the_write_deadline() {
    let settings = PoolSettings {
        write_timeout: Duration::from_millis(300),
        statement_timeout: Duration::from_secs(5),
        ..PoolSettings::default()
    };
    let (store, dir) = store_with(&settings, 0).await;
    let mut blocker = sqlx::SqliteConnection::connect(&url_in(&dir))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    #[allow(clippy::disallowed_methods)] // measures the answer's delay
    let started = std::time::Instant::now();
    let stalled = store.insert_device_code(&code(0)).await;
    assert!(
        matches!(stalled, Err(crate::store::Error::Unavailable(_))),
        "{stalled:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    store.insert_device_code(&code(1)).await.unwrap();
    assert!(!stored(&store, 0).await, "the cut-off round wrote nothing");
    assert!(stored(&store, 1).await);
}

/// A job whose caller gave up before its round began is not written: a
/// code nobody received, a redemption whose tokens nobody would get.
#[tokio::test]
async fn jobs_whose_callers_are_gone_are_not_written() {
    let (store, dir) = store_with_codes(0).await;
    let mut blocker = sqlx::SqliteConnection::connect(&url_in(&dir))
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    // The first round waits for the lock; the second job queues behind it
    // and its caller leaves.
    let first = tokio::spawn({
        let store = store.clone();
        async move { store.insert_device_code(&code(0)).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let gave_up = tokio::time::timeout(
        Duration::from_millis(50),
        store.insert_device_code(&code(1)),
    )
    .await;
    assert!(gave_up.is_err(), "still stalled");
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    first.await.unwrap().unwrap();
    store.insert_device_code(&code(2)).await.unwrap();
    assert!(stored(&store, 0).await, "its caller waited");
    assert!(!stored(&store, 1).await, "its caller was gone");
    assert!(stored(&store, 2).await);
}
