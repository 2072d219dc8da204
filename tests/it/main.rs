//! AuthGate's integration tests: one binary, one module per area. Each test
//! drives the real HTTP app over TCP against a fresh database: SQLite, or
//! PostgreSQL when `TEST_DATABASE_URL` is set (`make unit-pg`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod authorization_code;
mod binary;
mod caches;
mod cli_browser;
mod cli_client;
mod cli_dpop;
mod cli_resources;
mod client_credentials;
mod connections;
mod crash;
mod database;
mod device_authorization;
mod dpop;
mod faults;
mod fuzz_regressions;
mod guessing;
mod health;
mod logs;
mod metrics;
mod oauth2_client;
mod oidc;
mod openapi;
mod operations;
mod outages;
mod pages;
mod passkeys;
mod pending_ceiling;
mod private_key_jwt;
mod properties;
mod recovery_codes;
mod registration;
mod resource_indicators;
mod retries;
mod scale_out;
mod sign_in;
mod start_up;
mod step_up;
mod token_polling;
mod tokeninfo;
mod tokens;
mod two_step;
mod upstream;

mod support;
