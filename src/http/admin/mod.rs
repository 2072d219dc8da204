//! The admin dashboard (`/admin/*`), for administrators only.
//!
//! Every handler starts with the [`AdminUser`] extractor (signed-out
//! visitors go to sign-in, others get a 403 page) and every change is a
//! POST through `CsrfForm`, audited by the domain function it calls
//! (`domain::admin`). A GET on an action's path shows its confirmation.
//! Live parts (overview, device codes) are polled by htmx every 5 s from
//! their `.../live` routes, which answer 204 while nothing has changed.

pub mod audit;
pub mod client_fields;
pub mod client_keys;
pub mod clients;
pub mod device_codes;
pub mod extract;
pub mod factors;
pub mod identities;
pub mod overview;
pub mod passwords;
pub mod profiles;
pub mod provider;
pub mod providers;
pub mod registrations;
pub mod render;
pub mod second_factor;
pub mod secrets;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::routing::{get, post};

pub use extract::AdminUser;

use crate::http::paths;
use crate::state::AppState;

/// The admin routes; the caller adds the session layer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::ADMIN, get(overview::show))
        .route(paths::ADMIN_LIVE, get(overview::live_update))
        .route(paths::ADMIN_DEVICE_CODES, get(device_codes::show))
        .route(
            paths::ADMIN_DEVICE_CODES_LIVE,
            get(device_codes::live_update),
        )
        .route(paths::ADMIN_DEVICE_CODE_CANCEL, post(device_codes::cancel))
        .route(paths::ADMIN_TOKENS, get(tokens::show))
        .route(
            paths::ADMIN_TOKENS_REVOKE,
            get(tokens::confirm_revoke).post(tokens::revoke),
        )
        .route(
            paths::ADMIN_CLIENTS,
            get(clients::list).post(clients::create),
        )
        .route(paths::ADMIN_CLIENTS_NEW, get(clients::new_form))
        .route(
            paths::ADMIN_CLIENT,
            get(clients::edit).post(clients::update),
        )
        .route(
            paths::ADMIN_CLIENT_DISABLE,
            get(clients::confirm_disable).post(clients::disable),
        )
        .route(paths::ADMIN_CLIENT_ENABLE, post(clients::enable))
        .route(
            paths::ADMIN_CLIENT_SECOND_FACTOR,
            post(second_factor::for_client),
        )
        .route(paths::ADMIN_CLIENT_APPROVE, post(registrations::approve))
        .route(
            paths::ADMIN_CLIENT_REJECT,
            get(registrations::confirm_reject).post(registrations::reject),
        )
        .route(
            paths::ADMIN_CLIENT_SECRET,
            get(secrets::confirm_rotate).post(secrets::rotate),
        )
        .route(
            paths::ADMIN_CLIENT_KEYS,
            get(client_keys::form).post(client_keys::replace),
        )
        .route(paths::ADMIN_USERS, get(users::list).post(users::create))
        .route(
            paths::ADMIN_PROVIDERS,
            get(providers::list).post(providers::create),
        )
        .route(paths::ADMIN_PROVIDER_DISABLE, post(providers::disable))
        .route(paths::ADMIN_PROVIDER_ENABLE, post(providers::enable))
        .route(
            paths::ADMIN_PROVIDER,
            get(provider::show).post(provider::save),
        )
        .route(
            paths::ADMIN_PROVIDER_REMOVE,
            get(provider::confirm_remove).post(provider::remove),
        )
        .route(paths::ADMIN_USER_UPSTREAM_UNLINK, post(identities::unlink))
        .route(paths::ADMIN_USERS_NEW, get(users::new_form))
        .route(paths::ADMIN_USER, get(users::show))
        .route(
            paths::ADMIN_USER_DISABLE,
            get(users::confirm_disable).post(users::disable),
        )
        .route(paths::ADMIN_USER_ENABLE, post(users::enable))
        .route(
            paths::ADMIN_USER_PASSWORD,
            get(passwords::form).post(passwords::set),
        )
        .route(paths::ADMIN_USER_ROLE, post(users::set_role))
        .route(paths::ADMIN_USER_UNLOCK, post(users::unlock))
        .route(
            paths::ADMIN_USER_SECOND_FACTOR,
            post(second_factor::for_user),
        )
        .route(
            paths::ADMIN_SECOND_FACTOR,
            post(second_factor::for_everyone),
        )
        .route(
            paths::ADMIN_USER_PROFILE,
            get(profiles::form).post(profiles::set),
        )
        .route(
            paths::ADMIN_USER_FACTORS_RESET,
            get(factors::confirm_reset).post(factors::reset),
        )
        .route(paths::ADMIN_AUDIT, get(audit::show))
}
