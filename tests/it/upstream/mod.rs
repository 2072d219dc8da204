//! Sign-in through an upstream OpenID provider. The provider is a second
//! AuthGate on 127.0.0.1 (itself an OpenID provider: discovery, JWKS,
//! signed ID tokens), with a confidential client for the first; each app
//! has its own cookie jar, and the test carries the browser between them
//! by following each redirect itself. `forged.rs` has a small provider
//! of its own that signs bad ID tokens.

use authgate::domain::admin::{Actor, Ctx};
use authgate::domain::upstream::providers::{self, ProviderSpec};
use authgate::model::Secret;
use authgate::model::upstream::{ClaimMapping, ProviderKind};
use authgate::model::user::{Profile, Role};

use crate::support::{Page, TestApp};

mod admin;
mod cli;
mod dashboard;
mod edit;
mod failures;
mod forged;
mod github;
mod hint_domains;
mod hints;
mod link_signed_in;
mod linking;
mod sign_in;
mod userinfo;

pub const CLIENT: &str = "authgate-downstream";
pub const SECRET: &str = "downstream-client-secret";
pub const PASSWORD: &str = "upstream-password-1";

/// The app people sign in to, and the provider they sign in through.
pub struct Pair {
    pub app: TestApp,
    pub up: TestApp,
}

/// A provider called `corp` (label "Corp") on `app` for the issuer at
/// `issuer`, adjusted by `adjust`.
pub async fn add_provider(app: &TestApp, issuer: &str, adjust: impl FnOnce(&mut ProviderSpec)) {
    let mut spec = ProviderSpec {
        kind: ProviderKind::Oidc,
        name: "corp".into(),
        label: Some("Corp".into()),
        issuer: issuer.into(),
        client_id: CLIENT.into(),
        client_secret: Secret::new(SECRET),
        scopes: None,
        claims: ClaimMapping::default(),
        create_accounts: false,
        allowed_domains: vec![],
        trust_email: false,
        hint_domains: vec![],
    };
    adjust(&mut spec);
    providers::add(&Ctx::of(&app.core), &Actor::command_line(), spec)
        .await
        .expect("add the provider");
}

/// Both apps with BASE_URL their real address; the provider's client
/// redirects to the app's callback; `adjust` shapes the provider.
pub async fn pair(adjust: impl FnOnce(&mut ProviderSpec)) -> Pair {
    let app = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    let up = TestApp::spawn_with(|c| c.base_url = format!("http://{}", c.addr)).await;
    up.add_client(CLIENT, Some(SECRET), "openid profile email", false)
        .await;
    up.core
        .store
        .set_client_redirect_uris(CLIENT, &[app.url("/login/upstream/corp/callback")])
        .await
        .unwrap();
    add_provider(&app, &up.base, adjust).await;
    Pair { app, up }
}

/// A user on `app` with `email` (verified or not) and a password.
pub async fn user(app: &TestApp, username: &str, email: Option<&str>, verified: bool) -> String {
    let user = authgate::domain::user::create(&app.core, username, PASSWORD, Role::User)
        .await
        .unwrap();
    app.core
        .store
        .set_user_profile(
            &user.id,
            &Profile {
                email: email.map(str::to_owned),
                email_verified: verified,
                name: Some(format!("{username} Person")),
            },
            0,
        )
        .await
        .unwrap();
    user.id.into_string()
}

/// `location` without its origin, for the app that serves it.
pub fn local(location: &str) -> String {
    let url = url::Url::parse(location).unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

impl Pair {
    /// Starts a sign-in with Corp that returns to `next`: the provider's
    /// authorization URL.
    pub async fn start(&self, next: &str) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish();
        let page = self
            .app
            .page(&format!("/login/upstream/corp?{query}"))
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        let location = page.location().unwrap().to_owned();
        assert!(
            location.starts_with(&self.up.url("/oauth/authorize?")),
            "{location}"
        );
        location
    }

    /// The person signs in at the provider as `username` and approves:
    /// the callback URL the provider sends the browser to.
    pub async fn approve_upstream(&self, authorize: &str, username: &str) -> String {
        let account = self.up.page("/account").await;
        if account.status == 200 {
            let csrf = account.csrf();
            self.up
                .submit("/logout", &[("csrf_token", &csrf)], false)
                .await;
        }
        let signed_in = self.up.sign_in_as(username, PASSWORD).await;
        assert_eq!(signed_in.status, 303, "upstream sign-in");
        let page = self.up.page(&local(authorize)).await;
        let reply = if page.status == 200 {
            self.up.decide_app(&page, "approve").await
        } else {
            page
        };
        assert_eq!(reply.status, 303, "{}", reply.body);
        let callback = reply.location().unwrap().to_owned();
        assert!(
            callback.starts_with(&self.app.url("/login/upstream/corp/callback?")),
            "{callback}"
        );
        callback
    }

    /// A whole round trip as `username` at the provider: the app's answer
    /// to the callback.
    pub async fn round_trip(&self, username: &str, next: &str) -> Page {
        let authorize = self.start(next).await;
        let callback = self.approve_upstream(&authorize, username).await;
        self.app.page(&local(&callback)).await
    }

    /// Whether the app's browser is signed in as `username` (its
    /// /account page shows the name).
    pub async fn is_signed_in_as(&self, username: &str) -> bool {
        let page = self.app.page("/account").await;
        page.status == 200 && page.body.contains(username)
    }

    pub async fn shutdown(self) {
        self.app.shutdown().await;
        self.up.shutdown().await;
    }
}

/// The local user called `username`, if any.
pub async fn find(app: &TestApp, username: &str) -> Option<authgate::domain::user::User> {
    app.core
        .store
        .find_user_by_username(username)
        .await
        .unwrap()
}

/// The upstream accounts linked to `user_id`.
pub async fn links(app: &TestApp, user_id: &str) -> usize {
    app.core
        .store
        .user_upstream_identities(user_id)
        .await
        .unwrap()
        .len()
}
