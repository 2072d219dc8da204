//! Passkeys: the "Passkeys" card of `/account`, the "Sign in with a
//! passkey" block of the sign-in page, and the "Use a passkey" block of
//! the second step.
//!
//! The ceremonies run in `assets/passkey.js`, included (with `defer`) only
//! by these blocks. Each block is a container the script finds by
//! `data-passkey`, with the URLs it posts to in `data-*` attributes, the
//! CSRF token in a hidden field, and a `data-passkey-error` region it
//! fills with the server's refusal. The blocks start `hidden` and the
//! script shows them where the browser has WebAuthn, so a browser without
//! it (or without script) sees only what works: the password form.

use maud::{Markup, html};

use crate::device::ago;
use crate::feedback::{Tone, alert, card};
use crate::form::{Button, ButtonStyle, Field, csrf_field, field, submit};
use crate::icons;

/// Where a ceremony's two requests go.
#[derive(Debug, Clone, Copy)]
pub struct CeremonyUrls<'a> {
    /// POST: the options for `navigator.credentials`.
    pub options: &'a str,
    /// POST: the authenticator's answer.
    pub finish: &'a str,
    /// The versioned URL of `passkey.js`.
    pub script: &'a str,
}

fn script(urls: &CeremonyUrls<'_>) -> Markup {
    html! { script src=(urls.script) defer {} }
}

/// The region the script writes a refusal into (announced when it does).
fn error_region() -> Markup {
    html! {
        p data-passkey-error role="alert" hidden
            class="rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm font-medium text-red-700 dark:border-red-900 dark:bg-red-950 dark:text-red-300" {}
    }
}

/// Props of the sign-in page's passkey block.
#[derive(Debug, Clone)]
pub struct PasskeySignIn<'a> {
    pub csrf: &'a str,
    /// Where to go once signed in (a validated local path).
    pub next: &'a str,
    pub urls: CeremonyUrls<'a>,
}

/// "Sign in with a passkey": a button for a modal ceremony; the script
/// also offers passkeys in the username field's autofill (conditional
/// mediation) where the browser supports it.
pub fn passkey_sign_in(p: &PasskeySignIn<'_>) -> Markup {
    html! {
        div data-passkey="sign-in" data-options=(p.urls.options) data-finish=(p.urls.finish)
            data-next=(p.next) hidden class="mt-6 space-y-4 border-t border-slate-200 pt-6 dark:border-slate-800" {
            (csrf_field(p.csrf))
            (error_region())
            button type="button" data-passkey-start
                class="inline-flex min-h-11 w-full items-center justify-center gap-2 rounded-lg border border-slate-300 bg-white px-4 py-2.5 text-base font-semibold text-slate-800 transition hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-slate-500 disabled:opacity-60 dark:border-slate-700 dark:bg-transparent dark:text-slate-100 dark:hover:bg-slate-800" {
                (icons::key("size-5"))
                "Sign in with a passkey"
            }
            (script(&p.urls))
        }
    }
}

/// Props of the second step's passkey block.
#[derive(Debug, Clone)]
pub struct PasskeyStep<'a> {
    pub csrf: &'a str,
    pub urls: CeremonyUrls<'a>,
    /// The person has no code to type: the block is the whole step.
    pub alone: bool,
}

/// "Use a passkey" on the second step of sign-in.
pub fn passkey_step(p: &PasskeyStep<'_>) -> Markup {
    let block = html! {
        div data-passkey="step" data-options=(p.urls.options) data-finish=(p.urls.finish) hidden
            class={ "space-y-4" (if p.alone { "" } else { " mt-6 border-t border-slate-200 pt-6 dark:border-slate-800" }) } {
            (csrf_field(p.csrf))
            (error_region())
            @if !p.alone {
                p class="text-sm text-slate-600 dark:text-slate-300" { "Or confirm with one of your passkeys." }
            }
            button type="button" data-passkey-start
                class="inline-flex min-h-11 w-full items-center justify-center gap-2 rounded-lg bg-brand-600 px-4 py-2.5 text-base font-semibold text-white shadow-sm transition hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 disabled:opacity-60 dark:bg-brand-500 dark:hover:bg-brand-400" {
                (icons::key("size-5"))
                "Use a passkey"
            }
            (script(&p.urls))
        }
    };
    if p.alone {
        card(html! {
            div class="mb-6 space-y-1.5" {
                h1 class="text-2xl font-bold tracking-tight text-slate-900 dark:text-white" { "Confirm it's you" }
                p class="text-sm text-slate-600 dark:text-slate-300" {
                    "Two-step sign-in is on for this account: use one of your passkeys to continue."
                }
            }
            noscript { p class="text-sm text-slate-600 dark:text-slate-300" { "Passkeys need JavaScript." } }
            (block)
        })
    } else {
        block
    }
}

/// A quiet button as wide as its label.
fn inline(label: &str) -> Button<'_> {
    Button {
        full_width: false,
        ..Button::styled(label, ButtonStyle::Quiet)
    }
}

/// One passkey in the list.
#[derive(Debug, Clone)]
pub struct PasskeyRow<'a> {
    pub name: &'a str,
    pub created_secs_ago: i64,
    pub used_secs_ago: Option<i64>,
    /// Where its rename and remove forms post.
    pub rename_action: String,
    pub delete_action: String,
}

