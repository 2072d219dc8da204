//! The short code a person types (RFC 8628 §6.1): eight letters from an
//! alphabet without vowels (no words) and without look-alikes.
//!
//! [`UserCode`] is always the normalised form (`BCDFGHJK`): what the
//! database stores and looks up. What people see and type is the display
//! form (`BCDF-GHJK`), produced by [`UserCode::display`] and accepted back,
//! with any case, spaces and punctuation, by [`UserCode::parse`].

use std::fmt;

/// The 20 consonants of RFC 8628 §6.1: no vowels (no accidental words) and
/// nothing easily confused with a digit.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Length of a user code without its separator: 20^8 ≈ 2^34.6 codes.
pub const USER_CODE_LEN: usize = 8;

/// A normalised user code: [`USER_CODE_LEN`] letters of
/// [`USER_CODE_ALPHABET`]. Its `Display` is the display form.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserCode(String);

impl UserCode {
    /// What a person typed, normalised: case-insensitive, ignoring spaces,
    /// dashes and other punctuation. `None` if what remains is not eight
    /// letters of the alphabet.
    pub fn parse(input: &str) -> Option<Self> {
        let code: String = input
            .chars()
            .filter(|c| c.is_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid =
            code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    /// A fresh code drawn from `fill` (a source of uniformly random bytes)
    /// without modulo bias.
    pub fn draw(mut fill: impl FnMut(&mut [u8])) -> Self {
        let mut out = String::with_capacity(USER_CODE_LEN);
        let mut buf = [0u8; 16];
        while out.len() < USER_CODE_LEN {
            fill(&mut buf);
            for b in buf {
                // 240 is the largest multiple of 20 below 256: rejecting
                // bytes above it keeps every letter equally likely.
                if b < 240 && out.len() < USER_CODE_LEN {
                    out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
                }
            }
        }
        Self(out)
    }

    /// The normalised form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form people read and type: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(USER_CODE_LEN / 2);
        format!("{a}-{b}")
    }
}

impl fmt::Display for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_ignores_case_and_punctuation() {
        let code = UserCode::parse("bcdf-ghjk").unwrap();
        assert_eq!(code.as_str(), "BCDFGHJK");
        assert_eq!(code.display(), "BCDF-GHJK");
        assert_eq!(code.to_string(), "BCDF-GHJK");
        assert_eq!(UserCode::parse(" B C D F  g h j k "), Some(code));
        assert_eq!(UserCode::parse("BCDF-GHJ"), None, "too short");
        assert_eq!(
            UserCode::parse("BCDF-GHJA"),
            None,
            "a vowel is not in the alphabet"
        );
        assert_eq!(UserCode::parse("ÄCDF-GHJK"), None);
    }

    #[test]
    fn drawn_codes_use_only_the_alphabet() {
        let mut n = 0u8;
        let code = UserCode::draw(|buf| {
            for b in buf {
                *b = n;
                n = n.wrapping_add(37);
            }
        });
        assert_eq!(UserCode::parse(code.as_str()), Some(code));
    }
}
