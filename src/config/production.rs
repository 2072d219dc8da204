//! What production mode (`AUTHGATE_ENV=production`) refuses to start with:
//! secrets that are missing, short, shared between two uses, guessable or
//! copied from the documentation, and a short administrator password.

use secrecy::{ExposeSecret, SecretString};

use super::{Config, ConfigError, MIN_SECRET_BYTES, bad};

/// The shortest administrator password production accepts.
pub const MIN_ADMIN_PASSWORD_CHARS: usize = 12;

/// Values that have appeared as examples in AuthGate's documentation:
/// whoever copies one deploys a secret everyone can read. Compared
/// ignoring case; any value containing "changeme" (with or without `-` or
/// `_`) is refused as well, and the `...` placeholders of the docker/
/// files are far too short anyway.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    "change-me-at-least-32-bytes-long-0001",
    "change-me-at-least-32-bytes-long-0002",
    "change-me-too",
    "ChangeMeLettersAndDigits",
];

/// Checks `config`'s secrets for production; the first problem found. A
/// secret generated into the database is lost with it, a short or typed one
/// can be guessed, and one used twice leaks through either use.
pub(super) fn check(config: &Config) -> Result<(), ConfigError> {
    for (variable, secret) in [
        ("JWT_SECRET", &config.jwt_secret),
        ("SESSION_SECRET", &config.session_secret),
    ] {
        match secret {
            None => return Err(bad(variable, "must be set in production mode")),
            Some(s) if s.expose_secret().len() < MIN_SECRET_BYTES => {
                return Err(bad(
                    variable,
                    format!("must be at least {MIN_SECRET_BYTES} bytes in production mode"),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(pw) = &config.admin_password
        && pw.expose_secret().chars().count() < MIN_ADMIN_PASSWORD_CHARS
    {
        return Err(bad(
            "ADMIN_PASSWORD",
            format!("must be at least {MIN_ADMIN_PASSWORD_CHARS} characters in production mode"),
        ));
    }
    let given: Vec<(&'static str, &SecretString)> = [
        ("JWT_SECRET", &config.jwt_secret),
        ("SESSION_SECRET", &config.session_secret),
        ("INTROSPECTION_TOKEN", &config.introspection_token),
        ("METRICS_TOKEN", &config.metrics_token),
        ("ADMIN_PASSWORD", &config.admin_password),
        ("REGISTRATION_TOKEN", &config.registration.token),
    ]
    .into_iter()
    .filter_map(|(variable, secret)| secret.as_ref().map(|s| (variable, s)))
    .collect();
    for (i, (variable, secret)) in given.iter().enumerate() {
        let value = secret.expose_secret();
        // One value in two places: whoever learns it for one use (a
        // resource server's introspection token, a scraper's metrics token)
        // holds the other.
        if let Some((earlier, _)) = given[..i]
            .iter()
            .find(|(_, other)| other.expose_secret() == value)
        {
            return Err(bad(
                variable,
                format!("must differ from {earlier} in production mode"),
            ));
        }
        if let Some(why) = weakness(value) {
            return Err(bad(
                variable,
                format!(
                    "{why}; production mode wants a random value \
                     (e.g. openssl rand -base64 48)"
                ),
            ));
        }
    }
    Ok(())
}

/// Why `secret` is guessable, if it obviously is.
///
/// Not an entropy measurement — no test of a single string can be — but a
/// net for what people type instead of generating: a documented example
/// or a "changeme", few different characters, a pattern repeated, or a
/// run of neighbouring characters. The thresholds leave random values
/// alone: 16 random hex digits (the least varied alphabet commonly used)
/// fall below a quarter of their length in distinct characters about once
/// in 10^9, and no random value of a dozen characters or more repeats
/// itself or is mostly neighbours (each such pair has a chance of about
/// 3 in 16 for hex, 3 in 64 for base64).
pub fn weakness(secret: &str) -> Option<String> {
    let folded: String = secret
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .collect::<String>()
        .to_lowercase();
    if DOCUMENTED_EXAMPLES
        .iter()
        .any(|example| example.eq_ignore_ascii_case(secret))
        || folded.contains("changeme")
    {
        return Some("is an example value from the documentation".into());
    }
    let chars: Vec<char> = secret.chars().collect();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // Fewer than 10, or a quarter of the length for short values.
    let wanted = (chars.len() / 4).min(10);
    if distinct.len() < wanted {
        let n = distinct.len();
        let plural = if n == 1 { "" } else { "s" };
        return Some(format!("uses only {n} different character{plural}"));
    }
    if let Some(period) = period(&chars) {
        return Some(format!(
            "repeats a pattern of {period} character{}",
            if period == 1 { "" } else { "s" }
        ));
    }
    // Neighbours: `aabbcc`, `abcdef`, `987654`.
    let pairs = chars.len().saturating_sub(1);
    let neighbours = chars
        .windows(2)
        .filter(|w| (u32::from(w[0])).abs_diff(u32::from(w[1])) <= 1)
        .count();
    if pairs >= 4 && neighbours * 2 > pairs {
        return Some("is mostly a run of neighbouring characters".into());
    }
    None
}

/// The shortest `p` such that `chars` is a prefix of its first `p`
/// characters repeated, when the pattern occurs at least twice over.
fn period(chars: &[char]) -> Option<usize> {
    (1..=chars.len() / 2).find(|&p| chars.iter().skip(p).zip(chars).all(|(a, b)| a == b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_pass() {
        for random in [
            "3PjcW3ZhWjhcir1VA1aoAnGM5N81VyP1tiDhgwdb6V6Q",
            "rL7m2cQ9xZ0pW4vN8tY1bK6hJ3gF5dS2aE9uI7oP4qR1wT6yU8iO3=",
            "c1a6de2b7762abf9",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "correct horse battery staple",
        ] {
            assert_eq!(weakness(random), None, "{random}");
        }
    }

    #[test]
    fn typed_values_are_named_for_what_they_are() {
        let why = |s: &str| weakness(s).unwrap_or_default();
        assert!(why(&"x".repeat(32)).ends_with("only 1 different character"));
        assert!(why(&"abc".repeat(12)).contains("only 3 different"));
        assert!(why(&"Kx9!pQ2#zR".repeat(4)).contains("pattern of 10 characters"));
        assert!(why("0123456789abcdef0123456789abcdef").contains("pattern of 16"));
        assert!(why("change-me-at-least-32-bytes-long-0001").contains("example"));
        assert!(why("0123456789abcdefghijklmnopqrstuv").contains("neighbouring"));
        assert!(why("zyxwvutsrqponmlkjihgfedcba987654").contains("neighbouring"));
        assert!(why("CHANGE_ME_7f3a9c1e5b2d8f4a6c0e9b1d").contains("example"));
        // A pattern cut short still repeats.
        assert!(why("q7Wz-K3pX_q7Wz-K3pX_q7Wz-K3pX_q7Wz").contains("pattern of 10"));
    }
}
