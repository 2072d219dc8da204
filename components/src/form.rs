//! Form building blocks: labelled fields, the CSRF field, buttons.

use maud::{Markup, html};

/// Props of a labelled input.
#[derive(Debug, Clone, Default)]
pub struct Field<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    /// `text`, `password`... or `textarea` for several lines.
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub error: Option<&'a str>,
    pub hint: Option<&'a str>,
    pub required: bool,
    pub autofocus: bool,
    /// Extra classes for the input (e.g. the big code field).
    pub input_class: &'a str,
    pub inputmode: Option<&'a str>,
    /// Turns off autocorrect, autocapitalisation and spell checking (a
    /// user code's keyboard capitalises instead: codes are upper case).
    pub literal: bool,
    /// `data-user-code`: formatted as XXXX-XXXX while typing (assets/app.js).
    pub user_code: bool,
}

/// Focus shows as the site-wide `:focus-visible` outline (assets/src/app.css),
/// which, unlike a box-shadow ring, survives forced-colours mode.
const INPUT: &str = "block w-full rounded-lg border bg-white px-3.5 py-2.5 text-base shadow-sm \
    placeholder:text-slate-400 transition dark:bg-slate-950 dark:placeholder:text-slate-500";
const INPUT_OK: &str = "border-slate-300 focus:border-brand-500 dark:border-slate-700";
const INPUT_BAD: &str = "border-red-500 focus:border-red-500 dark:border-red-500";

/// A `<label>` and its input, with hint and error wired up through
/// `aria-describedby`; an error also sets `aria-invalid`.
pub fn field(f: &Field<'_>) -> Markup {
    let error_id = format!("{}-error", f.id);
    let hint_id = format!("{}-hint", f.id);
    let described: Vec<&str> = [
        f.hint.map(|_| hint_id.as_str()),
        f.error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let state = if f.error.is_some() {
        INPUT_BAD
    } else {
        INPUT_OK
    };
    html! {
        div class="space-y-1.5" {
            label for=(f.id) class="block text-sm font-medium text-slate-700 dark:text-slate-200" { (f.label) }
            @if f.kind == "textarea" {
                textarea id=(f.id) name=(f.name) rows="6"
                    class={ (INPUT) " " (state) " " (f.input_class) }
                    autocomplete=(f.autocomplete)
                    autocorrect=[f.literal.then_some("off")]
                    spellcheck=[f.literal.then_some("false")]
                    required[f.required]
                    autofocus[f.autofocus]
                    aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))] { (f.value) }
            } @else {
                input id=(f.id) name=(f.name) type=(f.kind) value=(f.value)
                    class={ (INPUT) " " (state) " " (f.input_class) }
                    autocomplete=(f.autocomplete)
                    inputmode=[f.inputmode]
                    autocapitalize=[f.literal.then_some(if f.user_code { "characters" } else { "off" })]
                    autocorrect=[f.literal.then_some("off")]
                    spellcheck=[f.literal.then_some("false")]
                    data-user-code[f.user_code]
                    required[f.required]
                    autofocus[f.autofocus]
                    aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
            }
            @if let Some(error) = f.error {
                p id=(error_id) role="alert" class="text-sm font-medium text-red-600 dark:text-red-400" { (error) }
            }
            @if let Some(hint) = f.hint {
                p id=(hint_id) class="text-sm text-slate-500 dark:text-slate-400" { (hint) }
            }
        }
    }
}

/// The hidden anti-forgery token every state-changing form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    Primary,
    /// Same weight as primary, neutral colour: for a choice of equals.
    Neutral,
    Quiet,
}

/// Props of a submit button.
#[derive(Debug, Clone, Copy)]
pub struct Button<'a> {
    pub label: &'a str,
    pub style: ButtonStyle,
    pub name: Option<&'a str>,
    pub value: Option<&'a str>,
    pub full_width: bool,
    pub autofocus: bool,
}

impl<'a> Button<'a> {
    pub fn primary(label: &'a str) -> Self {
        Self {
            label,
            style: ButtonStyle::Primary,
            name: None,
            value: None,
            full_width: true,
            autofocus: false,
        }
    }

    pub fn styled(label: &'a str, style: ButtonStyle) -> Self {
        Self {
            style,
            ..Self::primary(label)
        }
    }

    /// The same button submitting `name=value`.
    pub fn with_value(self, name: &'a str, value: &'a str) -> Self {
        Self {
            name: Some(name),
            value: Some(value),
            ..self
        }
    }
}

pub fn submit(b: Button<'_>) -> Markup {
    let look = match b.style {
        ButtonStyle::Primary => {
            "bg-brand-600 text-white hover:bg-brand-700 focus-visible:outline-brand-600 dark:bg-brand-500 dark:hover:bg-brand-400"
        }
        ButtonStyle::Neutral => {
            "bg-slate-800 text-white hover:bg-slate-900 focus-visible:outline-slate-800 dark:bg-slate-200 dark:text-slate-900 dark:hover:bg-white"
        }
        ButtonStyle::Quiet => {
            "border border-slate-300 bg-white text-slate-700 shadow-none hover:bg-slate-50 focus-visible:outline-slate-500 dark:border-slate-700 dark:bg-transparent dark:text-slate-200 dark:hover:bg-slate-800"
        }
    };
    let width = if b.full_width { "w-full" } else { "" };
    html! {
        button type="submit" name=[b.name] value=[b.value] autofocus[b.autofocus]
            class={ "inline-flex min-h-11 items-center justify-center gap-2 rounded-lg px-4 py-2.5 text-base font-semibold shadow-sm transition focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60 " (look) " " (width) } {
            (b.label)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_user_codes_are_capitalised_by_phone_keyboards() {
        let username = field(&Field {
            id: "u",
            name: "username",
            label: "Username",
            literal: true,
            ..Field::default()
        })
        .into_string();
        assert!(username.contains(r#"autocapitalize="off""#), "{username}");
        let code = field(&Field {
            id: "c",
            name: "code",
            label: "Code",
            literal: true,
            user_code: true,
            ..Field::default()
        })
        .into_string();
        assert!(code.contains(r#"autocapitalize="characters""#), "{code}");
    }

    #[test]
    fn a_textarea_keeps_its_value_as_text() {
        let html = field(&Field {
            id: "k",
            name: "jwks",
            label: "Keys",
            kind: "textarea",
            value: r#"{"keys":[]}</textarea><script>"#,
            ..Field::default()
        })
        .into_string();
        assert!(html.contains("<textarea"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
}
