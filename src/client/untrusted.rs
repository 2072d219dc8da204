//! What the client does with the server's words before a person sees them.
//!
//! The server chooses `verification_uri`, `user_code`, error descriptions,
//! usernames and scopes; a malicious or compromised one could send terminal
//! escape sequences (retitle the window, rewrite earlier lines, hide text)
//! or a `file:` or `smb:` address for the browser to open. So every
//! server-provided string is passed through [`clean`] before it is
//! printed, and a verification page must be an http(s) URL ([`check_page`]).

use std::fmt;

/// `text` made safe to print: every control character becomes U+FFFD, so
/// tampering stays visible without being obeyed. That covers
///
/// - C0 controls (U+0000–U+001F, ESC included: no escape sequence
///   survives), DEL and C1 controls (U+0080–U+009F, CSI included), newlines
///   too: a server's string is shown as one line;
/// - the Unicode bidirectional controls (U+061C, U+200E, U+200F,
///   U+202A–U+202E, U+2066–U+2069), which reorder what the eye sees;
/// - invisible formatting characters (U+200B–U+200D, U+2060–U+2064,
///   U+FEFF), which hide text or make two strings look alike.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
        .collect()
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// A verification page the client may show and open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The URL as parsed and serialised: percent-encoded, with an
    /// internationalised host in punycode, so it prints as it will load.
    pub url: String,
    /// `Some(origin)` when the page is not on the server signed in to.
    pub elsewhere: Option<String>,
}

/// The server named a page that is not an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotWeb {
    /// What it sent, [`clean`]ed.
    pub sent: String,
}

impl fmt::Display for NotWeb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not an http:// or https:// address", self.sent)
    }
}

/// Accepts `uri` as a page to show and open when it is an absolute http or
/// https URL (never `file:`, `smb:`, `javascript:` or anything a browser or
/// the system would hand to another program), and says when it is on
/// another origin than `server`, the address the person asked to sign in
/// to.
pub fn check_page(server: &str, uri: &str) -> Result<Page, NotWeb> {
    let not_web = || NotWeb { sent: clean(uri) };
    let url = url::Url::parse(uri).map_err(|_| not_web())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(not_web());
    }
    let origin = url.origin();
    let same = url::Url::parse(server).is_ok_and(|s| s.origin() == origin);
    Ok(Page {
        url: url.as_str().to_owned(),
        elsewhere: (!same).then(|| origin.ascii_serialization()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_neutralises_escapes_and_invisible_controls() {
        // A window-title change, a colour, a cursor move and erase.
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[31mBCDF\u{1b}[2K\u{1b}[1A-GHJK";
        let shown = clean(hostile);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
            "{shown}"
        );
        assert!(shown.contains("BCDF") && shown.contains("-GHJK"));
        // C1: CSI on its own, and NEL.
        assert_eq!(clean("a\u{9b}2Jb\u{85}c"), "a\u{FFFD}2Jb\u{FFFD}c");
        // Bidi overrides and isolates, zero-width characters, newlines.
        for c in [
            '\u{202E}', '\u{2066}', '\u{200F}', '\u{200B}', '\u{FEFF}', '\n', '\r',
        ] {
            assert_eq!(clean(&format!("x{c}y")), "x\u{FFFD}y", "{:?}", c);
        }
        // Ordinary text, also beyond ASCII, is untouched.
        for fine in [
            "https://auth.example.com/device",
            "BCDF-GHJK",
            "Zoë 日本 read write",
        ] {
            assert_eq!(clean(fine), fine);
        }
    }

    #[test]
    fn only_http_pages_are_accepted() {
        let server = "https://auth.example.com";
        let page = check_page(server, "https://auth.example.com/device").expect("same site");
        assert_eq!(page.elsewhere, None);
        assert_eq!(page.url, "https://auth.example.com/device");
        let page = check_page(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/device?user_code=X",
        )
        .expect("plain http on a loopback server");
        assert_eq!(page.elsewhere, None);
        for hostile in [
            "file:///etc/passwd",
            "smb://attacker.example/share",
            "javascript:alert(1)",
            "data:text/html,<h1>hi</h1>",
            "ssh://auth.example.com",
            "/device",
            "https://",
            "mailto:someone@auth.example.com",
            "",
        ] {
            assert!(check_page(server, hostile).is_err(), "{hostile}");
        }
        let err = check_page(server, "file:///x\u{1b}[2J").expect_err("not web");
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
    }

    #[test]
    fn another_origin_is_named() {
        let server = "https://auth.example.com";
        for (uri, origin) in [
            ("https://evil.example/device", "https://evil.example"),
            ("http://auth.example.com/device", "http://auth.example.com"),
            (
                "https://auth.example.com:8443/device",
                "https://auth.example.com:8443",
            ),
        ] {
            let page = check_page(server, uri).expect(uri);
            assert_eq!(page.elsewhere.as_deref(), Some(origin), "{uri}");
        }
        // A look-alike host (a Cyrillic а) shows as what it is: punycode.
        let page = check_page(server, "https://аuth.example.com/device").expect("idn");
        let origin = page.elsewhere.expect("another origin");
        assert!(origin.starts_with("https://xn--"), "{origin}");
        assert!(page.url.starts_with(&origin), "{}", page.url);
        // The default port is the same origin written differently.
        let page = check_page(server, "https://auth.example.com:443/device").expect("443");
        assert_eq!(page.elsewhere, None);
        // A control character inside is percent-encoded by the parser.
        let page = check_page(server, "https://auth.example.com/dev\u{1b}[2Jice").expect("parsed");
        assert!(!page.url.contains('\u{1b}'), "{}", page.url);
    }
}
