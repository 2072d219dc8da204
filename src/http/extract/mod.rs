//! Our own extractors: every rejection becomes an RFC error, never axum's
//! plain-text default.

mod client_auth;
mod client_ip;
mod dpop;
pub mod form;

pub use client_auth::{BodyCredentials, ClientAuth, bearer_token, client_credentials};
pub use client_ip::{ClientIp, UserAgent};
pub use dpop::{DPOP, DpopProof, Presented, dpop_proof, presented_token, proven_token};
pub use form::OAuthForm;
