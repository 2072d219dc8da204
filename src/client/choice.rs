//! Which way `authgate login` signs in, decided without side effects.
//!
//! The browser sign-in (the authorization code grant with PKCE, answered
//! on a loopback listener: RFC 8252 §7.3) is quickest when the browser
//! runs on this machine: the listener and the browser must share
//! 127.0.0.1. The device flow (RFC 8628) works wherever the person has a
//! browser, so it is the fallback whenever the browser sign-in is unlikely
//! to work or did not:
//!
//! - asked for (`--device`, `--no-browser`);
//! - the server does not offer it (no authorization endpoint, no PKCE
//!   `S256`, no RFC 9207 `iss`);
//! - an SSH session (`SSH_CONNECTION`, `SSH_TTY`): a browser on the
//!   person's own machine cannot reach this machine's 127.0.0.1. This
//!   holds even with `BROWSER` set, which may well be a dotfile's text
//!   browser;
//! - on Linux and the BSDs, no graphical display (`DISPLAY`,
//!   `WAYLAND_DISPLAY`), unless `BROWSER` names a program: the person
//!   said how to open a browser here (WSL's `wslview`, a custom opener);
//! - and at run time: the loopback port cannot be bound, the browser
//!   cannot be started, or no answer arrives within `--browser-timeout`.

use std::fmt;
use std::time::Duration;

/// What the environment says, read once by [`Surroundings::here`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Surroundings {
    /// `SSH_CONNECTION` or `SSH_TTY` is set.
    pub ssh: bool,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub display: bool,
    /// `BROWSER` is set.
    pub browser_variable: bool,
    /// macOS or Windows: a graphical browser is always there.
    pub desktop_os: bool,
}

impl Surroundings {
    /// This process's environment.
    pub fn here() -> Self {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Self {
            ssh: set("SSH_CONNECTION") || set("SSH_TTY"),
            display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
            browser_variable: set("BROWSER"),
            desktop_os: cfg!(any(target_os = "macos", target_os = "windows")),
        }
    }
}

/// Why the device flow is used instead of the browser sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// `--device` or `--no-browser`: nothing to explain.
    Asked,
    /// The server lacks something the browser sign-in needs.
    Server(&'static str),
    Ssh,
    NoDisplay,
    /// The loopback listener could not be bound.
    CannotListen(String),
    CannotOpenBrowser,
    /// No answer reached the listener in time.
    NoAnswer(Duration),
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fallback::Asked => f.write_str("asked for"),
            Fallback::Server(why) => f.write_str(why),
            Fallback::Ssh => f.write_str(
                "this is an SSH session, and a browser elsewhere cannot reach this machine's 127.0.0.1",
            ),
            Fallback::NoDisplay => f.write_str("there is no display (DISPLAY, WAYLAND_DISPLAY or BROWSER)"),
            Fallback::CannotListen(e) => write!(f, "cannot listen on 127.0.0.1 for the browser's answer ({e})"),
            Fallback::CannotOpenBrowser => f.write_str("the browser could not be opened"),
            Fallback::NoAnswer(timeout) => write!(
                f,
                "no answer from the browser within {} (--browser-timeout)",
                humantime::format_duration(*timeout)
            ),
        }
    }
}

/// How to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Way {
    Browser,
    Device(Fallback),
}

/// The way to sign in before anything is tried: `asked_device` is
/// `--device` or `--no-browser`; `server` is what
/// [`Endpoints::browser_sign_in`](super::oauth::Endpoints::browser_sign_in)
/// said.
pub fn choose(asked_device: bool, server: Result<(), &'static str>, env: Surroundings) -> Way {
    if asked_device {
        return Way::Device(Fallback::Asked);
    }
    if let Err(why) = server {
        return Way::Device(Fallback::Server(why));
    }
    if env.ssh {
        return Way::Device(Fallback::Ssh);
    }
    if !env.desktop_os && !env.display && !env.browser_variable {
        return Way::Device(Fallback::NoDisplay);
    }
    Way::Browser
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX_DESKTOP: Surroundings = Surroundings {
        ssh: false,
        display: true,
        browser_variable: false,
        desktop_os: false,
    };

    #[test]
    fn a_desktop_signs_in_in_the_browser() {
        assert_eq!(choose(false, Ok(()), LINUX_DESKTOP), Way::Browser);
        let mac = Surroundings {
            display: false,
            desktop_os: true,
            ..LINUX_DESKTOP
        };
        assert_eq!(choose(false, Ok(()), mac), Way::Browser);
    }

    #[test]
    fn asking_for_the_device_flow_wins() {
        assert_eq!(
            choose(true, Ok(()), LINUX_DESKTOP),
            Way::Device(Fallback::Asked)
        );
        assert_eq!(
            choose(true, Err("no"), LINUX_DESKTOP),
            Way::Device(Fallback::Asked)
        );
    }

    #[test]
    fn a_server_without_what_it_takes_gets_the_device_flow() {
        assert_eq!(
            choose(false, Err("no S256"), LINUX_DESKTOP),
            Way::Device(Fallback::Server("no S256"))
        );
    }

    #[test]
    fn ssh_means_the_device_flow_even_with_browser_set() {
        let ssh = Surroundings {
            ssh: true,
            browser_variable: true,
            ..LINUX_DESKTOP
        };
        assert_eq!(choose(false, Ok(()), ssh), Way::Device(Fallback::Ssh));
        let ssh_mac = Surroundings {
            ssh: true,
            desktop_os: true,
            ..Surroundings::default()
        };
        assert_eq!(choose(false, Ok(()), ssh_mac), Way::Device(Fallback::Ssh));
    }

    #[test]
    fn no_display_means_the_device_flow_unless_browser_is_set() {
        let headless = Surroundings::default();
        assert_eq!(
            choose(false, Ok(()), headless),
            Way::Device(Fallback::NoDisplay)
        );
        let told = Surroundings {
            browser_variable: true,
            ..headless
        };
        assert_eq!(choose(false, Ok(()), told), Way::Browser);
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            Fallback::NoAnswer(Duration::from_secs(120)).to_string(),
            "no answer from the browser within 2m (--browser-timeout)"
        );
        assert!(
            Fallback::CannotListen("denied".into())
                .to_string()
                .contains("(denied)")
        );
    }
}