/// Props of the "Passkeys" card.
#[derive(Debug, Clone)]
pub struct PasskeysCard<'a> {
    pub csrf: &'a str,
    pub passkeys: Vec<PasskeyRow<'a>>,
    /// The registration ceremony.
    pub urls: CeremonyUrls<'a>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn passkeys_card(p: &PasskeysCard<'_>) -> Markup {
    card(html! {
        section id="passkeys" aria-labelledby="passkeys-title" {
            h2 id="passkeys-title" class="mb-1 text-lg font-semibold text-slate-900 dark:text-white" { "Passkeys" }
            p class="mb-4 text-sm text-slate-600 dark:text-slate-300" {
                "Sign in with your fingerprint, face or device PIN instead of a password. After a password, a passkey also serves as the second step."
            }
            @if let Some(notice) = p.notice {
                div class="mb-4" { (alert(Tone::Success, notice)) }
            }
            @if let Some(error) = p.error {
                div class="mb-4" { (alert(Tone::Error, error)) }
            }
            @if !p.passkeys.is_empty() {
                ul class="mb-5 space-y-3" aria-label="Your passkeys" {
                    @for (i, k) in p.passkeys.iter().enumerate() {
                        li class="rounded-xl border border-slate-200 p-4 dark:border-slate-800" {
                            div class="flex items-start gap-3" {
                                div class="grid size-10 shrink-0 place-items-center rounded-lg bg-brand-50 text-brand-600 dark:bg-brand-950 dark:text-brand-300" {
                                    (icons::key("size-5"))
                                }
                                div class="min-w-0 flex-1" {
                                    h3 class="font-semibold break-words text-slate-900 dark:text-white" { (k.name) }
                                    p class="mt-1 text-xs text-slate-500 dark:text-slate-400" {
                                        "Added " (ago(k.created_secs_ago)) " · "
                                        @match k.used_secs_ago {
                                            Some(secs) => { "last used " (ago(secs)) }
                                            None => "never used",
                                        }
                                    }
                                }
                            }
                            form method="post" action=(k.rename_action) class="mt-3 flex items-end gap-2" {
                                (csrf_field(p.csrf))
                                div class="min-w-0 flex-1" {
                                    label for=(format!("passkey-name-{i}")) class="sr-only" { "New name for " (k.name) }
                                    input id=(format!("passkey-name-{i}")) name="name" type="text" value=(k.name) maxlength="64" required
                                        class="block min-h-11 w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-base shadow-sm dark:border-slate-700 dark:bg-slate-950";
                                }
                                (submit(inline("Rename")))
                            }
                            form method="post" action=(k.delete_action) class="mt-2" {
                                (csrf_field(p.csrf))
                                (submit(inline("Remove")))
                            }
                        }
                    }
                }
            }
            form data-passkey="register" data-options=(p.urls.options) data-finish=(p.urls.finish) hidden
                class="space-y-4" novalidate {
                (csrf_field(p.csrf))
                (error_region())
                (field(&Field {
                    id: "passkey-name",
                    name: "name",
                    label: "Name for the new passkey",
                    kind: "text",
                    autocomplete: "off",
                    hint: Some("For example the device it is on: \u{201c}Work laptop\u{201d}."),
                    required: true,
                    ..Field::default()
                }))
                (submit(Button::styled("Add a passkey", ButtonStyle::Neutral)))
            }
            noscript { p class="text-sm text-slate-600 dark:text-slate-300" { "Adding a passkey needs JavaScript." } }
            (script(&p.urls))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URLS: CeremonyUrls<'static> = CeremonyUrls {
        options: "/o",
        finish: "/f",
        script: "/assets/passkey.js?v=1",
    };

    #[test]
    fn the_card_escapes_names_and_carries_csrf_on_every_form() {
        let html = passkeys_card(&PasskeysCard {
            csrf: "tok",
            passkeys: vec![PasskeyRow {
                name: "<b>Laptop</b>",
                created_secs_ago: 60,
                used_secs_ago: None,
                rename_action: "/account/passkeys/1/rename".into(),
                delete_action: "/account/passkeys/1/delete".into(),
            }],
            urls: URLS,
            notice: None,
            error: None,
        })
        .into_string();
        assert!(html.contains("&lt;b&gt;Laptop&lt;/b&gt;"));
        assert!(!html.contains("<b>Laptop"));
        assert_eq!(html.matches("name=\"csrf_token\" value=\"tok\"").count(), 3);
        assert!(html.contains("never used"));
        assert!(html.contains("src=\"/assets/passkey.js?v=1\""));
        assert!(!html.contains("<script>"), "no inline script");
    }

    #[test]
    fn the_sign_in_block_carries_its_urls_and_next() {
        let html = passkey_sign_in(&PasskeySignIn {
            csrf: "tok",
            next: "/device?user_code=\"x\"",
            urls: URLS,
        })
        .into_string();
        assert!(html.contains("data-passkey=\"sign-in\""));
        assert!(html.contains("data-next=\"/device?user_code=&quot;x&quot;\""));
        assert!(html.contains("data-finish=\"/f\""));
    }
}
