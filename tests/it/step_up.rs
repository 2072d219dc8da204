//! How an approval was authenticated, and the policies that ask for a
//! fresh second factor before one: `amr`/`acr` carried from the session to
//! ID tokens, refreshes and introspection; a client, a person or everyone
//! requiring a second factor; the step-up page returning to the same
//! consent; enrolment for people who have none; `acr_values`.

use authgate::model::audit::AuditAction;
use secrecy::SecretString;
use serde_json::json;

use crate::oidc::{RP, verified};
use crate::support::{Page, Reply, TestApp};
use crate::two_step::{code_at, enrolled, now, password_step, send_code};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const INTROSPECTION_TOKEN: &str = "resource-server-token-456";
const MFA: &str = "urn:authgate:acr:mfa";

async fn spawn() -> TestApp {
    crate::oidc::spawn_with(|c| {
        c.introspection_token = Some(SecretString::from(INTROSPECTION_TOKEN));
    })
    .await
}

/// Signs admin in with the password and a code (two-step sign-in on).
async fn sign_in_with_code(app: &TestApp, key: &str) {
    password_step(app, "/account").await;
    let done = send_code(app, &code_at(key, now(app))).await;
    assert_eq!(done.status, 303, "{}", done.body);
}

/// A device request of the RP client: (device_code, user_code).
async fn device_request(app: &TestApp) -> (String, String) {
    let reply = app
        .post_form(
            "/oauth/device/code",
            &[("client_id", RP), ("scope", "openid email")],
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    (
        reply.json["device_code"].as_str().unwrap().to_owned(),
        reply.json["user_code"].as_str().unwrap().to_owned(),
    )
}

async fn poll(app: &TestApp, device_code: &str) -> Reply {
    app.post_form(
        "/oauth/token",
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", RP),
        ],
    )
    .await
}

async fn introspect(app: &TestApp, token: &str) -> Reply {
    let resp = app
        .http
        .post(app.url("/oauth/introspect"))
        .bearer_auth(INTROSPECTION_TOKEN)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    TestApp::reply(resp).await
}

async fn enter_code(app: &TestApp, user_code: &str) -> Page {
    let csrf = app.page("/device").await.csrf();
    app.submit(
        "/device",
        &[("csrf_token", &csrf), ("user_code", user_code)],
        true,
    )
    .await
}

/// A user who signs in with a password alone; their id.
async fn add_bob(app: &TestApp) -> String {
    authgate::domain::user::create(
        &app.core,
        "bob",
        "a-long-password-for-bob",
        authgate::model::user::Role::User,
    )
    .await
    .unwrap()
    .id
    .to_string()
}

async fn audited(app: &TestApp, action: AuditAction) -> usize {
    app.core
        .store
        .recent_audit_events(Some(action), 50)
        .await
        .unwrap()
        .len()
}

fn step_up_for(user_code: &str) -> String {
    format!("/login/step-up?next=%2Fdevice%3Fuser_code%3D{user_code}")
}

#[tokio::test]
async fn tokens_say_how_the_approval_was_authenticated() {
    let app = spawn().await;
    let key = enrolled(&app).await;
    sign_in_with_code(&app, &key).await;
    let (device_code, user_code) = device_request(&app).await;
    let consent = enter_code(&app, &user_code).await;
    assert!(
        consent.body.contains("password and one-time code"),
        "the consent view says how this session signed in"
    );
    let csrf = app.page("/device").await.csrf();
    let done = app.decide_in_browser(&csrf, &user_code, "approve").await;
    assert_eq!(done.status, 303);
    app.advance(6);
    let tokens = poll(&app, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
    let claims = verified(&app, tokens.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], MFA);
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .contains(r#"authgate_second_factor_uses_total{factor="totp",outcome="accepted"} 1"#),
        "{metrics}"
    );

    let access = introspect(&app, tokens.json["access_token"].as_str().unwrap()).await;
    assert_eq!(access.json["active"], true);
    assert_eq!(access.json["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(access.json["acr"], MFA);
    let refresh_token = tokens.json["refresh_token"].as_str().unwrap();
    let refresh = introspect(&app, refresh_token).await;
    assert_eq!(refresh.json["amr"], json!(["pwd", "otp", "mfa"]));

    // A refresh reports the same approval.
    let refreshed = app
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", RP),
            ],
        )
        .await;
    let claims = verified(&app, refreshed.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));

    // A password-only session's approval says so.
    let account = app.page("/account").await;
    app.submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;
    add_bob(&app).await;
    app.sign_in_as("bob", "a-long-password-for-bob").await;
    let (device_code, user_code) = device_request(&app).await;
    let csrf = app.page("/device").await.csrf();
    app.decide_in_browser(&csrf, &user_code, "approve").await;
    app.advance(6);
    let tokens = poll(&app, &device_code).await;
    let claims = verified(&app, tokens.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], "urn:authgate:acr:1fa");
}

