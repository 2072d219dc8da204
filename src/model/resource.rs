//! RFC 8707 resource indicators: the URIs of the protected resources (APIs)
//! a client may ask access tokens for, and the checks on a requested one.
//!
//! A resource is an identifier compared as a string, never fetched, so the
//! rules are those of RFC 8707 §2 (an absolute URI without a fragment) plus
//! transport: https, or http on a loopback host for local development.

/// The longest resource URI accepted, in bytes.
pub const MAX_LEN: usize = 2000;

/// The most resources one client may register (and one request may name).
pub const MAX_COUNT: usize = 20;

/// Why `uri` cannot be a resource, or `None` when it can.
pub fn problem(uri: &str) -> Option<&'static str> {
    if uri.is_empty() || uri.len() > MAX_LEN {
        return Some("must be 1 to 2000 characters");
    }
    if uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("must not contain spaces or control characters");
    }
    let Ok(parsed) = url::Url::parse(uri) else {
        return Some("must be an absolute URI, such as https://api.example");
    };
    // RFC 8707 §2: "MUST NOT include a fragment component".
    if parsed.fragment().is_some() || uri.contains('#') {
        return Some("must not contain a fragment (#)");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Some("must not contain a user name or password");
    }
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => return Some("must name a host"),
    };
    match parsed.scheme() {
        "https" => None,
        "http" if loopback => None,
        _ => Some("must use https (http only on a loopback host)"),
    }
}

/// What a consent page shows large for `uri`: its host, with the port
/// when it is not the scheme's default (the whole URI when it has none).
pub fn host_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => uri.to_owned(),
        },
        Err(_) => uri.to_owned(),
    }
}

/// Each resource with its host, as (host, URI): how pages show them, the
/// host to recognise and the whole URI so nothing is hidden.
pub fn with_hosts(resources: &[String]) -> Vec<(String, String)> {
    resources.iter().map(|r| (host_of(r), r.clone())).collect()
}

/// An audit detail: the scope, and the resources when there are any.
pub fn describe(scope: &str, resources: &[String]) -> String {
    match resources {
        [] => format!("scope {scope}"),
        _ => format!("scope {scope}, resources {}", resources.join(" ")),
    }
}

/// The stored form: URIs separated by single spaces (none contains one).
pub fn to_stored(resources: &[String]) -> String {
    resources.join(" ")
}

