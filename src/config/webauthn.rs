//! Passkey settings: the WebAuthn relying party id and the origins whose
//! pages may run passkey ceremonies (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS).
//!
//! Both default to BASE_URL: its host is the relying party id and its
//! origin the one origin. A browser refuses a ceremony whose relying
//! party id is not the page's host or a parent domain of it (WebAuthn
//! Level 3 §5.1.3: a "registrable domain suffix"), and refuses WebAuthn
//! outside a secure context (https, or http on localhost); checking the
//! same here turns what would be a ceremony failing in every browser
//! into a start-up error naming the variable.

use url::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use super::{ConfigError, bad};

/// The relying party as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySettings {
    /// A domain name, lower case.
    pub rp_id: String,
    /// At least one; each `scheme://host[:port]`.
    pub origins: Vec<Url>,
}

impl PasskeySettings {
    /// The ceremony engine for these settings (built once, kept in state).
    pub fn build(&self) -> Result<Webauthn, String> {
        let (first, rest) = self
            .origins
            .split_first()
            .ok_or_else(|| "no origin".to_owned())?;
        let mut builder = WebauthnBuilder::new(&self.rp_id, first)
            .map_err(|e| format!("{} is not within {}: {e}", first, self.rp_id))?
            .rp_name("AuthGate");
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        builder.build().map_err(|e| e.to_string())
    }
}

/// Whether `host` is a loopback name browsers treat as a secure context
/// over plain http.
fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && host.parse::<std::net::IpAddr>().is_err()
        && !host.starts_with('[')
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn origin(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| bad("WEBAUTHN_ORIGINS", format!("{raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(
            "WEBAUTHN_ORIGINS",
            format!("{raw:?} must be an http:// or https:// origin"),
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "WEBAUTHN_ORIGINS",
            format!("{raw:?} must be an origin: scheme://host[:port], no path"),
        ));
    }
    Ok(url)
}

/// The passkey settings from WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS, else
/// from `base_url`. `None` (passkeys off) when nothing is set and
/// BASE_URL cannot be a relying party: an IP address, or plain http on a
/// host other than localhost in production (no browser would run a
/// ceremony there). Anything set explicitly that cannot work is an error.
pub fn settings(
    base_url: &str,
    rp_id: Option<&str>,
    origins: &[String],
    production: bool,
) -> Result<Option<PasskeySettings>, ConfigError> {
    let given: Vec<&String> = origins.iter().filter(|o| !o.trim().is_empty()).collect();
    let explicit = rp_id.is_some_and(|r| !r.trim().is_empty()) || !given.is_empty();
    let origins = if given.is_empty() {
        vec![Url::parse(base_url).map_err(|e| bad("BASE_URL", e.to_string()))?]
    } else {
        given
            .into_iter()
            .map(|o| origin(o))
            .collect::<Result<_, _>>()?
    };
    let rp_id = match rp_id.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => r.to_ascii_lowercase(),
        None => origins[0]
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    };
    let variable = if explicit {
        "WEBAUTHN_RP_ID"
    } else {
        "BASE_URL"
    };
    if !is_domain(&rp_id) {
        if explicit {
            return Err(bad(
                variable,
                format!(
                    "{rp_id:?} is not a domain name (WebAuthn relying party ids cannot be IP addresses)"
                ),
            ));
        }
        return Ok(None);
    }
    for origin in &origins {
        let host = origin.host_str().unwrap_or_default().to_ascii_lowercase();
        if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
            return Err(bad(
                "WEBAUTHN_RP_ID",
                format!("{rp_id:?} must be the host of {origin} or a parent domain of it"),
            ));
        }
        if production && origin.scheme() != "https" && !is_localhost(&host) {
            if !explicit {
                return Ok(None);
            }
            return Err(bad(
                "WEBAUTHN_ORIGINS",
                format!(
                    "{origin} must be https:// in production mode (browsers allow passkeys over http only on localhost)"
                ),
            ));
        }
    }
    let settings = PasskeySettings { rp_id, origins };
    settings.build().map_err(|e| bad(variable, e))?;
    Ok(Some(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(base: &str, rp: Option<&str>, origins: &[&str], prod: bool) -> Option<PasskeySettings> {
        let origins: Vec<String> = origins.iter().map(|s| (*s).to_owned()).collect();
        settings(base, rp, &origins, prod).expect("valid")
    }

    fn err(base: &str, rp: Option<&str>, origins: &[&str], prod: bool) -> String {
        let origins: Vec<String> = origins.iter().map(|s| (*s).to_owned()).collect();
        settings(base, rp, &origins, prod)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn defaults_follow_base_url() {
        let s = ok("https://auth.example.com", None, &[], true).expect("on");
        assert_eq!(s.rp_id, "auth.example.com");
        assert_eq!(s.origins[0].as_str(), "https://auth.example.com/");
        let s = ok("http://localhost:8080", None, &[], true).expect("on");
        assert_eq!(s.rp_id, "localhost");
        assert_eq!(s.origins[0].port(), Some(8080));
    }

    #[test]
    fn a_base_url_that_cannot_be_a_relying_party_turns_passkeys_off() {
        assert_eq!(ok("http://127.0.0.1:8080", None, &[], false), None);
        assert_eq!(ok("http://auth.internal", None, &[], true), None);
    }

    #[test]
    fn a_parent_domain_may_be_the_relying_party() {
        let s = ok(
            "https://auth.example.com",
            Some("example.com"),
            &["https://auth.example.com", "https://login.example.com:8443"],
            true,
        )
        .expect("on");
        assert_eq!(s.origins.len(), 2);
    }

    #[test]
    fn explicit_settings_that_cannot_work_are_refused() {
        assert!(
            err("https://a.example.com", Some("other.com"), &[], true).contains("WEBAUTHN_RP_ID")
        );
        // A suffix that is not a label boundary.
        assert!(
            err("https://myexample.com", Some("example.com"), &[], false).contains("parent domain")
        );
        assert!(
            err("https://a.example.com", Some("10.0.0.1"), &[], false).contains("not a domain")
        );
        assert!(
            err(
                "https://a.example.com",
                None,
                &["http://a.example.com"],
                true
            )
            .contains("https://")
        );
        assert!(
            err(
                "https://a.example.com",
                None,
                &["https://a.example.com/x"],
                true
            )
            .contains("no path")
        );
        assert!(
            ok(
                "https://a.example.com",
                None,
                &["http://localhost:3000"],
                true
            )
            .is_some()
        );
    }
}
