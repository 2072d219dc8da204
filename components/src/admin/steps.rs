//! The two steps around irreversible actions: a confirmation before, and
//! a secret shown once after.
//!
//! Every admin question ("Revoke this token?", "Disable Deploy bot?",
//! "Deny request BCDF-GHJK?") is one [`Confirm`], asked either on a page of
//! its own (the GET of the action's path: [`confirm_page`]) or from a table
//! row through the browser's dialog ([`confirm_in_row`]). Both post the
//! same CSRF-protected [`PostForm`]. A confirmation is asked only before a
//! change that takes something away, so its button is always the red one.

use maud::{Markup, html};

use super::{BTN_DANGER, BTN_PRIMARY, BTN_QUIET, BTN_ROW_DANGER, details, panel};
use crate::feedback::{Tone, alert};
use crate::form::csrf_field;

/// A form that POSTs to `action` with the session's CSRF token, and any
/// hidden fields naming what it acts on.
#[derive(Debug, Clone)]
pub struct PostForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// (name, value).
    pub hidden: Vec<(&'a str, &'a str)>,
}

impl<'a> PostForm<'a> {
    /// A form with no hidden fields besides the CSRF token.
    pub fn new(action: &'a str, csrf: &'a str) -> Self {
        Self {
            action,
            csrf,
            hidden: Vec::new(),
        }
    }
}

fn post_fields(p: &PostForm<'_>) -> Markup {
    html! {
        (csrf_field(p.csrf))
        @for (name, value) in &p.hidden {
            input type="hidden" name=(name) value=(value);
        }
    }
}

/// A one-click change (no question asked): a full-width button in an
/// actions panel; `class` is its style, e.g. [`super::BTN_QUIET`].
pub fn post_button(p: &PostForm<'_>, label: &str, class: &str, disabled: bool) -> Markup {
    html! {
        form method="post" action=(p.action) {
            (post_fields(p))
            button type="submit" class={ (class) " w-full" } disabled[disabled] { (label) }
        }
    }
}

/// A question before a change that cannot be undone (or not without
/// another step).
#[derive(Debug, Clone)]
pub struct Confirm<'a> {
    /// "Disable Deploy bot?": the heading, or the dialog's first sentence.
    pub question: &'a str,
    /// What saying yes does, in a sentence or two.
    pub consequence: &'a str,
    /// The button that says yes: "Disable client".
    pub verb: &'a str,
    pub post: PostForm<'a>,
}

/// A confirmation on a page of its own: what will be affected, the
/// button (focused, so Enter confirms and Tab reaches Cancel), and Cancel.
#[derive(Debug, Clone)]
pub struct ConfirmPage<'a> {
    pub confirm: Confirm<'a>,
    /// What will be affected: (term, value).
    pub details: Vec<(&'a str, Markup)>,
    /// Where Cancel goes: the page the question came from.
    pub cancel: &'a str,
}