/// The URIs of the stored form.
pub fn from_stored(stored: &str) -> Vec<String> {
    stored
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The resources a token request names (RFC 8707 §2.1), checked against
/// the client's allowlist: each must be a valid resource and one the client
/// registered, compared as exact strings. Repeats are dropped; the order
/// of the request is kept. `Err` says why, for an `invalid_target` answer.
pub fn check_requested(requested: &[String], allowed: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for uri in requested {
        let shown: String = uri.chars().take(80).collect();
        if let Some(problem) = problem(uri) {
            return Err(format!("the resource {shown:?} {problem}"));
        }
        if !allowed.iter().any(|a| a == uri) {
            return Err(format!(
                "the resource {shown:?} is not one this client may ask tokens for"
            ));
        }
        if !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    if out.len() > MAX_COUNT {
        return Err(format!("name at most {MAX_COUNT} resources"));
    }
    Ok(out)
}

/// The resources a token request names (RFC 8707 §2.2), checked against
/// what the person approved for the grant: each must be one of `approved`,
/// compared as exact strings; none named means all of them. A grant with
/// no resources takes none (its tokens are for the issuer). `Err` says why,
/// for an `invalid_target` answer.
pub fn narrow(requested: &[String], approved: &[String]) -> Result<Vec<String>, String> {
    if requested.is_empty() {
        return Ok(approved.to_vec());
    }
    let mut out: Vec<String> = Vec::new();
    for uri in requested {
        if !approved.iter().any(|a| a == uri) {
            let shown: String = uri.chars().take(80).collect();
            return Err(format!(
                "the resource {shown:?} is not one the grant was approved for"
            ));
        }
        if !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    Ok(out)
}

/// Whether every one of `requested` is among `approved`.
pub fn all_within(requested: &[String], approved: &[String]) -> bool {
    requested.iter().all(|r| approved.contains(r))
}

/// `before` with what `added` names that it does not, in order.
pub fn union(before: &[String], added: &[String]) -> Vec<String> {
    let mut out = before.to_vec();
    for uri in added {
        if !out.contains(uri) {
            out.push(uri.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_https_uris_and_loopback_http_are_resources() {
        for ok in [
            "https://api.example",
            "https://api.example/v1",
            "https://api.example:8443/v1?tenant=a",
            "http://127.0.0.1:8081",
            "http://[::1]/api",
            "http://localhost:3000/",
        ] {
            assert_eq!(problem(ok), None, "{ok}");
        }
    }

    #[test]
    fn relative_fragment_plain_http_and_odd_uris_are_refused() {
        for (bad, why) in [
            ("", "1 to 2000"),
            ("api.example", "absolute"),
            ("/v1", "absolute"),
            ("https://api.example/v1#frag", "fragment"),
            ("https://api.example/#", "fragment"),
            ("http://api.example", "https"),
            ("ftp://api.example", "https"),
            ("urn:example:api", "host"),
            ("https://api.example/a b", "spaces"),
            ("https://user:pw@api.example", "user name"),
        ] {
            let problem = problem(bad).unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(problem.contains(why), "{bad}: {problem}");
        }
        assert!(problem(&format!("https://a.example/{}", "x".repeat(MAX_LEN))).is_some());
    }

    #[test]
    fn requested_resources_must_be_registered_exactly() {
        let allowed = vec![
            "https://a.example".to_owned(),
            "https://b.example/v1".to_owned(),
        ];
        let ask = |uris: &[&str]| {
            let uris: Vec<String> = uris.iter().map(|u| (*u).to_owned()).collect();
            check_requested(&uris, &allowed)
        };
        assert_eq!(
            ask(&[
                "https://b.example/v1",
                "https://a.example",
                "https://a.example"
            ]),
            Ok(vec![
                "https://b.example/v1".to_owned(),
                "https://a.example".to_owned()
            ])
        );
        assert!(ask(&["https://a.example/"]).is_err(), "not the same string");
        assert!(ask(&["https://c.example"]).is_err());
        assert!(
            ask(&["https://a.example#x"])
                .unwrap_err()
                .contains("fragment")
        );
        assert_eq!(ask(&[]), Ok(vec![]));
    }

    #[test]
    fn the_host_is_what_a_person_recognises() {
        assert_eq!(host_of("https://orders.example/api"), "orders.example");
        assert_eq!(host_of("https://api.example:8443/v1"), "api.example:8443");
        assert_eq!(host_of("http://127.0.0.1:9000"), "127.0.0.1:9000");
        assert_eq!(host_of("not a uri"), "not a uri");
    }

    #[test]
    fn stored_form_round_trips() {
        let list = vec![
            "https://a.example".to_owned(),
            "http://127.0.0.1:9/x".to_owned(),
        ];
        assert_eq!(from_stored(&to_stored(&list)), list);
        assert!(from_stored("").is_empty());
    }

    #[test]
    fn a_token_request_narrows_within_the_approved_set() {
        let approved = vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ];
        let own = |uris: &[&str]| uris.iter().map(|u| (*u).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            narrow(&[], &approved),
            Ok(approved.clone()),
            "none named: all"
        );
        assert_eq!(
            narrow(&own(&["https://b.example", "https://b.example"]), &approved),
            Ok(own(&["https://b.example"]))
        );
        assert!(narrow(&own(&["https://c.example"]), &approved).is_err());
        assert!(narrow(&own(&["https://a.example/"]), &approved).is_err());
        assert!(
            narrow(&own(&["https://a.example"]), &[]).is_err(),
            "nothing approved"
        );
        assert_eq!(narrow(&[], &[]), Ok(vec![]));
        assert!(all_within(&own(&["https://a.example"]), &approved));
        assert!(!all_within(&own(&["https://c.example"]), &approved));
        assert_eq!(
            union(
                &own(&["https://a.example"]),
                &own(&["https://b.example", "https://a.example"])
            ),
            approved
        );
    }
}
