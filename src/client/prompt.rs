//! What the person at the terminal sees during `authgate login`: the URL
//! and code, a QR code to open the page on a phone, the browser opened for
//! them, and a spinner while the device polls. Everything goes to stderr;
//! the QR code and spinner only when stderr is a terminal.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use super::untrusted::Page;

/// What the person is asked to do, from the server's device authorization
/// response once vetted (see `login::vet`): only http(s) pages, a cleaned
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub page: Page,
    /// The page with the code filled in, when the server offered one.
    pub complete: Option<Page>,
    pub user_code: String,
}

/// Whether a person is probably watching stderr.
pub fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

/// The instructions, as printed.
pub fn instructions(server: &str, shown: &Shown, qr: bool) -> String {
    let mut out = format!(
        "To sign in to {server}, open this page in a browser:\n\n    {}\n\nand enter the code:\n\n    {}\n\n",
        shown.page.url, shown.user_code
    );
    if let Some(complete) = &shown.complete {
        let complete = &complete.url;
        out.push_str(&format!(
            "(or open {complete}, which fills in the code; check that the page shows the same code)\n"
        ));
        if qr && let Some(code) = qr_code(complete) {
            out.push_str("\nOn a phone, scan:\n\n");
            out.push_str(&code);
            out.push('\n');
        }
    }
    out
}

/// `url` as a QR code of Unicode half blocks, light on dark (most
/// terminals are dark; phone scanners read either way).
pub fn qr_code(url: &str) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// Whether a graphical browser can be opened here: macOS and Windows
/// always have one; elsewhere only with an X11 or Wayland display (else
/// `webbrowser` would start a text browser in this terminal).
pub fn can_open_browser() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

/// Opens `url` in the default browser; whether that worked.
pub async fn open_browser(url: &str) -> bool {
    let url = url.to_owned();
    let opened = tokio::task::spawn_blocking(move || {
        let mut options = webbrowser::BrowserOptions::new();
        options.with_suppress_output(true);
        webbrowser::open_browser_with_options(webbrowser::Browser::Default, &url, &options)
    });
    matches!(
        tokio::time::timeout(Duration::from_secs(5), opened).await,
        Ok(Ok(Ok(())))
    )
}

/// A spinner on stderr, drawn only when stderr is a terminal.
pub fn spinner() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓"),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_the_page_and_code() {
        let page = |url: &str| Page {
            url: url.into(),
            elsewhere: None,
        };
        let auth = Shown {
            page: page("https://a.example/device"),
            complete: Some(page("https://a.example/device?user_code=BCDF-GHJK")),
            user_code: "BCDF-GHJK".into(),
        };
        let text = instructions("https://a.example", &auth, true);
        assert!(text.contains("    https://a.example/device\n"));
        assert!(text.contains("    BCDF-GHJK\n"));
        assert!(text.contains('█') || text.contains('▀'), "QR code drawn");
        assert!(!text.contains("secret"), "the device code stays private");
        assert!(!instructions("https://a.example", &auth, false).contains('▀'));
    }
}
