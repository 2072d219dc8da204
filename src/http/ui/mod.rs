//! Pages for people: sign-in, the device verification journey, and the
//! authorization endpoint's consent.

pub mod account;
pub mod account_profile;
pub mod authorize;
pub mod ceremony;
pub mod device;
pub mod end_session;
pub mod login;
pub mod login_code;
pub mod passkey_login;
pub mod passkeys;
pub mod recovery;
pub mod render;
pub mod session;
pub mod step_up;
pub mod step_up_passkey;
pub mod two_step;
pub mod upstream;
pub mod upstream_link;
