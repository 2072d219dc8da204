//! Several instances of one deployment on one PostgreSQL database:
//! a code requested on one instance is approved through another's pages and
//! redeemed exactly once whichever instance the polls reach; generated
//! secrets, signing keys and browser sessions are shared, and a grown polling
//! interval follows the client.
//!
//! The instances are full apps with their own listener, state and pool,
//! started together on one fresh database and one manual clock (as hosts
//! kept in step by NTP); `real_processes_share_one_database` runs actual
//! `authgate` processes. These tests need `TEST_DATABASE_URL` (`make
//! unit-pg`); on SQLite they print a note and pass, since one SQLite file
//! is not a multi-instance deployment.

use std::sync::Arc;

use authgate::clock::ManualClock;
use authgate::config::Config;
use authgate::domain::device_flow;
use futures::future::join_all;

use crate::support::process::{Log, ServerProcess, server_command};
use crate::support::{ADMIN_PASSWORD, DEVICE_GRANT, Page, Reply, TestApp, TestDb, backend};

/// `true` (with a note on stderr) when the suite is not on PostgreSQL.
/// Written straight to stderr, past the test harness's output capture, so
/// the note shows in a normal `cargo test` run (once per run).
fn skipped() -> bool {
    use std::io::Write;
    static NOTE: std::sync::Once = std::sync::Once::new();
    if backend() == "postgres" {
        return false;
    }
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "note: the scale_out tests (several instances on one database) need \
             TEST_DATABASE_URL (PostgreSQL) and pass without checking anything here; \
             `make unit-pg` runs them"
        );
    });
    true
}

/// `n` instances started at the same moment on one fresh database, so
/// their first starts race on migrations, secrets, seeding and keys.
async fn deployment(n: usize) -> Vec<TestApp> {
    deployment_with(n, |_| {}).await
}

/// [`deployment`] with every instance's configuration adjusted by `adjust`.
async fn deployment_with(n: usize, adjust: impl Fn(&mut Config)) -> Vec<TestApp> {
    let db = TestDb::fresh().await;
    let clock = Arc::new(ManualClock::starting_now());
    let apps =
        join_all((0..n).map(|_| TestApp::spawn_on(db.clone(), clock.clone(), &adjust))).await;
    for app in &apps[1..] {
        assert_eq!(
            app.cli_client_id, apps[0].cli_client_id,
            "one seeded CLI client"
        );
        assert_eq!(app.admin_id, apps[0].admin_id, "one seeded administrator");
    }
    assert_eq!(apps[0].core.store.count_users().await.unwrap(), 1);
    assert_eq!(apps[0].core.store.count_clients().await.unwrap(), 1);
    apps
}

/// `GET path` on `on`, sent by `browser`'s HTTP client (and cookie jar):
/// a load balancer may route each request of one browser anywhere.
async fn page_via(browser: &TestApp, on: &TestApp, path: &str) -> Page {
    let resp = browser.http.get(on.url(path)).send().await.unwrap();
    TestApp::to_page(resp).await
}

