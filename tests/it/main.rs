//! AuthGate's integration tests: one binary, one module per area. Each test
//! drives the real HTTP app over TCP against a fresh SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod binary;
mod device_authorization;
mod health;
mod oauth2_client;
mod pages;
mod start_up;
mod token_polling;
mod tokeninfo;

mod support;
