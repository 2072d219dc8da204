//! Configuration parsing and validation, from the command line as a user
//! writes it.

use super::*;
use crate::cli::{Cli, Command};
use clap::Parser;

fn parse(extra: &[&str]) -> Result<Config, ConfigError> {
    let mut argv = vec!["authgate", "server"];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).map_err(|e| bad("ARGS", e.to_string()))?;
    let Command::Server(args) = cli.command else {
        return Err(bad("ARGS", "not the server command"));
    };
    Config::from_args(*args)
}

#[test]
fn defaults_are_usable() {
    // The test process may carry env vars from a developer's shell; only
    // assert what the flags pin down.
    let c = parse(&[
        "--base-url",
        "http://localhost:8080/",
        "--database-url",
        "sqlite://x.db",
    ])
    .expect("defaults");
    assert_eq!(c.base_url, "http://localhost:8080");
    assert_eq!(c.database_url, "sqlite://x.db");
}

#[test]
fn production_requires_long_secrets() {
    let err = parse(&[
        "--production",
        "--jwt-secret",
        "short",
        "--session-secret",
        "x",
    ])
    .expect_err("short secrets refused");
    assert_eq!(err.variable, "JWT_SECRET");
    let err = parse(&[
        "--production",
        "--jwt-secret",
        STRONG[0],
        "--session-secret",
        STRONG[1],
    ])
    .expect_err("plain http refused in production");
    assert_eq!(err.variable, "BASE_URL");
    let c = parse(&[
        "--production",
        "--jwt-secret",
        STRONG[0],
        "--session-secret",
        STRONG[1],
        "--base-url",
        "https://auth.example.com",
    ])
    .expect("long secrets and https accepted");
    assert!(c.production);
    let c = parse(&[
        "--production",
        "--jwt-secret",
        STRONG[0],
        "--session-secret",
        STRONG[1],
        "--allow-insecure-http",
    ])
    .expect("http allowed explicitly");
    assert!(c.allow_insecure_http);
}

/// Strong secrets, as `openssl rand -base64` would make them.
const STRONG: [&str; 4] = [
    "3PjcW3ZhWjhcir1VA1aoAnGM5N81VyP1tiDhgwdb6V6Q",
    "B-nxq5Y2kKYl3pCrA4se_uEyY_ayKamvJ1gzVz5Z8Iye",
    "8s-TaOjEsQnidgU-hMk4gSsC21jUldieqRizzbmNrVl6",
    "oYR9123cfz_T4fp0MtLD_YyFusPwIS-ZclC9d-41Iht-",
];

