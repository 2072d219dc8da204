//! Callbacks that must not sign anyone in: replayed, unknown or foreign
//! `state`, the person declining upstream, and providers that do not
//! answer (a clear page, not a 500 or a hang).

use std::time::Duration;

use super::{add_provider, find, local, pair, user};
use crate::oidc::params;
use crate::support::TestApp;

#[tokio::test]
async fn a_callback_is_accepted_once_and_only_in_the_browser_that_started_it() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let authorize = pair.start("/account").await;
    let callback = pair.approve_upstream(&authorize, "ann").await;

    // Another browser with the same callback URL: not its sign-in.
    let other = pair.app.reply_client().await;
    let stolen = TestApp::to_page(other.get(&callback).send().await.unwrap()).await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    assert!(stolen.body.contains("This sign-in has expired"));

    // An unknown state in the right browser: refused (and it spends the
    // session's remembered state).
    let mut forged = url::Url::parse(&callback).unwrap();
    let code = params(&callback)["code"].clone();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "not-the-state");
    assert_eq!(pair.app.page(&local(forged.as_str())).await.status, 400);
    assert_eq!(pair.app.page(&local(&callback)).await.status, 400);
    assert!(find(&pair.app, "ann").await.is_none());

    // A fresh start works, once.
    let authorize = pair.start("/account").await;
    let callback = pair.approve_upstream(&authorize, "ann").await;
    assert_eq!(pair.app.page(&local(&callback)).await.status, 303);
    let replay = pair.app.page(&local(&callback)).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    pair.shutdown().await;
}

#[tokio::test]
async fn two_callbacks_with_one_state_at_once_sign_in_at_most_once() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let authorize = pair.start("/account").await;
    let callback = pair.approve_upstream(&authorize, "ann").await;
    let path = local(&callback);
    let (a, b) = tokio::join!(pair.app.page(&path), pair.app.page(&path));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 400], "{} / {}", a.body, b.body);
    assert_eq!(
        pair.app.core.store.count_users().await.unwrap(),
        2,
        "the administrator and one new account"
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn declining_at_the_provider_is_a_clear_page() {
    let pair = pair(|p| p.create_accounts = true).await;
    user(&pair.up, "ann", Some("ann@corp.example"), true).await;
    let authorize = pair.start("/account").await;
    pair.up.sign_in_as("ann", super::PASSWORD).await;
    let consent = pair.up.page(&local(&authorize)).await;
    let reply = pair.up.decide_app(&consent, "deny").await;
    let callback = reply.location().unwrap().to_owned();
    assert_eq!(params(&callback)["error"], "access_denied");
    let page = pair.app.page(&local(&callback)).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("Sign-in cancelled"));
    assert!(find(&pair.app, "ann").await.is_none());
    // The state is spent: the same answer again is stale.
    assert_eq!(pair.app.page(&local(&callback)).await.status, 400);
    pair.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_provider_is_a_clear_page() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    // A port that was just free: nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    add_provider(&app, &format!("http://{closed}"), |_| {}).await;
    let page = app.page("/login/upstream/corp").await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(page.body.contains("Corp did not answer in time"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_provider_that_never_answers_is_cut_off() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    // Accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    add_provider(&app, &format!("http://{addr}"), |_| {}).await;
    // UPSTREAM_TIMEOUT (5 s), well before REQUEST_TIMEOUT (30 s).
    let page = tokio::time::timeout(Duration::from_secs(15), app.page("/login/upstream/corp"))
        .await
        .expect("an answer, not a hang");
    assert_eq!(page.status, 502, "{}", page.body);
    hold.abort();
    app.shutdown().await;
}