#[tokio::test]
async fn a_client_that_requires_a_second_factor_asks_for_it_again_after_the_window() {
    let app = spawn().await;
    let key = enrolled(&app).await;
    sign_in_with_code(&app, &key).await;
    app.core
        .store
        .set_client_requires_second_factor(RP, true)
        .await
        .unwrap();
    // Fresh from sign-in: the factor counts.
    let (_, user_code) = device_request(&app).await;
    assert_eq!(enter_code(&app, &user_code).await.status, 200);

    // Past STEP_UP_MAX_AGE (5 minutes by default): asked again.
    app.advance(301);
    let (device_code, user_code) = device_request(&app).await;
    let asked = enter_code(&app, &user_code).await;
    assert_eq!(asked.status, 200);
    assert_eq!(
        asked.header("hx-redirect"),
        Some(step_up_for(&user_code).as_str()),
        "htmx moves the whole page to the step-up"
    );
    assert!(
        !asked.body.contains("consent"),
        "no consent ticket is issued"
    );
    let page = app.page(&step_up_for(&user_code)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Confirm it"));

    let next = format!("/device?user_code={user_code}");
    let wrong = app
        .submit(
            "/login/step-up",
            &[
                ("csrf_token", &page.csrf()),
                ("code", "000000"),
                ("next", &next),
            ],
            false,
        )
        .await;
    assert_eq!(wrong.status, 401);
    let forged = app
        .submit(
            "/login/step-up",
            &[("code", &code_at(&key, now(&app))), ("next", &next)],
            false,
        )
        .await;
    assert_eq!(forged.status, 403, "CSRF is checked");
    let right = app
        .submit(
            "/login/step-up",
            &[
                ("csrf_token", &page.csrf()),
                ("code", &code_at(&key, now(&app))),
                ("next", &next),
            ],
            false,
        )
        .await;
    assert_eq!(right.status, 303, "{}", right.body);
    assert_eq!(
        right.location(),
        Some(next.as_str()),
        "back to the same code"
    );
    assert_eq!(audited(&app, AuditAction::StepUp).await, 1);

    let csrf = app.page(&next).await.csrf();
    let done = app.decide_in_browser(&csrf, &user_code, "approve").await;
    assert_eq!(done.status, 303);
    app.advance(6);
    let tokens = poll(&app, &device_code).await;
    assert_eq!(tokens.status, 200, "{:?}", tokens.json);
}

#[tokio::test]
async fn a_decision_posted_after_the_window_is_sent_to_step_up_not_approved() {
    let app = spawn().await;
    let key = enrolled(&app).await;
    sign_in_with_code(&app, &key).await;
    app.core
        .store
        .set_client_requires_second_factor(RP, true)
        .await
        .unwrap();
    let (device_code, user_code) = device_request(&app).await;
    let csrf = app.page("/device").await.csrf();
    let consent = app.consent_view(&csrf, &user_code).await;
    // The consent page stays open past the window.
    app.advance(301);
    let late = app
        .submit(
            "/device/decision",
            &[
                ("csrf_token", &csrf),
                ("consent", &consent.consent()),
                ("decision", "approve"),
            ],
            false,
        )
        .await;
    assert_eq!(late.status, 303);
    assert_eq!(late.location(), Some(step_up_for(&user_code).as_str()));
    assert_eq!(
        poll(&app, &device_code).await.error(),
        "authorization_pending"
    );
    // Denying needs nothing more.
    let deny = app
        .submit(
            "/device/decision",
            &[
                ("csrf_token", &csrf),
                ("consent", &consent.consent()),
                ("decision", "deny"),
            ],
            false,
        )
        .await;
    assert_eq!(deny.status, 303);
    assert_eq!(deny.location(), Some("/device/denied"));
}

#[tokio::test]
async fn a_person_required_to_have_a_factor_enrols_before_approving() {
    let app = spawn().await;
    let bob = add_bob(&app).await;
    let admin_page = {
        app.sign_in().await;
        app.page(&format!("/admin/users/{bob}")).await
    };
    assert!(admin_page.body.contains("Not required"));
    let forged = app
        .submit(
            &format!("/admin/users/{bob}/second-factor"),
            &[("required", "on")],
            false,
        )
        .await;
    assert_eq!(forged.status, 403);
    let set = app
        .submit(
            &format!("/admin/users/{bob}/second-factor"),
            &[("csrf_token", &admin_page.csrf()), ("required", "on")],
            false,
        )
        .await;
    assert_eq!(set.status, 303);
    assert_eq!(
        audited(&app, AuditAction::AdminSecondFactorPolicyChanged).await,
        1
    );
    let account = app.page("/account").await;
    app.submit("/logout", &[("csrf_token", &account.csrf())], false)
        .await;

    // Bob signs in with his password: sent to enrolment, keeping `next`.
    let login = app.page("/login").await;
    let signed_in = app
        .submit(
            "/login",
            &[
                ("csrf_token", &login.csrf()),
                ("username", "bob"),
                ("password", "a-long-password-for-bob"),
                ("next", "/device?user_code=BCDF-GHJK"),
            ],
            false,
        )
        .await;
    assert_eq!(
        signed_in.location(),
        Some("/account?two_step=required&next=%2Fdevice%3Fuser_code%3DBCDF-GHJK#enrol")
    );
    let enrol = app
        .page("/account?two_step=required&next=%2Fdevice%3Fuser_code%3DBCDF-GHJK")
        .await;
    assert!(enrol.body.contains("requires two-step sign-in"));
    assert!(enrol.body.contains(r#"href="/device?user_code=BCDF-GHJK""#));

    // Until he has a factor, approving sends him back to enrolment.
    let (device_code, user_code) = device_request(&app).await;
    let entered = enter_code(&app, &user_code).await;
    let enrol_again =
        format!("/account?two_step=required&next=%2Fdevice%3Fuser_code%3D{user_code}#enrol");
    assert_eq!(entered.header("hx-redirect"), Some(enrol_again.as_str()));
    assert_eq!(
        poll(&app, &device_code).await.error(),
        "authorization_pending"
    );
}

#[tokio::test]
async fn a_required_factor_cannot_be_turned_off_and_everyone_can_be_required() {
    let app = spawn().await;
    let key = enrolled(&app).await;
    sign_in_with_code(&app, &key).await;
    let users = app.page("/admin/users").await;
    assert!(users.body.contains("Require it of everyone"));
    let set = app
        .submit(
            "/admin/second-factor",
            &[("csrf_token", &users.csrf()), ("required", "on")],
            false,
        )
        .await;
    assert_eq!(set.status, 303);
    assert!(
        authgate::domain::step_up::required_of_everyone(&app.core)
            .await
            .unwrap()
    );
    let bad = app
        .submit(
            "/admin/second-factor",
            &[("csrf_token", &users.csrf()), ("required", "maybe")],
            false,
        )
        .await;
    assert_eq!(bad.status, 400);

    let account = app.page("/account").await;
    let off = app
        .submit(
            "/account/two-step/remove",
            &[
                ("csrf_token", &account.csrf()),
                ("code", &code_at(&key, now(&app) + 30)),
            ],
            false,
        )
        .await;
    assert_eq!(off.status, 422);
    assert!(off.body.contains("cannot be removed"));
    assert!(
        authgate::domain::totp::is_on(&app.core, &app.admin_id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn acr_values_ask_for_a_second_factor_when_the_person_has_one() {
    let app = spawn().await;
    let key = enrolled(&app).await;
    sign_in_with_code(&app, &key).await;
    app.advance(600);
    let query = format!(
        "response_type=code&client_id={RP}&redirect_uri=https%3A%2F%2Frp.example%2Fcallback\
         &scope=openid&state=s&code_challenge={}&code_challenge_method=S256\
         &acr_values=urn%3Aauthgate%3Aacr%3Amfa",
        crate::oidc::CHALLENGE
    );
    let here = format!("/oauth/authorize?{query}");
    let none = app.page(&format!("{here}&prompt=none")).await;
    assert_eq!(none.status, 303);
    assert!(
        none.location()
            .unwrap()
            .contains("error=interaction_required"),
        "prompt=none cannot step up: {:?}",
        none.location()
    );
    let asked = app.page(&here).await;
    assert_eq!(asked.status, 303);
    let step_up = asked.location().unwrap().to_owned();
    assert!(step_up.starts_with("/login/step-up?next=%2Foauth%2Fauthorize%3F"));
    let page = app.page(&step_up).await;
    let right = app
        .submit(
            "/login/step-up",
            &[
                ("csrf_token", &page.csrf()),
                ("code", &code_at(&key, now(&app))),
                ("next", &here),
            ],
            false,
        )
        .await;
    assert_eq!(right.continues_to(), here.as_str());
    let consent = app.page(&here).await;
    assert_eq!(consent.status, 200, "the consent page now");
    let approved = app.decide_app(&consent, "approve").await;
    let location = approved.location().unwrap();
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .unwrap();
    let tokens = crate::oidc::exchange(&app, code).await;
    let claims = verified(&app, tokens.json["id_token"].as_str().unwrap(), RP).await;
    assert_eq!(claims["acr"], MFA);
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
}
