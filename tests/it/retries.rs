//! A redemption whose answer was lost: the poll that made it gave up while
//! the database was slow, and the write committed after. The device's next
//! poll receives the tokens that redemption issued — once, from the same
//! client, within the hold window — instead of being judged a replay.
//! (The same through a frozen PostgreSQL: faults/postgres.rs.)

use std::time::Duration;

use authgate::domain::client::ClientCredentials;
use authgate::domain::device_flow::{self, PollRequest};
use authgate::model::DeviceState;
use authgate::store::HOLD_MS;
use sqlx::{Connection, Executor};

use crate::support::{TestApp, backend};

/// Another connection holding what the writer needs for `user_code`'s
/// code: SQLite's write lock, or the code's row on PostgreSQL.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn lock(app: &TestApp, user_code: &str) -> Blocker {
        let code = user_code.replace('-', "");
        if backend() == "postgres" {
            let mut c = sqlx::PgConnection::connect(&app.dir.url).await.unwrap();
            c.execute("BEGIN").await.unwrap();
            sqlx::query("SELECT id FROM device_codes WHERE user_code = $1 FOR UPDATE")
                .bind(code)
                .execute(&mut c)
                .await
                .unwrap();
            Blocker::Postgres(c)
        } else {
            let mut c = sqlx::SqliteConnection::connect(&app.dir.url).await.unwrap();
            c.execute("BEGIN IMMEDIATE").await.unwrap();
            Blocker::Sqlite(c)
        }
    }

    async fn release(self) {
        match self {
            Blocker::Sqlite(mut c) => c.execute("ROLLBACK").await.map(|_| ()),
            Blocker::Postgres(mut c) => c.execute("ROLLBACK").await.map(|_| ()),
        }
        .unwrap();
    }
}

/// Approves a new flow, then polls it in process (with a DPoP proof of
/// the key `dpop_jkt` names, if any) and gives up after 300 ms while the
/// writer waits for the blocker; the redemption commits once the blocker
/// is gone. Returns the device code.
async fn lose_an_answer(app: &TestApp, dpop_jkt: Option<String>) -> String {
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let blocker = Blocker::lock(app, &user_code).await;
    let request = PollRequest {
        client: ClientCredentials {
            assertion: None,
            client_id: app.cli_client_id.clone(),
            secret: None,
            via_basic: false,
        },
        device_code: device_code.clone().into(),
        code_verifier: None,
        resources: Vec::new(),
        dpop_jkt,
    };
    let gave_up = tokio::time::timeout(
        Duration::from_millis(300),
        device_flow::poll(&app.core, request),
    )
    .await;
    assert!(gave_up.is_err(), "the poll waits for the blocked writer");
    blocker.release().await;
    let hash = authgate::crypto::device_code::key(&device_code);
    for _ in 0..100 {
        let code = app
            .core
            .store
            .find_device_code_by_hash(&hash)
            .await
            .unwrap();
        if matches!(code.map(|c| c.state), Some(DeviceState::Redeemed { .. })) {
            return device_code;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the redemption committed after its caller left");
}

#[tokio::test]
async fn the_next_poll_receives_the_tokens_of_a_redemption_whose_answer_was_lost() {
    let app = TestApp::spawn().await;
    let device_code = lose_an_answer(&app, None).await;

    let r = app.poll(&device_code).await;
    assert_eq!(r.status, 200, "a retry, not a replay: {:?}", r.json);
    let token = r.json["access_token"].as_str().unwrap().to_owned();
    assert!(r.json["refresh_token"].is_string());
    assert_eq!(app.tokeninfo(&token).await.status, 200);

    // Handed out once: the code presented again is a replay, as ever.
    let r = app.poll(&device_code).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    assert_eq!(app.tokeninfo(&token).await.status, 401, "revoked");
}

#[tokio::test]
async fn a_retry_is_told_the_tokens_it_receives_are_dpop_bound() {
    let app = TestApp::spawn().await;
    let key = crate::dpop::DpopKey::es256();
    let device_code = lose_an_answer(&app, Some(key.jkt())).await;

    // The retry carries no proof, yet what it receives is bound to the key
    // of the poll that made it: a Bearer label would send the client to
    // resources with a token they refuse.
    let r = app.poll(&device_code).await;
    assert_eq!(r.status, 200, "a retry, not a replay: {:?}", r.json);
    assert_eq!(r.json["token_type"], "DPoP", "{:?}", r.json);
    let token = r.json["access_token"].as_str().unwrap();
    let claims = crate::dpop::jwt_claims(token);
    assert_eq!(claims["cnf"]["jkt"], key.jkt());
}

#[tokio::test]
async fn a_late_retry_is_a_replay() {
    let app = TestApp::spawn().await;
    let device_code = lose_an_answer(&app, None).await;
    app.clock.advance(Duration::from_millis(
        u64::try_from(HOLD_MS).unwrap() + 1_000,
    ));
    let r = app.poll(&device_code).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.json
    );
}

/// An approval whose answer was lost (the page said the service was
/// unavailable, the write committed anyway) is sent again by the same
/// person: confirmed, not refused as a used code. Anyone else, or the
/// other decision, is still refused.
#[tokio::test]
async fn a_decision_sent_again_by_its_author_is_confirmed() {
    use authgate::domain::Error;
    use authgate::model::Decision;
    let app = TestApp::spawn().await;
    let (_, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let again = device_flow::decide(&app.core, &app.admin_id, &user_code, Decision::Approve).await;
    assert!(
        matches!(again.map(|c| c.state), Ok(DeviceState::Approved { .. })),
        "confirmed"
    );
    let deny = device_flow::decide(&app.core, &app.admin_id, &user_code, Decision::Deny).await;
    assert!(matches!(deny, Err(Error::UserCodeAlreadyUsed)), "{deny:?}");
    let other = device_flow::decide(&app.core, "someone-else", &user_code, Decision::Approve).await;
    assert!(
        matches!(other, Err(Error::UserCodeAlreadyUsed)),
        "{other:?}"
    );
}
