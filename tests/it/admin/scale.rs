//! The token list with 100,000 rows.

use std::time::Instant;

use super::admin_app;
use crate::support::Page;

/// 100,000 tokens: every page, filter and search answers (timings printed
/// for the record), and keyset pages neither skip nor repeat rows.
#[tokio::test]
#[allow(clippy::disallowed_methods)] // Instant::now: measuring latency
async fn the_token_list_pages_through_100k_rows() {
    let (app, _) = admin_app().await;
    let now = authgate::clock::Clock::now_secs(app.clock.as_ref());
    let insert = "INSERT INTO access_tokens (jti, user_id, client_id, scope, issued_at, expires_at, revoked_at) \
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
        SELECT 'bulk-' || i, $1, $2, 'read', $3 - i / 3, $3 + 3600, \
        CASE WHEN i % 10 = 0 THEN $3 ELSE NULL END FROM n";
    let started = Instant::now();
    if let Some(pool) = app.core.store.sqlite_pool() {
        sqlx::query(insert)
            .bind(&app.admin_id)
            .bind(&app.cli_client_id)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
    } else if let Some(pool) = app.core.store.postgres_pool() {
        sqlx::query(insert)
            .bind(&app.admin_id)
            .bind(&app.cli_client_id)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        sqlx::query("ANALYZE access_tokens")
            .execute(pool)
            .await
            .unwrap();
    }
    eprintln!("inserted 100,000 tokens in {:?}", started.elapsed());

    let fetch = |path: String| {
        let app = &app;
        async move {
            let started = Instant::now();
            let page = app.page(&path).await;
            let took = started.elapsed();
            assert_eq!(page.status, 200, "{path}");
            eprintln!("{path}: {took:?}");
            // Timings are reported, never asserted (a shared machine is
            // noisy); that listings use an index and no sort is proved by
            // the query-plan unit test in src/store/admin.
            page
        }
    };
    // The token ids of a page, in order (each appears several times).
    let rows = |page: &Page| -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for (i, _) in page.body.match_indices("bulk-") {
            let digits: String = page.body[i + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let id = format!("bulk-{digits}");
            // Long ids are also shown cut short ("bulk-990…").
            let cut = page.body[i + 5 + digits.len()..].starts_with('…');
            if !digits.is_empty() && !cut && !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    };
    let next = |page: &Page, rel: &str| -> String {
        let marker = format!(r#"rel="{rel}""#);
        let at = page.body.find(&marker).expect(rel);
        let href = page.body[..at].rfind("href=\"").unwrap() + 6;
        let end = page.body[href..].find('"').unwrap() + href;
        page.body[href..end].replace("&amp;", "&")
    };

    let first = fetch("/admin/tokens".into()).await;
    let p1 = rows(&first);
    assert_eq!(p1.len(), 50);
    assert_eq!(
        &p1[..3],
        ["bulk-2", "bulk-1", "bulk-5"],
        "newest first, ties by id"
    );
    let second = fetch(next(&first, "next")).await;
    let p2 = rows(&second);
    assert_eq!(p2.len(), 50);
    assert!(p1.iter().all(|j| !p2.contains(j)), "no repeats");
    let back = fetch(next(&second, "prev")).await;
    assert_eq!(rows(&back), p1, "newer leads back to the first page");
    // Deep in the list: the keyset is as cheap as the first page.
    let deep = fetch(format!("/admin/tokens?after={}.bulk-99000", now - 33_000)).await;
    assert_eq!(rows(&deep).len(), 50, "{:?}", rows(&deep));
    let revoked = fetch("/admin/tokens?status=revoked".into()).await;
    assert!(
        rows(&revoked)
            .iter()
            .all(|j| j.trim_start_matches("bulk-").parse::<u32>().unwrap() % 10 == 0)
    );
    fetch("/admin/tokens?status=active".into()).await;
    fetch(format!(
        "/admin/tokens?client={}&status=active",
        app.cli_client_id
    ))
    .await;
    fetch(format!("/admin/tokens?user={}", app.admin_id)).await;
    fetch("/admin/tokens?q=bulk-77777".into()).await;
    fetch("/admin/tokens?q=nobody-matches".into()).await;
    // A search matching every row (the one user's name).
    let all = fetch("/admin/tokens?q=admin".into()).await;
    assert_eq!(rows(&all).len(), 50);
    fetch("/admin".into()).await;
    // The pages that count each client's and user's live tokens.
    fetch("/admin/clients".into()).await;
    fetch("/admin/users".into()).await;
}
