//! Sign-in for apps: the consent view of an authorization request
//! (RFC 6749 §4.1), built from the same parts as the device consent.

use maud::{Markup, html};

use crate::device::{detail, resources_list, scopes_and_decision};
use crate::feedback::card;

/// Props of the consent view.
#[derive(Debug, Clone)]
pub struct AppConsent<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub app_name: &'a str,
    /// Where the person returns: the redirect URI's host (or app scheme).
    pub returns_to: &'a str,
    /// The sealed consent ticket the decision form posts back.
    pub ticket: &'a str,
    /// Plain-words descriptions of the requested scopes.
    pub scopes: Vec<(&'a str, &'a str)>,
    /// RFC 8707 resources the request names, as (host, full URI).
    pub resources: Vec<(String, String)>,
    pub account: &'a str,
}

pub fn app_consent(p: &AppConsent<'_>) -> Markup {
    let title = format!("Sign in to {}?", p.app_name);
    card(html! {
        div class="mb-6 space-y-1.5" {
            h1 class="text-2xl font-bold tracking-tight text-slate-900 focus:outline-none dark:text-white" tabindex="-1" autofocus { (title) }
            p class="text-sm text-slate-600 dark:text-slate-300" { "An application is asking to act on your behalf. Only approve if you started this yourself." }
        }
        dl class="mb-6 divide-y divide-slate-200 text-sm dark:divide-slate-800" {
            (detail("Application", html! { (p.app_name) }))
            (detail("Returns you to", html! { span class="font-mono" data-testid="returns-to" { (p.returns_to) } }))
            (detail("Your account", html! { (p.account) }))
        }
        (resources_list(&p.resources))
        (scopes_and_decision(&p.scopes, p.action, p.csrf, p.ticket))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_consent_escapes_and_carries_only_the_ticket() {
        let html = app_consent(&AppConsent {
            action: "/oauth/authorize/decision",
            csrf: "t",
            app_name: "<script>alert(1)</script>",
            returns_to: "\"><img src=x onerror=alert(1)>",
            ticket: "sealed.ticket",
            scopes: vec![("read", "Read your data")],
            resources: vec![("orders.example".into(), "https://orders.example/api".into())],
            account: "alice",
        })
        .into_string();
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("Sign in to &lt;script&gt;"));
        assert!(html.contains("https://orders.example/api"));
        assert!(html.contains(r#"name="consent" value="sealed.ticket""#));
        assert!(html.contains(r#"name="decision" value="approve""#));
        assert!(html.contains(r#"name="decision" value="deny""#));
        assert!(html.contains(r#"action="/oauth/authorize/decision""#));
        assert!(
            !html.contains("redirect_uri"),
            "the form carries no request"
        );
    }
}
