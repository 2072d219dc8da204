//! The device-code list's keyset pages and filters, and the overview's
//! device-code counts, over many codes in every state.

use authgate::clock::Clock;
use authgate::model::Decision;
use authgate::model::user_code::USER_CODE_ALPHABET;

use super::admin_app;
use crate::support::{Page, TestApp};

/// A user code (stored form) for `i`.
fn user_code(i: u32) -> String {
    let mut n = i;
    (0..8)
        .map(|_| {
            let c = USER_CODE_ALPHABET[(n % 20) as usize];
            n /= 20;
            char::from(c)
        })
        .collect()
}

/// How `user_code(i)` is shown.
fn shown(i: u32) -> String {
    let c = user_code(i);
    format!("{}-{}", &c[..4], &c[4..])
}

/// Stores code `i` of `client` in `status`, expiring at `expires_at`.
async fn insert_code(app: &TestApp, i: u32, client: &str, status: &str, expires_at: i64) {
    let decided = status != "pending";
    let sql = "INSERT INTO device_codes (id, device_code_hash, user_code, client_id, scope, status, \
        user_id, interval_secs, created_at, expires_at, decided_at, redeemed_at) \
        VALUES ($1, $2, $3, $4, 'read', $5, $6, 5, $7, $8, $9, $10)";
    let user = decided.then(|| app.admin_id.clone());
    let decided_at = decided.then_some(expires_at - 1800);
    let redeemed_at = (status == "redeemed").then_some(expires_at - 1790);
    macro_rules! run {
        ($pool:expr) => {
            sqlx::query(sql)
                .bind(format!("dc-{i:04}"))
                .bind(format!("hash-{i}"))
                .bind(user_code(i))
                .bind(client)
                .bind(status)
                .bind(user)
                .bind(expires_at - 1800)
                .bind(expires_at)
                .bind(decided_at)
                .bind(redeemed_at)
                .execute($pool)
                .await
                .unwrap()
        };
    }
    if let Some(pool) = app.core.store.sqlite_pool() {
        run!(pool);
    } else if let Some(pool) = app.core.store.postgres_pool() {
        run!(pool);
    }
}

/// The state of code `i` in the mix that [`fill`] stores.
fn status_of(i: u32) -> &'static str {
    match i % 6 {
        0 => "denied",
        1 => "approved",
        2 => "redeemed",
        _ => "pending",
    }
}

/// Codes 1..=n, code `i` expiring at `now - 60 + i` so the first 59 have
/// expired, in the mix of [`status_of`]; the store then counts from them
/// as it does at start-up.
async fn fill(app: &TestApp, n: u32) -> i64 {
    let now = app.clock.now_secs();
    for i in 1..=n {
        insert_code(
            app,
            i,
            &app.cli_client_id,
            status_of(i),
            now - 60 + i64::from(i),
        )
        .await;
    }
    app.core.store.recount_pending_codes().await.unwrap();
    now
}

