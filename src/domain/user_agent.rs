//! A readable name for the requesting device, from its User-Agent, so a
//! person can recognise their own device on the consent page.

/// "Chrome 120 on Mac OSX", "curl 8.5.0", or "Unknown device".
pub fn describe(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|s| !s.is_empty()) else {
        return "Unknown device".to_owned();
    };
    // woothee knows browsers well; for tools ("HTTP Library") the product
    // token below says more.
    if let Some(r) = woothee::parser::Parser::new().parse(ua)
        && r.name != "UNKNOWN"
        && matches!(
            r.category,
            "pc" | "smartphone" | "mobilephone" | "appliance"
        )
    {
        let mut out = r.name.to_owned();
        if !r.version.is_empty() && r.version != "UNKNOWN" {
            let major = r.version.split('.').next().unwrap_or(r.version);
            out.push(' ');
            out.push_str(major);
        }
        if r.os != "UNKNOWN" {
            out.push_str(" on ");
            out.push_str(r.os);
        }
        return out;
    }
    // Tools and libraries: the first product token, "name/version".
    let product = ua.split_whitespace().next().unwrap_or(ua);
    let described = match product.split_once('/') {
        Some((name, version)) if !name.is_empty() => format!("{name} {version}"),
        _ => product.to_owned(),
    };
    described.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn browsers_tools_and_nothing() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe(Some(chrome)), "Chrome 120 on Windows 10");
        assert_eq!(describe(Some("curl/8.5.0")), "curl 8.5.0");
        assert_eq!(describe(Some("my-cli/2.1 (linux)")), "my-cli 2.1");
        assert_eq!(describe(None), "Unknown device");
        assert_eq!(describe(Some("   ")), "Unknown device");
    }
}