/// A form post by `browser` to `on`.
async fn submit_via(browser: &TestApp, on: &TestApp, path: &str, form: &[(&str, &str)]) -> Page {
    let resp = browser
        .http
        .post(on.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    TestApp::to_page(resp).await
}

/// `browser` signs in as the administrator, back to `/device`: the
/// sign-in page from `page_on`, the form posted to `post_on`.
async fn sign_in_via(browser: &TestApp, page_on: &TestApp, post_on: &TestApp) -> Page {
    let login = page_via(browser, page_on, "/login").await;
    submit_via(
        browser,
        post_on,
        "/login",
        &[
            ("csrf_token", &login.csrf()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/device"),
        ],
    )
    .await
}

#[tokio::test]
async fn code_from_one_instance_approved_on_another_is_redeemed_once() {
    if skipped() {
        return;
    }
    let apps = deployment(3).await;
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);

    let (device_code, user_code) = a.start_flow().await;
    assert_eq!(c.poll(&device_code).await.error(), "authorization_pending");

    // The person signs in and decides through B's pages, CSRF tokens and all.
    b.sign_in().await;
    let device = b.page("/device").await;
    assert_eq!(device.status, 200, "signed in on B");
    let consent = b
        .submit(
            "/device",
            &[("csrf_token", &device.csrf()), ("user_code", &user_code)],
            true,
        )
        .await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(consent.body.contains("Authorize AuthGate CLI?"));
    assert!(consent.body.contains(&user_code));
    let done = b
        .submit(
            "/device/decision",
            &[
                ("csrf_token", &device.csrf()),
                ("consent", &consent.consent()),
                ("decision", "approve"),
            ],
            false,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/device/approved"));

    // Every instance polls at once, several times: one token in total.
    a.advance(5);
    let polls = (0..18).map(|i| apps[i % 3].poll(&device_code));
    let replies: Vec<Reply> = join_all(polls).await;
    let winners: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one token: {replies:#?}");
    assert!(winners[0].json["access_token"].is_string());
    assert_eq!(winners[0].json["token_type"], "Bearer");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 400, "{:?}", r.json);
        assert_eq!(r.error(), "invalid_grant", "{:?}", r.json);
        assert!(r.json["error_description"].is_string());
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    // And the code stays used up everywhere.
    for app in &apps {
        assert_eq!(app.poll(&device_code).await.error(), "invalid_grant");
    }
}

#[tokio::test]
async fn secrets_and_keys_generated_at_first_start_are_shared() {
    if skipped() {
        return;
    }
    let apps = deployment(3).await;
    for (i, issuer) in apps.iter().enumerate() {
        let token = issuer.issue_token().await;
        for (j, verifier) in apps.iter().enumerate() {
            let r = verifier.tokeninfo(&token).await;
            assert_eq!(
                r.status, 200,
                "token of instance {i} on instance {j}: {:?}",
                r.json
            );
            assert_eq!(r.json["active"], true);
        }
    }
    // A restarted instance keeps agreeing with the others.
    let db = apps[0].dir.clone();
    let token = apps[0].issue_token().await;
    let clock = apps[0].clock.clone();
    let again = TestApp::spawn_on(db, clock, |_| {}).await;
    assert_eq!(again.tokeninfo(&token).await.status, 200);
    assert_eq!(again.cli_client_id, apps[0].cli_client_id);
}

#[tokio::test]
async fn a_browser_session_holds_on_every_instance() {
    if skipped() {
        return;
    }
    let apps = deployment(3).await;
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);
    // One browser (A's cookie jar) whose requests land on any instance.
    let signed_in = sign_in_via(a, b, c).await;
    assert_eq!(signed_in.status, 303, "a CSRF token from B is good on C");
    for app in &apps {
        assert_eq!(page_via(a, app, "/device").await.status, 200);
    }
    let (device_code, user_code) = b.start_flow().await;
    let device = page_via(a, a, "/device").await;
    let consent = submit_via(
        a,
        c,
        "/device",
        &[("csrf_token", &device.csrf()), ("user_code", &user_code)],
    )
    .await;
    let done = submit_via(
        a,
        b,
        "/device/decision",
        &[
            ("csrf_token", &device.csrf()),
            ("consent", &consent.consent()),
            ("decision", "deny"),
        ],
    )
    .await;
    assert_eq!(done.location(), Some("/device/denied"));
    assert_eq!(c.poll(&device_code).await.error(), "access_denied");

    // Signing out on one instance ends the session on all.
    let out = submit_via(a, c, "/logout", &[("csrf_token", &device.csrf())]).await;
    assert_eq!(out.status, 303);
    for app in &apps {
        assert_eq!(
            page_via(a, app, "/device").await.status,
            303,
            "signed out everywhere"
        );
    }
}

/// Instances hold the sessions in use in memory: a session
/// ended on one instance must stop working on the others too, even for a
/// copy of its cookie replayed there (as a thief would).
#[tokio::test]
async fn a_session_ended_on_one_instance_is_refused_by_the_others() {
    if skipped() {
        return;
    }
    let apps = deployment(2).await;
    let (a, b) = (&apps[0], &apps[1]);
    let signed_in = sign_in_via(a, a, a).await;
    let cookie = a
        .session_cookie(signed_in.header("set-cookie").expect("session cookie"))
        .expect("session cookie");
    let thief = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let replay = |on: &TestApp| {
        thief
            .get(on.url("/device"))
            .header("cookie", format!("authgate_session={cookie}"))
            .send()
    };
    assert_eq!(replay(b).await.unwrap().status(), 200, "held on B now");

    let device = page_via(a, a, "/device").await;
    let out = submit_via(a, a, "/logout", &[("csrf_token", &device.csrf())]).await;
    assert_eq!(out.status, 303);
    assert_eq!(replay(a).await.unwrap().status(), 303, "ended on A at once");
    let mut refused = false;
    for _ in 0..250 {
        if replay(b).await.unwrap().status() == 303 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "B heard that A ended the session");
}

/// Polls are paced in each instance's memory and the pacing is
/// written behind to the database, where an instance that first meets the
/// code picks it up: a grown interval follows a client that moves.
#[tokio::test]
async fn slow_down_state_follows_the_client_to_other_instances() {
    if skipped() {
        return;
    }
    let apps = deployment(3).await;
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);
    let (device_code, _) = a.start_flow().await;
    let write_behind = |app: &TestApp| {
        let core = app.core.clone();
        async move { device_flow::write_behind_polls(&core).await.unwrap() }
    };

    // RFC 8628 §3.5 on one instance, with the one immediate repeat.
    assert_eq!(a.poll(&device_code).await.error(), "authorization_pending");
    assert_eq!(a.poll(&device_code).await.error(), "authorization_pending");
    let r = a.poll(&device_code).await;
    assert_eq!(r.error(), "slow_down");
    assert_eq!(r.json["interval"], 10);
    assert_eq!(write_behind(a).await, 1);

    // Too fast for the grown interval, on another instance.
    a.advance(6);
    let r = b.poll(&device_code).await;
    assert_eq!(r.error(), "slow_down", "{:?}", r.json);
    assert_eq!(r.json["interval"], 15);
    assert_eq!(write_behind(b).await, 1);

    // Polite for the grown interval: accepted on a third.
    a.advance(15);
    assert_eq!(c.poll(&device_code).await.error(), "authorization_pending");
    // An instance that knew the code earlier merges what others wrote.
    write_behind(c).await;
    a.advance(31);
    assert_eq!(a.poll(&device_code).await.error(), "authorization_pending");
    a.advance(3);
    assert_eq!(a.poll(&device_code).await.error(), "slow_down");
}

