//! Recovery codes: the single-use codes a person with two-step sign-in
//! keeps (printed, in a password manager) for the day the authenticator is
//! lost. Each one stands in for one TOTP code at sign-in.
//!
//! A code is [`CODE_LEN`] characters of [`ALPHABET`] (no `0`/`o`, `1`/`l`/
//! `i`: nothing to misread from paper), shown as `xxxxx-xxxxx`: 31^10 ≈
//! 2^49.5 codes. Typing is forgiving ([`normalise`]: any case, spaces and
//! dashes). Only an Argon2id hash of the normalised code is stored; the
//! code itself is shown once, when the set is made.

/// The characters of a code: digits and lower-case letters without the
/// look-alikes `0 1 i l o`.
pub const ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters per code, without the separator.
pub const CODE_LEN: usize = 10;
/// Codes in a set.
pub const SET_SIZE: usize = 10;

/// A fresh code in its normalised form, drawn from `fill` (uniformly random
/// bytes) without modulo bias.
pub fn draw(mut fill: impl FnMut(&mut [u8])) -> String {
    let mut out = String::with_capacity(CODE_LEN);
    let mut buf = [0u8; 16];
    while out.len() < CODE_LEN {
        fill(&mut buf);
        for b in buf {
            // 248 = 8 × 31: bytes above it would favour the first letters.
            if b < 248 && out.len() < CODE_LEN {
                out.push(char::from(ALPHABET[usize::from(b % 31)]));
            }
        }
    }
    out
}

/// What a person typed, normalised (lower case, without spaces or dashes),
/// or `None` when it cannot be a code: then no hash needs checking.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The form people read: `xxxxx-xxxxx`.
pub fn display(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(CODE_LEN / 2));
    format!("{a}-{b}")
}

/// A person's recovery codes as the account and admin pages see them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryCount {
    /// Codes not used yet.
    pub left: i64,
    /// Codes in the current set, used or not (0: no set).
    pub total: i64,
}

impl RecoveryCount {
    /// Whether a set was made and every code in it is used.
    pub fn exhausted(&self) -> bool {
        self.total > 0 && self.left == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_show_in_two_groups() {
        let mut n = 0u8;
        let code = draw(|buf| {
            for b in buf.iter_mut() {
                *b = n;
                n = n.wrapping_add(37);
            }
        });
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        let shown = display(&code);
        assert_eq!(shown.len(), CODE_LEN + 1);
        assert_eq!(shown.as_bytes()[5], b'-');
        assert_eq!(normalise(&shown), Some(code.clone()));
        assert_eq!(normalise(&shown.to_uppercase()), Some(code.clone()));
        assert_eq!(
            normalise(&format!(" {} ", shown.replace('-', " "))),
            Some(code)
        );
    }

    #[test]
    fn anything_else_is_not_a_code() {
        assert_eq!(normalise(""), None);
        assert_eq!(normalise("abcde-fghj"), None, "nine characters");
        assert_eq!(normalise("abcde-fghjko"), None, "o is not in the alphabet");
        assert_eq!(normalise("123456"), None, "a TOTP code");
        assert_eq!(normalise("abcde_fghjk"), None);
    }

    #[test]
    fn every_character_can_be_drawn() {
        let mut counts = [0usize; 31];
        let mut next = 0u8;
        // Every byte value in turn: each character comes up.
        for _ in 0..31 {
            let code = draw(|buf| {
                for b in buf.iter_mut() {
                    *b = next;
                    next = next.wrapping_add(1);
                }
            });
            for c in code.bytes() {
                if let Some(i) = ALPHABET.iter().position(|&a| a == c) {
                    counts[i] += 1;
                }
            }
        }
        assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    }

    #[test]
    fn exhausted_only_once_a_set_is_used_up() {
        assert!(!RecoveryCount::default().exhausted());
        assert!(!RecoveryCount { left: 1, total: 10 }.exhausted());
        assert!(RecoveryCount { left: 0, total: 10 }.exhausted());
    }
}
