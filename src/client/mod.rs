//! The command-line client: `authgate login`, `token`, `status`, `logout`.
//!
//! A reference for people writing their own native clients:
//!
//! - [`oauth`] speaks to the server: discovery (RFC 8414), the device
//!   authorization request (RFC 8628 §3.1), token polls (§3.4, §3.5), the
//!   code exchange (RFC 6749 §4.1.3), refresh (§6), revocation (RFC 7009)
//!   and `/oauth/tokeninfo`;
//! - [`choice`] decides between the browser sign-in and the device flow;
//! - [`browser`] signs in through a browser on this machine (authorization
//!   code with PKCE, RFC 8252), [`loopback`] is its listener on 127.0.0.1
//!   that checks `state` and `iss` (RFC 9207);
//! - [`device`] is the device flow (RFC 8628);
//! - [`credentials`] keeps tokens per server in the user's configuration
//!   directory, in files only the user can read;
//! - [`prompt`] shows the code, a QR code and a spinner, and opens the browser;
//! - [`untrusted`] cleans what the server says before it is printed, and
//!   accepts only http(s) verification pages;
//! - [`login`], [`token`], [`status`] and [`logout`] are the commands.
//!
//! Expiry is judged by this machine's clock from `expires_in` (never from
//! the JWT's `exp`, which is the server's clock): a token is renewed when
//! less than [`REFRESH_MARGIN_SECS`] of it remain.
//!
//! Human messages go to stderr; stdout carries only what scripts read (the
//! token of `authgate token`, the report of `authgate status`). Failures
//! that scripts may want to tell apart have their own exit codes
//! ([`Failure::exit_code`]).

pub mod browser;
pub mod choice;
pub mod credentials;
pub mod device;
pub mod dpop;
pub mod login;
pub mod logout;
pub mod loopback;
pub mod oauth;
pub mod prompt;
pub mod status;
pub mod token;
pub mod untrusted;

use std::process::ExitCode;

use clap::Args;

use crate::clock::{Clock as _, SystemClock};

/// An access token with less than this left is renewed first.
pub const REFRESH_MARGIN_SECS: i64 = 60;

/// Exit code: the user denied the request.
pub const EXIT_DENIED: u8 = 3;
/// Exit code: the code expired before anyone approved it.
pub const EXIT_EXPIRED: u8 = 4;
/// Exit code: not signed in, or the session ended (revoked or expired).
pub const EXIT_NOT_SIGNED_IN: u8 = 5;

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// `access_denied`: RFC 8628 §3.5, or RFC 6749 §4.1.2.1 at the
    /// loopback listener.
    #[error("the request was denied in the browser (access_denied); nothing was stored")]
    Denied,
    /// RFC 8628 §3.5 `expired_token`, or the local deadline passed.
    #[error("the code expired before it was approved; run `authgate login` again for a new code")]
    Expired,
    /// No stored tokens, or the server no longer accepts them.
    #[error("{0}")]
    NotSignedIn(String),
    /// Anything else: network, server errors, files.
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Denied => EXIT_DENIED,
            Failure::Expired => EXIT_EXPIRED,
            Failure::NotSignedIn(_) => EXIT_NOT_SIGNED_IN,
            Failure::Other(_) => 1,
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Other(e.into())
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

/// Prints a failure as one line on stderr and picks the exit code.
pub fn exit(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote the server (OAuth error descriptions, issuers).
            eprintln!("authgate: {}", untrusted::clean(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// `--server` of the commands that use stored tokens.
#[derive(Debug, Clone, Args)]
pub struct ServerChoice {
    /// The AuthGate server (as given to `authgate login`); may be left out
    /// when tokens of only one server are stored.
    #[arg(long, env = "AUTHGATE_SERVER", value_name = "URL")]
    pub server: Option<String>,
}

/// Seconds since the Unix epoch by this machine's clock.
pub fn now_secs() -> i64 {
    SystemClock.now_secs()
}

/// "in 59m 30s", "2h 5m ago": a human reading of `secs` from now.
pub fn relative(secs: i64) -> String {
    let span = humantime::format_duration(std::time::Duration::from_secs(
        secs.unsigned_abs().min(400 * 24 * 3600),
    ))
    .to_string();
    // Whole seconds are plenty: drop "ms"/"us"/"ns" parts if any.
    let span: Vec<&str> = span
        .split(' ')
        .filter(|p| !p.ends_with("ms") && !p.ends_with("us") && !p.ends_with("ns"))
        .collect();
    let span = if span.is_empty() {
        "0s".to_owned()
    } else {
        span.join(" ")
    };
    if secs >= 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

/// A Unix time as `2026-11-27 10:00:00 UTC`.
pub fn utc(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .map_or_else(|| unix.to_string(), |t| format!("{t} UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(3599), "in 59m 59s");
        assert_eq!(relative(-90), "1m 30s ago");
        assert_eq!(relative(0), "in 0s");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    }
}