/// Two real `authgate` processes (wall clock, own runtimes) on one
/// database: request on one, approve through the other's pages, poll both.
#[tokio::test]
async fn real_processes_share_one_database() {
    if skipped() {
        return;
    }
    let db = TestDb::fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let servers: Vec<ServerProcess> =
        join_all((0..2).map(|_| start_process(dir.path(), &db.url))).await;
    let (p, q) = (&servers[0], &servers[1]);
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let health: serde_json::Value = http
        .get(format!("{}/health", q.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["database_kind"], "postgres");
    assert!(health["database_latency_ms"].as_f64().unwrap() >= 0.0);

    let client_id = cli_client_id(p);
    assert_eq!(client_id, cli_client_id(q), "one seeded CLI client");
    let code: serde_json::Value = http
        .post(format!("{}/oauth/device/code", p.base))
        .form(&[("client_id", client_id)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = code["device_code"].as_str().unwrap();
    let user_code = code["user_code"].as_str().unwrap();

    // Sign in and approve through Q's pages.
    let page = |path: &str| {
        let url = format!("{}{path}", q.base);
        let http = http.clone();
        async move { TestApp::to_page(http.get(url).send().await.unwrap()).await }
    };
    let post = |path: &str, form: Vec<(&'static str, String)>| {
        let url = format!("{}{path}", q.base);
        let http = http.clone();
        async move { TestApp::to_page(http.post(url).form(&form).send().await.unwrap()).await }
    };
    let login = page("/login").await;
    let signed_in = post(
        "/login",
        vec![
            ("csrf_token", login.csrf()),
            ("username", "admin".into()),
            ("password", ADMIN_PASSWORD.into()),
            ("next", "/device".into()),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303);
    let device = page("/device").await;
    let consent = post(
        "/device",
        vec![
            ("csrf_token", device.csrf()),
            ("user_code", user_code.into()),
        ],
    )
    .await;
    let done = post(
        "/device/decision",
        vec![
            ("csrf_token", device.csrf()),
            ("consent", consent.consent()),
            ("decision", "approve".into()),
        ],
    )
    .await;
    assert_eq!(done.location(), Some("/device/approved"));

    let polls = (0..10).map(|i| {
        let base = &servers[i % 2].base;
        let form = [
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ];
        let request = http.post(format!("{base}/oauth/token")).form(&form).send();
        async move { TestApp::reply(request.await.unwrap()).await }
    });
    let replies: Vec<Reply> = join_all(polls).await;
    let tokens: Vec<&str> = replies
        .iter()
        .filter_map(|r| r.json["access_token"].as_str())
        .collect();
    assert_eq!(tokens.len(), 1, "exactly one token: {replies:#?}");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(
            (r.status, r.error()),
            (400, "invalid_grant"),
            "{:?}",
            r.json
        );
    }
    drop(servers);
}

/// A running `authgate server` process in `dir` on `database_url`.
async fn start_process(dir: &std::path::Path, database_url: &str) -> ServerProcess {
    let env = [
        ("DATABASE_URL", database_url),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
    ];
    ServerProcess::start(server_command(dir, &env, &[]), Log::Kept).await
}

/// The CLI client's id, as `server` logged it at start-up.
fn cli_client_id(server: &ServerProcess) -> &str {
    server
        .before
        .iter()
        .find_map(|v| v["client_id"].as_str())
        .expect("client_id in the start-up log")
}

/// Answers come from each instance's memory; a decision or a
/// revocation made through one instance reaches the others' caches by
/// PostgreSQL `NOTIFY`, within moments and without waiting for entries to
/// age out (the manual clock does not move here).
#[tokio::test]
async fn changes_on_one_instance_reach_the_caches_of_the_others() {
    if skipped() {
        return;
    }
    let apps = deployment(2).await;
    let (a, b) = (&apps[0], &apps[1]);
    let (device_code, user_code) = a.start_flow().await;
    assert_eq!(a.poll(&device_code).await.error(), "authorization_pending");
    b.approve(&user_code).await;
    let mut token = None;
    for _ in 0..100 {
        let r = a.poll(&device_code).await;
        if r.status == 200 {
            token = r.json["access_token"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let token = token.expect("A saw B's approval");

    assert_eq!(a.tokeninfo(&token).await.status, 200, "cached on A");
    let r = b
        .post_form(
            "/oauth/revoke",
            &[("token", token.as_str()), ("client_id", &b.cli_client_id)],
        )
        .await;
    assert_eq!(r.status, 200);
    let mut refused = false;
    // Up to 5 s: on a loaded 2-core CI machine the notification once took
    // longer than 2 s to arrive.
    for _ in 0..250 {
        if a.tokeninfo(&token).await.status == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "A heard of B's revocation");
}

/// An instance that has not yet loaded a key another instance rotated in
/// still revokes that key's tokens (RFC 7009): it reloads its key ring on
/// the unknown key id, as inspection does. Before, the revocation answered
/// 200 and revoked nothing — and two instances racing at first start can
/// sign with different keys, which made the test above fail now and then.
#[tokio::test]
async fn a_token_signed_with_a_key_new_to_this_instance_is_revoked_here() {
    if skipped() {
        return;
    }
    // No periodic cleanup: it reloads the key ring, and B must not have
    // seen A's rotation.
    let apps = deployment_with(2, |c| c.cleanup_period = None).await;
    let (a, b) = (&apps[0], &apps[1]);
    authgate::domain::keys::rotate(&a.core.store, &a.core.keys, a.core.clock.as_ref())
        .await
        .unwrap();
    let ring =
        authgate::domain::keys::load_ring(&a.core.store, &a.core.keys, a.core.clock.as_ref())
            .await
            .unwrap();
    a.core.signer.replace(ring);
    let token = a.issue_token().await;
    assert!(
        !b.core.signer.ring().knows_kid_of(&token),
        "B has not loaded A's new key"
    );

    let r = b
        .post_form(
            "/oauth/revoke",
            &[("token", token.as_str()), ("client_id", &b.cli_client_id)],
        )
        .await;
    assert_eq!(r.status, 200);
    let jti = a.core.signer.verify(&token).unwrap().jti;
    let record = a.core.store.find_access_token(&jti).await.unwrap().unwrap();
    assert!(record.revoked_at.is_some(), "B revoked the token");
}
