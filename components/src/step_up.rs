//! "Confirm it's you": the page that asks a signed-in person for a second
//! factor before an approval a policy guards, and the notice that asks
//! them to set one up first.

use maud::{Markup, html};

use crate::feedback::{Tone, alert, card};
use crate::form::{Button, csrf_field, submit};
use crate::layout::heading;
use crate::two_step::code_field;

/// Props of the step-up page.
#[derive(Debug, Clone)]
pub struct StepUpForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// Where to go back to once confirmed (a validated local path: the
    /// consent page with its request intact).
    pub next: &'a str,
    pub error: Option<&'a str>,
    /// Whether the person has an authenticator app (the code field).
    pub code: bool,
    /// The passkey block, when the person has passkeys.
    pub passkey: Option<Markup>,
}

pub fn step_up_form(p: &StepUpForm<'_>) -> Markup {
    card(html! {
        (heading(
            "Confirm it's you",
            Some("Approving this request needs your second factor. You will go straight back to it."),
        ))
        @if p.code {
            form method="post" action=(p.action) class="space-y-5" novalidate {
                (csrf_field(p.csrf))
                input type="hidden" name="next" value=(p.next);
                (code_field("code", p.error, true, true))
                (submit(Button::primary("Confirm")))
            }
        }
        @if let Some(passkey) = &p.passkey {
            (passkey)
        }
    })
}

/// The notice on `/account` for a person who must set up a second factor:
/// with a way back to what they were doing once they have.
pub fn enrol_notice(continue_to: Option<&str>) -> Markup {
    html! {
        div id="enrol" class="scroll-mt-4" {
            (alert(
                Tone::Info,
                "Your administrator requires two-step sign-in for your account. Set it up below before approving devices or apps.",
            ))
            @if let Some(next) = continue_to {
                p class="mt-2 text-sm text-slate-600 dark:text-slate-300" {
                    "Once it is on, "
                    a class="font-semibold text-brand-700 underline dark:text-brand-300" href=(next) { "continue where you were" }
                    "."
                }
            }
        }
    }
}

/// Once the required factor is on: the way back to what the person was
/// doing.
pub fn resume_notice(next: &str) -> Markup {
    html! {
        p class="rounded-xl border border-brand-200 bg-brand-50 p-4 text-sm text-slate-800 dark:border-brand-900 dark:bg-brand-950/40 dark:text-slate-100" {
            "Two-step sign-in is on. "
            a class="font-semibold text-brand-700 underline dark:text-brand-300" href=(next) { "Continue where you were" }
            "."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_carries_its_return_address_escaped() {
        let html = step_up_form(&StepUpForm {
            action: "/login/step-up",
            csrf: "t",
            next: "/device?user_code=ABCD-EFGH\"><script>",
            error: Some("That code is not right."),
            code: true,
            passkey: None,
        })
        .into_string();
        assert!(html.contains(
            r#"name="next" value="/device?user_code=ABCD-EFGH&quot;&gt;&lt;script&gt;""#
        ));
        assert!(html.contains("That code is not right."));
        assert!(html.contains(r#"autocomplete="one-time-code""#));
        assert!(html.contains(r#"name="csrf_token""#));
    }

    #[test]
    fn the_enrolment_notice_links_back_only_when_given_a_place() {
        assert!(
            enrol_notice(Some("/device?user_code=X"))
                .into_string()
                .contains("continue where you were")
        );
        assert!(!enrol_notice(None).into_string().contains("continue"));
    }
}
