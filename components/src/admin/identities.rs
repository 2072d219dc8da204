//! The "Linked sign-in accounts" panel of an admin user page: each
//! upstream account linked to the person, with Unlink.

use maud::{Markup, html};

use super::{BTN_ROW_DANGER, PostForm, When, panel, post_button, when};

/// One linked upstream account.
#[derive(Debug, Clone)]
pub struct IdentityRow<'a> {
    pub provider: &'a str,
    pub provider_id: &'a str,
    /// The provider's `sub` for the person.
    pub subject: &'a str,
    pub linked: When,
    pub last_used: When,
}

#[derive(Debug, Clone)]
pub struct IdentitiesPanel<'a> {
    pub csrf: &'a str,
    /// POST with `provider_id`.
    pub unlink_action: &'a str,
    pub rows: Vec<IdentityRow<'a>>,
}

pub fn identities_panel(p: &IdentitiesPanel<'_>) -> Markup {
    let body = panel(
        None,
        html! {
            h2 id="identities-title" class="mb-4 text-base font-semibold text-slate-900 dark:text-white" { "Linked sign-in accounts" }
            @if p.rows.is_empty() {
                p class="text-sm text-slate-500 dark:text-slate-400" { "None: they sign in here only." }
            } @else {
                ul class="divide-y divide-slate-200 dark:divide-slate-800" {
                    @for r in &p.rows {
                        li class="flex flex-wrap items-center justify-between gap-3 py-3" {
                            div class="min-w-0" {
                                div class="font-semibold break-words text-slate-900 dark:text-white" { (r.provider) }
                                div class="font-mono text-xs break-all text-slate-600 dark:text-slate-300" { "sub " (r.subject) }
                                div class="mt-1 text-xs text-slate-500 dark:text-slate-400" {
                                    "Linked " (when(&r.linked)) " · last used " (when(&r.last_used))
                                }
                            }
                            @let form = PostForm { hidden: vec![("provider_id", r.provider_id)], ..PostForm::new(p.unlink_action, p.csrf) };
                            div class="shrink-0" { (post_button(&form, "Unlink", BTN_ROW_DANGER, false)) }
                        }
                    }
                }
            }
        },
    );
    html! { div id="identities" role="region" aria-labelledby="identities-title" { (body) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_the_subject_and_post_their_provider() {
        let html = identities_panel(&IdentitiesPanel {
            csrf: "t",
            unlink_action: "/admin/users/u/upstream/unlink",
            rows: vec![IdentityRow {
                provider: "<Corp>",
                provider_id: "p1",
                subject: "sub-\"1",
                linked: When::default(),
                last_used: When::default(),
            }],
        })
        .into_string();
        assert!(html.contains("&lt;Corp&gt;"));
        assert!(html.contains("sub-&quot;1"));
        assert!(html.contains("name=\"provider_id\" value=\"p1\""));
        assert!(html.contains("action=\"/admin/users/u/upstream/unlink\""));
    }
}
