//! Claims the ID token lacks are read from userinfo (OpenID Connect Core
//! §5.3), only when its `sub` is the ID token's, and `email_verified`
//! only from the source that gave the address.

use serde_json::json;

use super::forged::{Forgery, Mock, honest, mock, start};
use super::{add_provider, find, links, user};
use crate::support::{Page, TestApp};

/// The callback of a sign-in whose ID token has `claims` changed by
/// `change`, while userinfo answers `info`.
async fn sign_in(
    app: &TestApp,
    mock: &Mock,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    info: serde_json::Value,
) -> Page {
    let (state, nonce) = start(app).await;
    let mut claims = honest(&mock.base, &nonce, app.core.clock.now_secs());
    change(claims.as_object_mut().unwrap());
    *mock.next.lock().unwrap() = Some(Forgery {
        claims,
        key: mock.good.clone(),
    });
    *mock.userinfo.lock().unwrap() = info;
    app.page(&format!(
        "/login/upstream/corp/callback?code=c&state={state}"
    ))
    .await
}

fn without_email(c: &mut serde_json::Map<String, serde_json::Value>) {
    c.remove("email");
    c.remove("email_verified");
}

#[tokio::test]
async fn userinfo_fills_the_address_the_id_token_lacks() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| p.trust_email = true).await;
    let ann = user(&app, "ann", Some("forger@corp.example"), true).await;

    let page = sign_in(
        &app,
        &mock,
        without_email,
        json!({"sub": "forger-1", "email": "forger@corp.example", "email_verified": true}),
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(links(&app, &ann).await, 1, "linked by the verified address");
    app.shutdown().await;
}

#[tokio::test]
async fn email_verified_counts_only_beside_its_own_address() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| p.trust_email = true).await;
    let ann = user(&app, "ann", Some("forger@corp.example"), true).await;

    // The ID token says "verified" about no address; userinfo gives one
    // without saying it is verified: not linked.
    let page = sign_in(
        &app,
        &mock,
        |c| {
            c.remove("email");
        },
        json!({"sub": "forger-1", "email": "forger@corp.example"}),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Sign in to link"), "{}", page.body);
    assert_eq!(links(&app, &ann).await, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn userinfo_about_another_subject_is_refused() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| {
        p.create_accounts = true;
        p.trust_email = true;
    })
    .await;
    let ann = user(&app, "ann", Some("forger@corp.example"), true).await;
    for info in [
        json!({"sub": "someone-else", "email": "forger@corp.example", "email_verified": true}),
        json!({"email": "forger@corp.example", "email_verified": true}),
    ] {
        let page = sign_in(&app, &mock, without_email, info).await;
        assert_eq!(page.status, 502, "{}", page.body);
        assert!(page.body.contains("could not be verified"));
        assert_eq!(links(&app, &ann).await, 0);
        assert!(find(&app, "forger").await.is_none());
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_failing_userinfo_endpoint_signs_nobody_in() {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let mock = mock().await;
    add_provider(&app, &mock.base, |p| p.create_accounts = true).await;
    let good = json!({"sub": "forger-1", "email": "forger@corp.example", "email_verified": true});
    // A 200 that is not JSON is as useless as an error.
    for (status, says) in [
        (500, "not answering"),
        (401, "could not be verified"),
        (203, "could not be verified"),
    ] {
        *mock.userinfo_status.lock().unwrap() = status;
        let page = sign_in(&app, &mock, without_email, good.clone()).await;
        assert_eq!(page.status, 502, "{status}: {}", page.body);
        assert!(page.body.contains(says), "{status}: {}", page.body);
        assert!(find(&app, "forger").await.is_none());
    }
    *mock.userinfo_status.lock().unwrap() = 200;
    let page = sign_in(&app, &mock, without_email, good).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(find(&app, "forger").await.is_some());
    app.shutdown().await;
}