pub fn confirm_page(p: &ConfirmPage<'_>) -> Markup {
    let c = &p.confirm;
    panel(
        None,
        html! {
            div class="max-w-2xl space-y-5" {
                h2 class="text-lg font-semibold text-slate-900 dark:text-white" { (c.question) }
                p class="text-sm text-slate-700 dark:text-slate-200" { (c.consequence) }
                @if !p.details.is_empty() { (details(&p.details)) }
                form method="post" action=(c.post.action) class="flex flex-wrap gap-3" {
                    (post_fields(&c.post))
                    button type="submit" class=(BTN_DANGER) autofocus { (c.verb) }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

/// Where a row's confirmed change is answered: htmx posts it and swaps
/// the answer in place of `target`.
#[derive(Debug, Clone, Copy)]
pub struct InRow<'a> {
    /// The button's id.
    pub id: &'a str,
    /// The button's accessible name, saying which row: "Deny request
    /// BCDF-GHJK" (the visible [`Confirm::verb`] alone would not).
    pub name: &'a str,
    /// A CSS selector, e.g. `#device-codes-live`.
    pub target: &'a str,
}

/// A confirmation from a table row: the browser asks the question and its
/// consequence (htmx's `hx-confirm`), then htmx posts. Without htmx the
/// form posts as is.
pub fn confirm_in_row(c: &Confirm<'_>, row: &InRow<'_>) -> Markup {
    html! {
        form method="post" action=(c.post.action) hx-post=(c.post.action)
            hx-target=(row.target) hx-swap="outerHTML"
            hx-confirm={ (c.question) " " (c.consequence) } {
            (post_fields(&c.post))
            button type="submit" id=(row.id) class=(BTN_ROW_DANGER) aria-label=(row.name) { (c.verb) }
        }
    }
}

/// A secret (client secret, generated password) shown once.
#[derive(Debug, Clone)]
pub struct SecretOnce<'a> {
    pub title: &'a str,
    pub message: &'a str,
    /// (label, value) pairs; the values are shown in full, selectable.
    pub values: Vec<(&'a str, &'a str)>,
    /// Set when `values` hold a secret: the "shown once" warning.
    pub secret: bool,
    pub next: &'a str,
    pub next_label: &'a str,
}

pub fn secret_once(p: &SecretOnce<'_>) -> Markup {
    panel(
        None,
        html! {
            div class="max-w-2xl space-y-5" {
                h2 class="text-lg font-semibold text-slate-900 dark:text-white" tabindex="-1" autofocus { (p.title) }
                p class="text-sm text-slate-700 dark:text-slate-200" { (p.message) }
                @if p.secret {
                    (alert(Tone::Info, "Copy the secret now: it is stored only as a hash and will not be shown again."))
                }
                dl class="space-y-4" {
                    @for (i, (label, value)) in p.values.iter().enumerate() {
                        div class="space-y-1.5" {
                            dt class="text-sm font-medium text-slate-700 dark:text-slate-200" { (label) }
                            dd {
                                code data-testid={ "secret-" (i) } class="block select-all break-all rounded-lg border border-slate-200 bg-slate-50 px-3 py-2.5 font-mono text-sm text-slate-900 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100" { (value) }
                            }
                        }
                    }
                }
                a href=(p.next) class=(BTN_PRIMARY) { (p.next_label) }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoke<'a>(post: PostForm<'a>) -> Confirm<'a> {
        Confirm {
            question: "Revoke all tokens of <alice>?",
            consequence: "They stop working \"at once\".",
            verb: "Revoke",
            post,
        }
    }

    #[test]
    fn a_confirmation_page_asks_posts_with_csrf_and_offers_cancel() {
        let html = confirm_page(&ConfirmPage {
            confirm: revoke(PostForm {
                hidden: vec![("user", "u-1\"><x>")],
                ..PostForm::new("/admin/tokens/revoke", "tok")
            }),
            details: vec![("Active tokens", html! { "3" })],
            cancel: "/admin/tokens?user=u-1&status=active",
        })
        .into_string();
        assert!(html.contains("<h2 class=\"text-lg font-semibold text-slate-900 dark:text-white\">Revoke all tokens of &lt;alice&gt;?</h2>"));
        assert!(html.contains("They stop working &quot;at once&quot;."));
        assert!(html.contains(r#"<form method="post" action="/admin/tokens/revoke""#));
        assert!(html.contains(r#"name="csrf_token" value="tok""#));
        assert!(
            html.contains(r#"<input type="hidden" name="user" value="u-1&quot;&gt;&lt;x&gt;">"#)
        );
        assert!(html.contains("Active tokens"));
        assert!(html.contains(r#"autofocus>Revoke</button>"#));
        assert!(html.contains(BTN_DANGER));
        assert!(html.contains(r#"<a href="/admin/tokens?user=u-1&amp;status=active" class"#));
        assert!(html.contains(">Cancel</a>"));
    }

    #[test]
    fn a_row_confirmation_asks_through_htmx_and_names_its_row() {
        let html = confirm_in_row(
            &Confirm {
                question: "Deny request BCDF-GHJK?",
                ..revoke(PostForm::new("/admin/device-codes/x/cancel", "tok"))
            },
            &InRow {
                id: "cancel-BCDF-GHJK",
                name: "Deny request BCDF-GHJK",
                target: "#device-codes-live",
            },
        )
        .into_string();
        assert!(html.contains(
            r#"action="/admin/device-codes/x/cancel" hx-post="/admin/device-codes/x/cancel""#
        ));
        assert!(html.contains(r##"hx-target="#device-codes-live" hx-swap="outerHTML""##));
        assert!(html.contains(
            r#"hx-confirm="Deny request BCDF-GHJK? They stop working &quot;at once&quot;.""#
        ));
        assert!(html.contains(r#"name="csrf_token" value="tok""#));
        assert!(html.contains(r#"id="cancel-BCDF-GHJK""#));
        assert!(html.contains(r#"aria-label="Deny request BCDF-GHJK">Revoke</button>"#));
    }

    #[test]
    fn one_click_buttons_post_their_hidden_fields_and_can_be_disabled() {
        let post = PostForm {
            hidden: vec![("role", "user")],
            ..PostForm::new("/admin/users/u/role", "tok")
        };
        let html = post_button(&post, "Remove administrator role", BTN_QUIET, true).into_string();
        assert!(html.contains(r#"name="csrf_token" value="tok""#));
        assert!(html.contains(r#"name="role" value="user""#));
        assert!(html.contains(" w-full\" disabled>Remove administrator role</button>"));
        let enabled = post_button(&PostForm::new("/a", "t"), "Go", BTN_QUIET, false).into_string();
        assert!(!enabled.contains("disabled>"));
    }
}
