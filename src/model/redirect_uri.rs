//! Redirect URIs (and post-logout redirect URIs, which follow the same
//! rules): which ones a client may register, and whether a request's
//! `redirect_uri` is one of a client's.
//!
//! Matching is by exact string (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP
//! §4.1.3), with one exception: a native app's loopback redirect
//! (`http://127.0.0.1:PORT/path`, `http://[::1]:PORT/path`) matches on any
//! port, because the app picks a free port at run time (RFC 8252 §7.3).

/// The longest redirect URI accepted, in bytes.
pub const MAX_LEN: usize = 2000;

/// Schemes a redirect must never use: they run or read something in the
/// browser instead of returning to an application.
const FORBIDDEN_SCHEMES: [&str; 5] = ["javascript", "data", "vbscript", "file", "blob"];

/// Why a URI cannot be registered, or `None` when it can: an absolute URI
/// without a fragment (RFC 6749 §3.1.2), of a scheme that returns to an
/// application, without spaces or control characters, at most
/// [`MAX_LEN`] bytes.
pub fn problem(uri: &str) -> Option<&'static str> {
    if uri.is_empty() || uri.len() > MAX_LEN {
        return Some("must be 1 to 2000 characters");
    }
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("must not contain spaces or control characters");
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return Some("must be an absolute URI, such as https://app.example/callback");
    };
    if parsed.fragment().is_some() || uri.contains('#') {
        return Some("must not contain a fragment (#)");
    }
    if FORBIDDEN_SCHEMES.contains(&parsed.scheme()) {
        return Some("must not use a javascript:, data:, vbscript:, file: or blob: scheme");
    }
    if matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_none_or(str::is_empty) {
        return Some("must name a host");
    }
    if uri.contains('*') {
        return Some("must not contain a wildcard (*)");
    }
    // RFC 8252 §7.3 and §8.3: plain http only to a loopback IP literal
    // (not `localhost`, which a resolver may send elsewhere).
    if parsed.scheme() == "http" && loopback_without_port(uri).is_none() {
        return Some("must use https (http only on 127.0.0.1 or [::1])");
    }
    None
}

/// `uri` without the port when it is an RFC 8252 §7.3 loopback redirect
/// (`http`, host `127.0.0.1` or `[::1]`), else `None`.
fn loopback_without_port(uri: &str) -> Option<String> {
    let parsed = url::Url::parse(uri).ok()?;
    if parsed.scheme() != "http" || !parsed.username().is_empty() || parsed.password().is_some() {
        return None;
    }
    let host = match parsed.host()? {
        url::Host::Ipv4(ip) if ip.is_loopback() && ip.octets() == [127, 0, 0, 1] => "127.0.0.1",
        url::Host::Ipv6(ip) if ip.is_loopback() => "[::1]",
        _ => return None,
    };
    let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("http://{host}{}{query}", parsed.path()))
}

/// Whether `presented` is one of `registered`: the same string, or the
/// same loopback redirect on another port.
pub fn is_registered(registered: &[String], presented: &str) -> bool {
    if registered.iter().any(|r| r == presented) {
        return true;
    }
    // Only a URI written as a loopback one, and no fragment, may vary.
    if presented.contains('#') {
        return false;
    }
    let Some(wanted) = loopback_without_port(presented) else {
        return false;
    };
    registered
        .iter()
        .filter_map(|r| loopback_without_port(r))
        .any(|r| r == wanted)
}

/// What a consent page names as the place the person returns to: the host
/// of an http(s) URI, or the scheme of an app's own.
pub fn destination(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => uri.to_owned(),
        },
        Ok(u) => format!("{}: (an app on this device)", u.scheme()),
        Err(_) => uri.to_owned(),
    }
}

/// The CSP source that lets a form submission end at `uri` (Chromium
/// applies `form-action` to the redirect after a form's POST): its origin
/// for http(s), its scheme otherwise; `None` when it has neither.
pub fn csp_source(uri: &str) -> Option<String> {
    let parsed = url::Url::parse(uri).ok()?;
    let source = match parsed.scheme() {
        "http" | "https" => parsed.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    };
    // A source list is split on spaces, commas and semicolons.
    (!source.contains([' ', ';', ',', '\'']) && source != "null").then_some(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn exact_match_except_loopback_ports() {
        let r = registered(&[
            "https://app.example/cb",
            "http://127.0.0.1/callback",
            "http://[::1]:8000/cb?x=1",
            "com.example.app:/oauth",
        ]);
        assert!(is_registered(&r, "https://app.example/cb"));
        assert!(!is_registered(&r, "https://app.example/cb/"));
        assert!(!is_registered(&r, "https://app.example/cb?x=1"));
        assert!(!is_registered(&r, "https://APP.example/cb"));
        assert!(!is_registered(&r, "https://app.example:443/cb"));
        assert!(is_registered(&r, "http://127.0.0.1:53219/callback"));
        assert!(is_registered(&r, "http://127.0.0.1/callback"));
        assert!(!is_registered(&r, "http://127.0.0.1:53219/other"));
        assert!(!is_registered(&r, "http://127.0.0.1:53219/callback#x"));
        assert!(!is_registered(&r, "http://localhost:53219/callback"));
        assert!(!is_registered(&r, "https://127.0.0.1:53219/callback"));
        assert!(!is_registered(&r, "http://127.0.0.2:53219/callback"));
        assert!(!is_registered(&r, "http://user@127.0.0.1:1/callback"));
        assert!(is_registered(&r, "http://[::1]:1234/cb?x=1"));
        assert!(!is_registered(&r, "http://[::1]:1234/cb"));
        assert!(is_registered(&r, "com.example.app:/oauth"));
        assert!(!is_registered(&r, "com.example.app:/oauth2"));
        assert!(!is_registered(&[], "https://app.example/cb"));
    }

    #[test]
    fn only_uris_that_return_to_an_app_can_be_registered() {
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1/cb",
            "com.example.app:/oauth",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/relative",
            "https://app.example/cb#frag",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://app.example/a b",
            "https://app.example/\u{0}",
            "http://app.example/cb",
            "http://localhost/cb",
            "https://*.app.example/cb",
            "https://app.example/*",
        ] {
            assert!(problem(bad).is_some(), "{bad}");
        }
        assert!(problem(&format!("https://a.example/{}", "x".repeat(MAX_LEN))).is_some());
    }

    #[test]
    fn destinations_and_csp_sources() {
        assert_eq!(destination("https://app.example/cb"), "app.example");
        assert_eq!(destination("http://127.0.0.1:5000/cb"), "127.0.0.1:5000");
        assert_eq!(
            csp_source("http://127.0.0.1:5000/cb?x").as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            csp_source("com.example.app:/oauth").as_deref(),
            Some("com.example.app:")
        );
    }
}