/// The user codes of a page's rows, in order.
fn codes(page: &Page) -> Vec<String> {
    page.body
        .match_indices(r#"data-user-code=""#)
        .map(|(at, m)| {
            let start = at + m.len();
            let end = page.body[start..].find('"').unwrap() + start;
            page.body[start..end].to_owned()
        })
        .collect()
}

/// The pager's "next" link, if any.
fn next(page: &Page) -> Option<String> {
    let at = page.body.find(r#"rel="next""#)?;
    let href = page.body[..at].rfind("href=\"").unwrap() + 6;
    let end = page.body[href..].find('"').unwrap() + href;
    Some(page.body[href..end].replace("&amp;", "&"))
}

/// Every page of `path`, in order.
async fn walk(app: &TestApp, path: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut at = Some(path.to_owned());
    while let Some(path) = at {
        let page = app.page(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(codes(&page).len() <= 50, "{path}");
        all.extend(codes(&page));
        at = next(&page);
    }
    all
}

/// Which of the codes 1..=n a listing shows.
type Keep = Box<dyn Fn(u32) -> bool>;

/// The codes 1..=n whose state passes `keep`, in the listing's order:
/// newest (latest expiry) first.
fn expected(n: u32, keep: impl Fn(u32) -> bool) -> Vec<String> {
    (1..=n).rev().filter(|i| keep(*i)).map(shown).collect()
}

#[tokio::test]
async fn pages_list_live_pending_codes_first_then_the_rest_without_gaps_or_repeats() {
    let (app, _) = admin_app().await;
    fill(&app, 160).await;
    let live_pending = |i: u32| status_of(i) == "pending" && i > 60;
    let mut want = expected(160, live_pending);
    want.extend(expected(160, |i| !live_pending(i)));

    let first = app.page("/admin/device-codes").await;
    assert_eq!(codes(&first), want[..50], "pending first, newest first");
    assert!(first.body.contains("Pending requests first"));
    assert!(
        !first.body.contains("← First page"),
        "the first page links no first page"
    );
    // New codes arriving while someone pages: the pages already under way
    // neither repeat nor skip what was there.
    let mut seen = codes(&first);
    let mut at = next(&first);
    let mut added = 1000;
    while let Some(path) = at {
        assert!(path.contains("after="), "{path}");
        added += 1;
        let far = app.clock.now_secs() + 100_000;
        insert_code(&app, added, &app.cli_client_id, "pending", far).await;
        let page = app.page(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("← First page"));
        seen.extend(codes(&page));
        at = next(&page);
    }
    assert_eq!(seen, want, "every code once, in order");
    // A fresh first page starts with the newest arrivals.
    assert_eq!(
        codes(&app.page("/admin/device-codes").await)[0],
        shown(added)
    );
}

#[tokio::test]
async fn filters_select_each_state_and_client_through_every_page() {
    let (app, _) = admin_app().await;
    fill(&app, 160).await;
    app.add_client("other-client", None, "read", false).await;
    let now = app.clock.now_secs();
    for i in 2001..=2003 {
        insert_code(&app, i, "other-client", "pending", now + 600).await;
    }
    // Codes another instance issued are counted from the next recount.
    app.core.store.recount_pending_codes().await.unwrap();
    let expired = |i: u32| i < 60 && matches!(status_of(i), "pending" | "approved");
    let cases: [(&str, Keep); 5] = [
        ("pending", Box::new(|i| status_of(i) == "pending" && i > 60)),
        (
            "approved",
            Box::new(|i| status_of(i) == "redeemed" || (status_of(i) == "approved" && i > 60)),
        ),
        ("denied", Box::new(|i| status_of(i) == "denied")),
        ("redeemed", Box::new(|i| status_of(i) == "redeemed")),
        ("expired", Box::new(expired)),
    ];
    for (status, keep) in cases {
        let path = format!(
            "/admin/device-codes?status={status}&client={}",
            app.cli_client_id
        );
        assert_eq!(walk(&app, &path).await, expected(160, keep), "{status}");
    }
    let other = walk(&app, "/admin/device-codes?client=other-client").await;
    assert_eq!(other, [shown(2003), shown(2002), shown(2001)]);
    let other_denied = walk(
        &app,
        "/admin/device-codes?client=other-client&status=denied",
    )
    .await;
    assert!(other_denied.is_empty());
    let page = app.page("/admin/device-codes?client=other-client").await;
    assert!(page.body.contains("3 pending device requests."));
    // A cursor from the unfiltered list still pages a filtered one.
    let all = app.page("/admin/device-codes").await;
    let cursor = next(&all).unwrap();
    let cursor = cursor.split("after=").nth(1).unwrap();
    let rest = app
        .page(&format!(
            "/admin/device-codes?status=pending&after={cursor}"
        ))
        .await;
    assert_eq!(rest.status, 200);
    let live = app
        .page(&format!("/admin/device-codes?status=denied&after={cursor}"))
        .await;
    assert_eq!(live.status, 200);
}

#[tokio::test]
async fn malformed_cursors_show_the_first_page() {
    let (app, _) = admin_app().await;
    fill(&app, 70).await;
    let first = codes(&app.page("/admin/device-codes").await);
    for bad in [
        "garbage",
        "p",
        "x12.dc-0001",
        "p99999999999999999999999.dc-1",
        "r12.",
        "p-5",
    ] {
        let page = app.page(&format!("/admin/device-codes?after={bad}")).await;
        assert_eq!(page.status, 200, "{bad}");
        assert_eq!(codes(&page), first, "{bad}: the first page");
        let live = app
            .http
            .get(app.url(&format!("/admin/device-codes/live?after={bad}")))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(live.status(), 200, "{bad}");
    }
    // Cursors that decode are positions, even ones no row has, and their
    // text is only ever a bound value.
    for odd in [
        "r0.zzz",
        "p1.a",
        "r-99999999999.x",
        "r1.%F0%9F%92%A5",
        "p12.dc-0001%27%20OR%201%3D1--",
        &format!("r{}.dc-0001", i64::MAX),
    ] {
        let page = app.page(&format!("/admin/device-codes?after={odd}")).await;
        assert_eq!(page.status, 200, "{odd}");
    }
    // Past the end: an empty page.
    let end = app.page("/admin/device-codes?after=r-99999999999.x").await;
    assert!(codes(&end).is_empty());
}

#[tokio::test]
async fn overview_counts_expired_codes_apart_from_pending_ones() {
    let (app, _) = admin_app().await;
    let (_, approved) = app.start_flow().await;
    let (_, denied) = app.start_flow().await;
    for _ in 0..3 {
        app.start_flow().await;
    }
    app.approve(&approved).await;
    app.decide(&denied, Decision::Deny).await;
    let counts = |app: &TestApp| {
        let store = app.core.store.clone();
        let now = app.clock.now_secs();
        async move { store.dashboard_counts(now).await.unwrap() }
    };
    let c = counts(&app).await;
    assert_eq!(
        (c.pending, c.approved, c.denied, c.expired),
        (3, 1, 1, 0),
        "{c:?}"
    );
    // Past every code's expiry (DEVICE_CODE_EXPIRATION is 30 minutes): the
    // three undecided and the one approved but never collected expired;
    // the denied one stays denied.
    app.advance(30 * 60);
    let c = counts(&app).await;
    assert_eq!(
        (c.pending, c.approved, c.denied, c.expired),
        (0, 0, 1, 4),
        "{c:?}"
    );
    // The same after the store counts again from the database.
    app.core.store.recount_pending_codes().await.unwrap();
    assert_eq!(counts(&app).await, c);
    let page = app.page("/admin").await;
    assert_eq!(page.status, 200);
    let live = app
        .http
        .get(app.url("/admin/live"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert!(live.status().is_success());
    // The cleanup takes the expired codes away a day later, and the count
    // follows at the next recount.
    app.advance(24 * 60 * 60 + 1);
    authgate::tasks::cleanup_once(&app.core).await.unwrap();
    app.core.store.recount_pending_codes().await.unwrap();
    let c = counts(&app).await;
    assert_eq!((c.pending, c.expired, c.denied), (0, 0, 0), "{c:?}");
}
