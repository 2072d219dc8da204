//! Linking an upstream account from `/account` while signed in: a POST
//! with the CSRF token starts it, the callback links to the account that
//! asked (if it is still the one signed in) and never moves a link from
//! another account; the session stays as it was.

use authgate::model::audit::AuditAction;

use super::{PASSWORD, links, local, pair, user};
use crate::admin::audit;
use crate::support::{Page, TestApp};

/// Another browser for `app`: its own cookies, no redirects followed.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            http,
            base: app.base.clone(),
        }
    }

    async fn page(&self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        TestApp::to_page(resp).await
    }

    async fn submit(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        TestApp::to_page(resp).await
    }

    async fn sign_in_as(&self, username: &str) {
        let login = self.page("/login").await;
        let done = self
            .submit(
                "/login",
                &[
                    ("csrf_token", &login.csrf()),
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/account"),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
    }
}

/// Posts Link Corp from `/account` in the test's browser: the provider's
/// authorization URL the answer moves on to (by `Refresh`, not a 303,
/// which the page's CSP `form-action` would block).
async fn ask_link(app: &TestApp) -> String {
    let account = app.page("/account").await;
    assert!(account.body.contains("Link Corp"), "{}", account.body);
    let answer = app
        .submit(
            "/account/upstream/link",
            &[("csrf_token", &account.csrf()), ("provider", "corp")],
            false,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.location(), None);
    let refresh = answer.header("refresh").expect("a Refresh header");
    let url = refresh.strip_prefix("0; url=").expect("0; url=").to_owned();
    assert!(answer.body.contains("Continue to Corp"));
    assert!(
        answer
            .body
            .contains(&format!("href=\"{}\"", url.replace('&', "&amp;"))),
        "the same URL as a link"
    );
    url
}

#[tokio::test]
async fn a_signed_in_person_links_an_upstream_account() {
    let pair = pair(|_| {}).await;
    let robert = user(&pair.app, "robert", None, false).await;
    user(&pair.up, "bob", None, false).await;
    pair.app.sign_in_as("robert", PASSWORD).await;
    let cookie_before = pair.app.page("/account").await.csrf();

    let authorize = ask_link(&pair.app).await;
    assert!(authorize.starts_with(&pair.up.url("/oauth/authorize?")));
    let callback = pair.approve_upstream(&authorize, "bob").await;
    let back = pair.app.page(&local(&callback)).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location(), Some("/account?linked=1"));
    assert_eq!(links(&pair.app, &robert).await, 1);

    let account = pair.app.page("/account?linked=1").await;
    assert!(account.body.contains("robert"));
    assert!(account.body.contains("Linked. You can now sign in"));
    assert!(!account.body.contains("Link Corp"), "linked: no button");
    assert_eq!(account.csrf(), cookie_before, "the session was not renewed");
    let linked = audit(&pair.app, AuditAction::UpstreamLinked).await;
    assert_eq!(linked.len(), 1);
    assert_eq!(
        linked[0].detail.as_deref(),
        Some("linked from the account page")
    );
    assert!(
        audit(&pair.app, AuditAction::UpstreamSignedIn)
            .await
            .is_empty()
    );

    // From now on Corp signs robert in.
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    assert_eq!(pair.round_trip("bob", "/account").await.status, 303);
    assert!(pair.is_signed_in_as("robert").await);
    pair.shutdown().await;
}

#[tokio::test]
async fn an_upstream_account_linked_elsewhere_is_not_moved() {
    let pair = pair(|_| {}).await;
    let robert = user(&pair.app, "robert", None, false).await;
    let carol = user(&pair.app, "carol", None, false).await;
    user(&pair.up, "bob", None, false).await;
    // Carol linked bob's Corp account first.
    pair.app.sign_in_as("carol", PASSWORD).await;
    let authorize = ask_link(&pair.app).await;
    let callback = pair.approve_upstream(&authorize, "bob").await;
    assert_eq!(pair.app.page(&local(&callback)).await.status, 303);
    assert_eq!(links(&pair.app, &carol).await, 1);

    let account = pair.app.page("/account").await;
    pair.app
        .submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    pair.app.sign_in_as("robert", PASSWORD).await;
    let authorize = ask_link(&pair.app).await;
    let callback = pair.approve_upstream(&authorize, "bob").await;
    let refused = pair.app.page(&local(&callback)).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("already linked to another AuthGate account")
    );
    assert_eq!(links(&pair.app, &robert).await, 0);
    assert_eq!(links(&pair.app, &carol).await, 1, "nothing moved");
    assert!(pair.is_signed_in_as("robert").await, "still robert");
    let refusals = audit(&pair.app, AuditAction::UpstreamRefused).await;
    assert!(
        refusals.iter().any(|e| e
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("linked to another account"))),
        "{refusals:?}"
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_callback_in_another_browser_or_for_another_person_links_nothing() {
    let pair = pair(|_| {}).await;
    let robert = user(&pair.app, "robert", None, false).await;
    let carol = user(&pair.app, "carol", None, false).await;
    user(&pair.up, "bob", None, false).await;
    pair.app.sign_in_as("robert", PASSWORD).await;
    let authorize = ask_link(&pair.app).await;
    let callback = pair.approve_upstream(&authorize, "bob").await;

    // Carol's browser is handed robert's callback: not its state.
    let other = Browser::new(&pair.app);
    other.sign_in_as("carol").await;
    let stale = other.page(&local(&callback)).await;
    assert_eq!(stale.status, 400, "{}", stale.body);
    assert_eq!(links(&pair.app, &carol).await, 0);
    assert_eq!(links(&pair.app, &robert).await, 0);

    // In robert's browser, carol signs in before the callback arrives.
    let login = pair.app.page("/login?reauth=1").await;
    let signed = pair
        .app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "carol"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
            false,
        )
        .await;
    assert_eq!(signed.status, 303);
    let changed = pair.app.page(&local(&callback)).await;
    assert_eq!(changed.status, 403, "{}", changed.body);
    assert!(
        changed
            .body
            .contains("no longer signed in to the account that asked")
    );
    assert_eq!(links(&pair.app, &carol).await, 0);
    assert_eq!(links(&pair.app, &robert).await, 0);
    pair.shutdown().await;
}

#[tokio::test]
async fn linking_needs_a_signed_in_post_with_the_csrf_token() {
    let pair = pair(|_| {}).await;
    user(&pair.app, "robert", None, false).await;
    // Signed out: sent to sign in, never to the provider.
    let stranger = Browser::new(&pair.app);
    let login = stranger.page("/login").await;
    let refused = stranger
        .submit(
            "/account/upstream/link",
            &[("csrf_token", &login.csrf()), ("provider", "corp")],
        )
        .await;
    assert_eq!(refused.status, 303);
    assert!(
        refused.location().unwrap().starts_with("/login?"),
        "{:?}",
        refused.location()
    );
    // Signed in but without the token, or by GET: refused.
    pair.app.sign_in_as("robert", PASSWORD).await;
    let forged = pair
        .app
        .submit(
            "/account/upstream/link",
            &[("csrf_token", "x"), ("provider", "corp")],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(pair.app.page("/account/upstream/link").await.status, 405);
    // An unknown or disabled provider is not found.
    let account = pair.app.page("/account").await;
    let unknown = pair
        .app
        .submit(
            "/account/upstream/link",
            &[("csrf_token", &account.csrf()), ("provider", "nobody")],
            false,
        )
        .await;
    assert_eq!(unknown.status, 404);
    pair.shutdown().await;
}
