//! OpenID Connect Core 1.0 §3.1.2.1: `prompt`, `max_age` and `login_hint`,
//! and whether a signed-in person must sign in again.

/// The longest `login_hint` used; a longer one is ignored (it only
/// prefills the sign-in form).
pub const MAX_LOGIN_HINT: usize = 255;

/// The `prompt` values of a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// Show no page: answer at once or with an error.
    pub none: bool,
    /// Sign in again even when signed in (`login`, and `select_account`:
    /// signing in again is how a person picks another account here).
    pub login: bool,
    /// Show the consent page even when consent is remembered.
    pub consent: bool,
}

impl Prompt {
    /// Parses the space-separated `prompt` parameter. An unknown value, or
    /// `none` with any other, is the `invalid_request` reason returned.
    pub fn parse(value: Option<&str>) -> Result<Self, String> {
        let mut prompt = Prompt::default();
        let mut count = 0;
        for word in value
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty())
        {
            count += 1;
            match word {
                "none" => prompt.none = true,
                "login" | "select_account" => prompt.login = true,
                "consent" => prompt.consent = true,
                _ => return Err(format!("prompt value {word:?} is not supported")),
            }
        }
        if prompt.none && count > 1 {
            return Err("prompt=none must not be combined with another value".into());
        }
        Ok(prompt)
    }
}

/// Parses `max_age` (seconds, a non-negative integer).
pub fn parse_max_age(value: Option<&str>) -> Result<Option<i64>, String> {
    match value {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.len() <= 12 && v.bytes().all(|b| b.is_ascii_digit()) => v
            .parse()
            .map(Some)
            .map_err(|_| "max_age is malformed".into()),
        Some(_) => Err("max_age must be a number of seconds".into()),
    }
}

/// A usable `login_hint`: trimmed, at most [`MAX_LOGIN_HINT`] bytes, no
/// control characters; anything else is dropped, as a hint may be.
pub fn clean_login_hint(value: Option<&str>) -> Option<String> {
    let hint = value?.trim();
    (!hint.is_empty() && hint.len() <= MAX_LOGIN_HINT && !hint.chars().any(char::is_control))
        .then(|| hint.to_owned())
}

/// Whether the person must sign in (again) before the request is answered:
/// `prompt=login`, or a sign-in older than `max_age` seconds (`max_age=0`
/// is `prompt=login`, §3.1.2.1), or of unknown age when `max_age` is given.
/// `reauthenticated` is true when this very request already sent the
/// person to sign in and they did: it is what ends the loop.
pub fn must_sign_in(
    prompt: Prompt,
    max_age: Option<i64>,
    auth_time: Option<i64>,
    now: i64,
    reauthenticated: bool,
) -> bool {
    if reauthenticated {
        return false;
    }
    if prompt.login {
        return true;
    }
    match (max_age, auth_time) {
        (None, _) => false,
        (Some(0), _) | (Some(_), None) => true,
        (Some(max), Some(at)) => now.saturating_sub(at) > max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_parse_and_none_stands_alone() {
        assert_eq!(Prompt::parse(None), Ok(Prompt::default()));
        let p = Prompt::parse(Some("login consent")).unwrap();
        assert!(p.login && p.consent && !p.none);
        assert!(Prompt::parse(Some("select_account")).unwrap().login);
        assert!(Prompt::parse(Some("none")).unwrap().none);
        assert!(Prompt::parse(Some("none login")).is_err());
        assert!(Prompt::parse(Some("none none")).is_err());
        assert!(Prompt::parse(Some("later")).is_err());
    }

    #[test]
    fn max_age_is_a_non_negative_integer() {
        assert_eq!(parse_max_age(Some("0")), Ok(Some(0)));
        assert_eq!(parse_max_age(Some("3600")), Ok(Some(3600)));
        for bad in ["-1", "1.5", "", "9999999999999", "1e3", " 1"] {
            assert!(parse_max_age(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn login_hints_are_bounded() {
        assert_eq!(clean_login_hint(Some(" ann ")).as_deref(), Some("ann"));
        assert_eq!(clean_login_hint(Some(&"a".repeat(256))), None);
        assert_eq!(clean_login_hint(Some("a\nb")), None);
    }

    #[test]
    fn sign_in_again_when_asked_or_too_old_but_not_twice() {
        let none = Prompt::default();
        let login = Prompt {
            login: true,
            ..none
        };
        assert!(!must_sign_in(none, None, Some(0), 100, false));
        assert!(must_sign_in(login, None, Some(100), 100, false));
        assert!(!must_sign_in(login, None, Some(100), 100, true));
        assert!(!must_sign_in(none, Some(60), Some(40), 100, false));
        assert!(must_sign_in(none, Some(60), Some(39), 100, false));
        assert!(must_sign_in(none, Some(0), Some(100), 100, false));
        assert!(must_sign_in(none, Some(60), None, 100, false));
        assert!(!must_sign_in(none, Some(0), Some(100), 100, true));
    }
}
