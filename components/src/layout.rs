//! The page shell: document head, header with the account menu, footer.

use maud::{DOCTYPE, Markup, html};

use crate::form::csrf_field;
use crate::{PageCtx, icons};

/// htmx 2 settings: swap 422 (a form re-rendered with its errors) like a
/// success, and never inject inline styles (the CSP forbids them; the
/// indicator styles live in app.css).
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"attributesToSettle":["class","width","height"],"allowEval":false,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"429","swap":true},{"code":"[45]..","swap":false,"error":true}]}"#;

/// How wide the main column of a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// One card: sign-in, the device journey, /account.
    Narrow,
    /// Tables and dashboards: the admin pages.
    Wide,
}

impl Width {
    fn container(self) -> &'static str {
        match self {
            Width::Narrow => "max-w-md",
            Width::Wide => "max-w-7xl",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Width::Narrow => "max-w-3xl",
            Width::Wide => "max-w-7xl",
        }
    }
}

/// A complete HTML page around `body`, in the narrow column.
pub fn page(ctx: &PageCtx<'_>, body: Markup) -> Markup {
    page_with(ctx, Width::Narrow, body)
}

/// A complete HTML page around `body` with a main column of `width`.
pub fn page_with(ctx: &PageCtx<'_>, width: Width, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" class="h-full" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="referrer" content="no-referrer";
                meta name="htmx-config" content=(HTMX_CONFIG);
                title { (ctx.title) " · AuthGate" }
                link rel="icon" type="image/svg+xml" href=(ctx.assets.icon);
                link rel="stylesheet" href=(ctx.assets.css);
                script src=(ctx.assets.htmx) defer {}
                script src=(ctx.assets.app_js) defer {}
            }
            body class="flex min-h-full flex-col bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100" {
                a href="#main" class="sr-only rounded-md bg-white px-3 py-2 text-sm font-semibold text-brand-700 shadow focus:not-sr-only focus:absolute focus:left-4 focus:top-4" {
                    "Skip to content"
                }
                (header(ctx, width))
                main id="main" class={ "mx-auto w-full min-w-0 flex-1 px-4 pb-12 pt-6 sm:pt-12 " (width.container()) } {
                    (body)
                }
                footer class="px-4 pb-6 text-center text-xs text-slate-500 dark:text-slate-400" {
                    "Secured by AuthGate · Only enter codes shown on a device you own."
                }
            }
        }
    }
}

fn header(ctx: &PageCtx<'_>, width: Width) -> Markup {
    html! {
        header class="border-b border-slate-200/80 bg-white/70 backdrop-blur dark:border-slate-800 dark:bg-slate-900/60" {
            div class={ "mx-auto flex items-center justify-between gap-4 px-4 py-3 " (width.header()) } {
                a href=(ctx.links.home) class="flex items-center gap-2 rounded-md font-semibold tracking-tight text-slate-900 dark:text-white" {
                    span class="grid size-8 place-items-center rounded-lg bg-brand-600 text-white" {
                        (icons::logo("size-5"))
                    }
                    // An administrator's header holds one more link: on
                    // phones the mark alone stands for the name.
                    @if ctx.account.as_ref().is_some_and(|a| a.is_admin) {
                        span class="sr-only sm:not-sr-only" { "AuthGate" }
                    } @else {
                        "AuthGate"
                    }
                }
                @if let Some(account) = &ctx.account {
                    div class="flex items-center gap-3 text-sm" {
                        span class="hidden text-slate-600 sm:inline dark:text-slate-300" {
                            "Signed in as " strong class="font-semibold text-slate-900 dark:text-white" { (account.username) }
                        }
                        @if account.is_admin {
                            a href=(ctx.links.admin) class="rounded-md px-2.5 py-1.5 font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800" {
                                "Admin"
                            }
                        }
                        a href=(ctx.links.account) class="rounded-md px-2.5 py-1.5 font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-200 dark:hover:bg-slate-800" {
                            "Devices"
                        }
                        form method="post" action=(ctx.links.logout) {
                            (csrf_field(ctx.csrf))
                            button type="submit" class="rounded-md px-2.5 py-1.5 font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-brand-600 dark:text-slate-200 dark:hover:bg-slate-800" {
                                "Sign out"
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The heading block at the top of a card.
pub fn heading(title: &str, subtitle: Option<&str>) -> Markup {
    html! {
        div class="mb-6 space-y-1.5" {
            h1 class="text-2xl font-bold tracking-tight text-slate-900 dark:text-white" { (title) }
            @if let Some(subtitle) = subtitle {
                p class="text-sm text-slate-600 dark:text-slate-300" { (subtitle) }
            }
        }
    }
}