/// A production configuration with strong secrets, `changes` applied.
fn production(changes: &[(&'static str, &str)]) -> Result<Config, ConfigError> {
    let mut flags = vec![
        ("--base-url", "https://auth.example.com"),
        ("--jwt-secret", STRONG[0]),
        ("--session-secret", STRONG[1]),
    ];
    for (flag, value) in changes {
        flags.retain(|(f, _)| f != flag);
        flags.push((flag, value));
    }
    let mut argv = vec!["--production"];
    argv.extend(flags.iter().flat_map(|(f, v)| [*f, *v]));
    parse(&argv)
}

#[test]
fn production_refuses_reused_secrets() {
    let all = [
        ("--introspection-token", STRONG[2]),
        ("--metrics-token", STRONG[3]),
        ("--admin-password", "ZwE2BiflfSveeZWY"),
    ];
    production(&all).expect("strong, distinct secrets");
    let err = production(&[("--session-secret", STRONG[0])]).expect_err("same as JWT_SECRET");
    assert_eq!(err.variable, "SESSION_SECRET");
    assert!(err.problem.contains("JWT_SECRET"), "{err}");
    let err = production(&[
        ("--introspection-token", STRONG[2]),
        ("--metrics-token", STRONG[2]),
    ])
    .expect_err("one token for two uses");
    assert_eq!(err.variable, "METRICS_TOKEN");
    let err = production(&[("--metrics-token", STRONG[1])]).expect_err("the session key");
    assert_eq!(err.variable, "METRICS_TOKEN");
    let err = production(&[("--admin-password", STRONG[0])]).expect_err("a key as password");
    assert_eq!(err.variable, "ADMIN_PASSWORD");
}

#[test]
fn production_refuses_guessable_secrets() {
    for (flag, variable, weak) in [
        ("--jwt-secret", "JWT_SECRET", "a".repeat(40)),
        ("--jwt-secret", "JWT_SECRET", "abc".repeat(12)),
        (
            "--jwt-secret",
            "JWT_SECRET",
            "0123456789abcdef0123456789abcdef".into(),
        ),
        (
            "--session-secret",
            "SESSION_SECRET",
            "abcdefghijklmnopqrstuvwxyz0123456789".into(),
        ),
        ("--session-secret", "SESSION_SECRET", "x7Kq".repeat(10)),
        (
            "--introspection-token",
            "INTROSPECTION_TOKEN",
            "0000000000000000".into(),
        ),
        (
            "--metrics-token",
            "METRICS_TOKEN",
            "ababababababababab".into(),
        ),
        // The examples of the documentation.
        (
            "--jwt-secret",
            "JWT_SECRET",
            "change-me-at-least-32-bytes-long-0001".into(),
        ),
        (
            "--session-secret",
            "SESSION_SECRET",
            "change-me-at-least-32-bytes-long-0002".into(),
        ),
        (
            "--jwt-secret",
            "JWT_SECRET",
            "Please-CHANGEME-now-5f1d9a8c7b6e4d3c2b1a".into(),
        ),
    ] {
        let err = production(&[(flag, &weak)]).expect_err(&weak);
        assert_eq!(err.variable, variable, "{weak}: {err}");
    }
    // Development mode takes what it is given.
    parse(&[
        "--jwt-secret",
        &"a".repeat(40),
        "--session-secret",
        &"a".repeat(40),
    ])
    .expect("development");
}

#[test]
fn production_wants_a_long_admin_password() {
    for weak in ["short-pw-11", "change-me-too", "aaaaaaaaaaaaaaaa"] {
        let err = production(&[("--admin-password", weak)]).expect_err(weak);
        assert_eq!(err.variable, "ADMIN_PASSWORD", "{weak}");
    }
    production(&[("--admin-password", "correct horse battery")]).expect("a passphrase");
    parse(&["--admin-password", "eight-ch"]).expect("development allows 8");
}

#[test]
fn bad_values_name_their_variable() {
    let err = parse(&["--base-url", "ftp://x"]).expect_err("ftp refused");
    assert_eq!(err.variable, "BASE_URL");
    let err = parse(&["--database-url", "mysql://x"]).expect_err("mysql refused");
    assert_eq!(err.variable, "DATABASE_URL");
    let err = parse(&["--polling-interval", "0s"]).expect_err("zero interval refused");
    assert_eq!(err.variable, "POLLING_INTERVAL");
    let err = parse(&["--database-statement-timeout", "10ms"]).expect_err("too short");
    assert_eq!(err.variable, "DATABASE_STATEMENT_TIMEOUT");
    let err = parse(&["--database-acquire-timeout", "1m"]).expect_err("above the request's");
    assert_eq!(err.variable, "DATABASE_ACQUIRE_TIMEOUT");
}

#[test]
fn accepting_hs256_needs_its_secret() {
    let err = parse(&["--jwt-accept-hs256", "true"]).expect_err("no secret to verify with");
    assert_eq!(err.variable, "JWT_ACCEPT_HS256");
    let c = parse(&[
        "--jwt-accept-hs256",
        "true",
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef",
    ])
    .expect("accepted with its secret");
    assert!(c.accept_hs256);
    assert!(!parse(&[]).expect("defaults").accept_hs256);
}

#[test]
fn empty_secrets_are_unset() {
    let c = parse(&[
        "--session-secret",
        "",
        "--jwt-secret",
        "",
        "--admin-password",
        "",
        "--introspection-token",
        "",
    ])
    .expect("empty values are accepted as unset");
    assert!(c.session_secret.is_none() && c.jwt_secret.is_none());
    assert!(c.admin_password.is_none());
    assert!(
        c.introspection_token.is_none(),
        "INTROSPECTION_TOKEN= turns bearer introspection off, not on with a short token"
    );
    let err = parse(&["--production", "--jwt-secret", "", "--session-secret", ""])
        .expect_err("production still wants them");
    assert_eq!(err.problem, "must be set in production mode");
}

#[test]
fn metrics_settings_are_checked() {
    let c = parse(&[
        "--metrics-token",
        "0123456789abcdef",
        "--metrics-addr",
        "127.0.0.1:9090",
    ])
    .expect("valid metrics settings");
    assert!(c.metrics && c.metrics_token.is_some());
    assert_eq!(
        c.metrics_addr,
        Some(SocketAddr::from(([127, 0, 0, 1], 9090)))
    );
    let err = parse(&["--metrics-token", "short"]).expect_err("short token");
    assert_eq!(err.variable, "METRICS_TOKEN");
    let err = parse(&["--metrics", "false", "--metrics-addr", "127.0.0.1:9090"])
        .expect_err("address without metrics");
    assert_eq!(err.variable, "METRICS_ADDR");
    let err = parse(&[
        "--addr",
        "127.0.0.1:9090",
        "--metrics-addr",
        "127.0.0.1:9090",
    ])
    .expect_err("same address twice");
    assert_eq!(err.variable, "METRICS_ADDR");
    assert!(!parse(&["--metrics", "off"]).expect("off is false").metrics);
}

#[test]
fn connection_limits_have_flags_and_bounds() {
    let c = parse(&["--header-read-timeout", "3s", "--max-connections", "500"])
        .expect("valid connection settings");
    assert_eq!(c.header_read_timeout, Duration::from_secs(3));
    assert_eq!(c.max_connections, 500);
    let err = parse(&["--header-read-timeout", "0s"]).expect_err("no time at all");
    assert_eq!(err.variable, "HEADER_READ_TIMEOUT");
    let err = parse(&["--max-connections", "0"]).expect_err("no connection at all");
    assert_eq!(err.variable, "MAX_CONNECTIONS");
    let err = parse(&["--max-connections", "2000000"]).expect_err("a typo");
    assert_eq!(err.variable, "MAX_CONNECTIONS");
}

#[test]
fn database_settings_have_flags() {
    let c = parse(&[
        "--database-url",
        "postgres://u:p@127.0.0.1/db",
        "--database-max-connections",
        "3",
        "--database-statement-timeout",
        "2s",
        "--database-acquire-timeout",
        "500ms",
        "--database-migrate",
        "false",
    ])
    .expect("valid database settings");
    assert_eq!(c.pool.max_connections, 3);
    assert_eq!(c.pool.statement_timeout, Duration::from_secs(2));
    assert_eq!(c.pool.acquire_timeout, Duration::from_millis(500));
    assert_eq!(c.pool.write_timeout, Duration::from_secs(2));
    assert!(!c.database_migrate);
    let c = parse(&["--request-timeout", "6s"]).expect("valid");
    assert_eq!(c.pool.write_timeout, Duration::from_secs(3), "half of it");
    let c = parse(&["--database-migrate", "yes"]).expect("yes is true");
    assert!(c.database_migrate);
    assert!(parse(&["--database-migrate", "maybe"]).is_err());
}

#[test]
fn registration_is_off_by_default_and_its_token_is_checked() {
    let base = ["--database-url", "sqlite://x.db"];
    let c = parse(&base).expect("defaults");
    assert_eq!(c.registration.mode, RegistrationMode::Off);
    let with = |extra: &[&str]| {
        let mut all = base.to_vec();
        all.extend_from_slice(extra);
        parse(&all)
    };
    let err = with(&["--registration", "token"]).expect_err("token mode needs a token");
    assert_eq!(err.variable, "REGISTRATION_TOKEN");
    let err = with(&["--registration", "token", "--registration-token", "short"])
        .expect_err("short token");
    assert_eq!(err.variable, "REGISTRATION_TOKEN");
    let err = with(&["--registration-token", "k3Jd9sLq2Vx8Tz4Wm7Pn"])
        .expect_err("a token without token mode protects nothing");
    assert_eq!(err.variable, "REGISTRATION_TOKEN");
    let err = with(&["--registration", "open", "--registration-max-pending", "0"])
        .expect_err("no room to wait");
    assert_eq!(err.variable, "REGISTRATION_MAX_PENDING");
    let c = with(&[
        "--registration",
        "token",
        "--registration-token",
        "k3Jd9sLq2Vx8Tz4Wm7Pn",
    ])
    .expect("token mode");
    assert_eq!(c.registration.mode, RegistrationMode::Token);
    let err = with(&["--registration", "sometimes"]).expect_err("unknown mode");
    assert_eq!(err.variable, "ARGS");
}

#[test]
fn production_refuses_a_guessable_registration_token() {
    let err = parse(&[
        "--production",
        "--database-url",
        "sqlite://x.db",
        "--base-url",
        "https://auth.example.com",
        "--jwt-secret",
        "Qm9vdHN0cmFwIGtleSBmb3IgdGVzdHMgb25seSA0Mg==",
        "--session-secret",
        "U2Vzc2lvbiBrZXkgZm9yIHRlc3RzIG9ubHkgMTIzNDU=",
        "--registration",
        "token",
        "--registration-token",
        "0000000000000000",
    ])
    .expect_err("typed token");
    assert_eq!(err.variable, "REGISTRATION_TOKEN");
}
