//! Inline SVG icons. Decorative: hidden from assistive technology.

use maud::{Markup, html};

/// The AuthGate mark: a key inside a rounded shield.
pub fn logo(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            path d="M12 2.5 4.5 5.5v6c0 4.6 3.1 8.4 7.5 10 4.4-1.6 7.5-5.4 7.5-10v-6L12 2.5Z" {}
            circle cx="12" cy="10" r="2.5" {}
            path d="M12 12.5V17m0-2h2" {}
        }
    }
}

pub fn check_circle(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            circle cx="12" cy="12" r="9.5" {}
            path d="m8 12.5 2.7 2.7L16.5 9.5" {}
        }
    }
}

pub fn x_circle(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            circle cx="12" cy="12" r="9.5" {}
            path d="m9 9 6 6m0-6-6 6" {}
        }
    }
}

pub fn clock(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            circle cx="12" cy="12" r="9.5" {}
            path d="M12 7v5l3 2" {}
        }
    }
}

pub fn device(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            rect x="3" y="4" width="18" height="12" rx="2" {}
            path d="M8 20h8m-4-4v4" {}
        }
    }
}

pub fn warning(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            path d="M12 3.5 2.5 20h19L12 3.5Z" {}
            path d="M12 10v4m0 3v.01" {}
        }
    }
}

/// A key: passkeys.
pub fn key(class: &str) -> Markup {
    html! {
        svg class=(class) viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
            stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" {
            circle cx="8" cy="15" r="4" {}
            path d="m10.8 12.2 8.7-8.7M17 6l2.5 2.5M14.5 8.5l2 2" {}
        }
    }
}
