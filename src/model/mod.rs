//! The vocabulary both the domain and the store speak: grants as state
//! machines, the rows they are read into, and the typed values they carry.
//!
//! Nothing here does I/O or knows the clock: a transition takes the time as
//! an argument and returns the new value or a typed refusal. `domain/`
//! decides *when* to move a grant; `store/` makes the move durable with a
//! statement whose `WHERE` clause asks this model which state it leaves.
//! Nothing in `store/` imports `domain/`; both import this.

pub mod audit;
pub mod authn;
pub mod authorization_code;
pub mod client;
pub mod consent;
pub mod device_code;
pub mod dpop;
pub mod ids;
pub mod oidc;
pub mod passkey;
pub mod recovery;
pub mod redirect_uri;
pub mod refresh_token;
pub mod registration;
pub mod resource;
pub mod scope;
pub mod secret;
pub mod time;
pub mod token;
pub mod totp;
pub mod upstream;
pub mod user;
pub mod user_code;

pub use device_code::{Decision, DeviceCode, DeviceState, DeviceStatus, Standing, Transition};
pub use secret::Secret;
pub use user_code::UserCode;
