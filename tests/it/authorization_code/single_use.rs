//! An authorization code works once: a second use, sequential or
//! concurrent, is `invalid_grant` and revokes what the first produced; a
//! code expires by the clock; a consent ticket opens only in its session.

use super::*;

#[tokio::test]
async fn a_second_use_is_invalid_grant_and_revokes_the_first_tokens() {
    let app = spawn().await;
    app.sign_in().await;
    let code = code_for(&app, &request()).await;
    let first = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!(first.status, 200);
    let access = first.json["access_token"].as_str().unwrap();
    assert_eq!(app.tokeninfo(access).await.status, 200);
    let second = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!((second.status, second.error()), (400, "invalid_grant"));
    assert_eq!(app.tokeninfo(access).await.status, 401, "revoked");
    let reused = app
        .core
        .store
        .recent_audit_events(Some(AuditAction::AuthorizationCodeReused), 5)
        .await
        .unwrap();
    assert_eq!(reused.len(), 1);
    let refreshed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    first.json["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", APP),
            ],
        )
        .await;
    assert_eq!(refreshed.error(), "invalid_grant");
}

#[tokio::test]
async fn a_code_expires_after_its_lifetime() {
    let app = spawn().await;
    app.sign_in().await;
    let code = code_for(&app, &request()).await;
    app.advance(61);
    let reply = exchange(&app, &code, Some(VERIFIER)).await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_grant"));
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_yield_one_token_set() {
    let app = spawn().await;
    app.sign_in().await;
    let code = code_for(&app, &request()).await;
    let attempts = (0..20).map(|_| exchange(&app, &code, Some(VERIFIER)));
    let replies = futures::future::join_all(attempts).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(
            (reply.status, reply.error()),
            (400, "invalid_grant"),
            "{reply:?}"
        );
    }
    let live = app
        .core
        .store
        .list_user_grants(&app.admin_id)
        .await
        .unwrap();
    assert!(
        live.is_empty(),
        "the losers' second uses revoked the winner's grant"
    );
}

#[tokio::test]
async fn a_consent_ticket_opens_only_in_its_own_session() {
    let app = spawn().await;
    app.sign_in().await;
    let page = consent(&app, &request()).await;
    let stranger = app.reply_client().await;
    let login = stranger.get(app.url("/login")).send().await.unwrap();
    let csrf = crate::support::hidden_field(&login.text().await.unwrap(), "csrf_token").unwrap();
    stranger
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "admin"),
            ("password", crate::support::ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let other = stranger.get(app.url("/device")).send().await.unwrap();
    let csrf = crate::support::hidden_field(&other.text().await.unwrap(), "csrf_token").unwrap();
    let resp = stranger
        .post(app.url("/oauth/authorize/decision"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("consent", &page.consent()),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "a page, not a redirect");
    assert!(resp.headers().get("location").is_none());
    // Forged or missing CSRF token: refused.
    let forged = app
        .submit(
            "/oauth/authorize/decision",
            &[
                ("csrf_token", "forged"),
                ("consent", &page.consent()),
                ("decision", "approve"),
            ],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
}
