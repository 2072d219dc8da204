//! Pages for people: sign-in and the device verification journey.

pub mod account;
pub mod device;
pub mod login;
pub mod render;
pub mod session;
