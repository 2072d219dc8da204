//! The "Two-step sign-in" panel of an admin user page: each second factor
//! on a row of its own, and the reset action.

use maud::{Markup, html};

use super::{BTN_QUIET_DANGER, Hue, When, badge, details, panel, when};

/// Where one person's TOTP factor stands.
#[derive(Debug, Clone)]
pub enum TotpStatus {
    Off,
    /// A key was made but never confirmed with a code.
    SettingUp,
    On {
        since: When,
    },
}

/// Props of the panel. One field per kind of factor: a new kind adds a
/// field and a row.
#[derive(Debug, Clone)]
pub struct SecondFactorsPanel {
    pub totp: TotpStatus,
    /// Recovery codes not used yet, of how many (0 of 0: none made).
    pub recovery_left: i64,
    pub recovery_total: i64,
    /// Passkeys the person has.
    pub passkeys: usize,
    /// GET: the confirmation of resetting two-step sign-in.
    pub reset_href: String,
}

impl SecondFactorsPanel {
    fn any(&self) -> bool {
        !matches!(self.totp, TotpStatus::Off) || self.recovery_total > 0 || self.passkeys > 0
    }
}

pub fn second_factors_panel(p: &SecondFactorsPanel) -> Markup {
    let totp = match &p.totp {
        TotpStatus::Off => html! { (badge(Hue::Neutral, "Off")) },
        TotpStatus::SettingUp => html! { (badge(Hue::Warn, "Being set up")) },
        TotpStatus::On { since } => html! { (badge(Hue::Good, "On")) " since " (when(since)) },
    };
    let recovery = if p.recovery_total == 0 {
        html! { span class="text-slate-500 dark:text-slate-400" { "None" } }
    } else if p.recovery_left == 0 {
        html! { (badge(Hue::Bad, "None left")) " of " (p.recovery_total) }
    } else {
        html! { (p.recovery_left) " of " (p.recovery_total) " left" }
    };
    let body = panel(
        None,
        html! {
            h2 id="second-factors-title" class="mb-4 text-base font-semibold text-slate-900 dark:text-white" { "Two-step sign-in" }
            div {
                (details(&[
                    ("Authenticator app", totp),
                    ("Recovery codes", recovery),
                    ("Passkeys", html! {
                        @if p.passkeys == 0 { span class="text-slate-500 dark:text-slate-400" { "None" } } @else { (p.passkeys) }
                    }),
                ]))
                div class="mt-4 flex flex-col gap-2 sm:flex-row sm:items-center" {
                    a href=(p.reset_href) class=(BTN_QUIET_DANGER) { "Reset two-step sign-in…" }
                    @if !p.any() {
                        span class="text-sm text-slate-500 dark:text-slate-400" { "Nothing to remove; a reset still ends their sessions." }
                    }
                }
            }
        },
    );
    // A named region, so assistive technology (and tests) can find it.
    html! { div id="second-factors" role="region" aria-labelledby="second-factors-title" { (body) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_factor_has_its_row() {
        let html = second_factors_panel(&SecondFactorsPanel {
            totp: TotpStatus::On {
                since: When::default(),
            },
            recovery_left: 3,
            recovery_total: 10,
            passkeys: 2,
            reset_href: "/admin/users/u/factors/reset".into(),
        })
        .into_string();
        assert!(html.contains("Authenticator app"));
        assert!(html.contains("3 of 10 left"));
        assert!(html.contains("href=\"/admin/users/u/factors/reset\""));
    }
}
