//! The live device-code table and denying a pending request.

use authgate::model::audit::AuditAction;

use super::{admin_app, audit};

#[tokio::test]
async fn live_parts_answer_204_until_something_changes() {
    let (app, _) = admin_app().await;
    let page = app.page("/admin/device-codes?status=pending").await;
    let marker = r#"hx-get="/admin/device-codes/live?"#;
    let start = page.body.find(marker).unwrap() + r#"hx-get=""#.len();
    let end = page.body[start..].find('"').unwrap() + start;
    let url = page.body[start..end].replace("&amp;", "&");
    assert!(url.contains("status=pending"), "{url}");
    let poll = |url: String| {
        let http = app.http.clone();
        let full = app.url(&url);
        async move {
            let resp = http
                .get(full)
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    assert_eq!(poll(url.clone()).await.0, 204, "nothing new");
    let (_, user_code) = app.start_flow().await;
    let (status, body) = poll(url).await;
    assert_eq!(status, 200);
    assert!(body.contains(&user_code), "the new request appears");
    assert!(body.contains(r#"id="device-codes-live""#));
    assert!(body.contains(r#"hx-swap-oob="innerHTML""#), "announced");
    assert!(body.contains("1 pending device request."));
    assert!(!body.contains("<html"), "a fragment");
}

#[tokio::test]
async fn cancelling_a_pending_code_denies_the_waiting_device() {
    let (app, csrf) = admin_app().await;
    let (device_code, user_code) = app.start_flow().await;
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );
    let code = app
        .core
        .store
        .find_device_code_by_user_code(&authgate::model::UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    let cancel = format!("/admin/device-codes/{}/cancel", code.id);
    let page = app.page("/admin/device-codes?status=pending").await;
    assert!(page.body.contains(&format!(r#"action="{cancel}""#)));

    // A forged form changes nothing.
    let forged = app
        .submit(&cancel, &[("csrf_token", "forged")], false)
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        app.poll(&device_code).await.error(),
        "authorization_pending"
    );

    let done = app.submit(&cancel, &[("csrf_token", &csrf)], false).await;
    assert_eq!(done.status, 303);
    assert_eq!(
        done.location(),
        Some(format!("/admin/device-codes?denied={user_code}").as_str())
    );
    app.advance(5);
    let reply = app.poll(&device_code).await;
    assert_eq!((reply.status, reply.error()), (400, "access_denied"));
    // The verification page no longer offers the code for approval.
    let entry = app
        .submit(
            "/device",
            &[("csrf_token", &csrf), ("user_code", &user_code)],
            false,
        )
        .await;
    assert_eq!(entry.status, 422);
    assert!(entry.body.contains("already been used"));

    let list = app.page(done.location().unwrap()).await;
    assert!(list.body.contains(&format!("Request {user_code} denied.")));
    assert!(list.body.contains("Denied"));
    let events = audit(&app, AuditAction::AdminDeviceCodeCancelled).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some(app.admin_id.as_str()));
    assert_eq!(events[0].target.as_deref(), Some(user_code.as_str()));
    assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"));

    // Again (already decided), and from htmx: the table is redrawn with a notice.
    let resp = app
        .http
        .post(app.url(&cancel))
        .header("HX-Request", "true")
        .header(
            "HX-Current-URL",
            app.url("/admin/device-codes?status=denied"),
        )
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(body.contains("already decided or has expired"));
    assert!(body.contains(r#"id="device-codes-live""#));
    assert!(
        body.contains("status=denied"),
        "the page's filters are kept"
    );
    assert_eq!(
        audit(&app, AuditAction::AdminDeviceCodeCancelled)
            .await
            .len(),
        1
    );

    // An approved code cannot be cancelled either.
    let (device_code, user_code) = app.start_flow().await;
    app.approve(&user_code).await;
    let code = app
        .core
        .store
        .find_device_code_by_user_code(&authgate::model::UserCode::parse(&user_code).unwrap())
        .await
        .unwrap()
        .unwrap();
    let again = app
        .submit(
            &format!("/admin/device-codes/{}/cancel", code.id),
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(again.location(), Some("/admin/device-codes?refused=1"));
    assert_eq!(app.poll(&device_code).await.status, 200);
    // Unknown ids are 404.
    let unknown = app
        .submit(
            "/admin/device-codes/nope/cancel",
            &[("csrf_token", &csrf)],
            false,
        )
        .await;
    assert_eq!(unknown.status, 404);
}
