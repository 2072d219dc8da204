//! Subcommands of the binary other than `server`, for operators and scripts.

pub mod backup;
pub mod client;
pub mod database;
pub mod health;
pub mod keys;
pub mod provider;
pub mod user;
