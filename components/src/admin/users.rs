//! `/admin/users`: accounts, roles, passwords.

use maud::{Markup, html};

use super::{
    BTN_PRIMARY, BTN_QUIET, BTN_QUIET_DANGER, Filters, Hue, ListView, Pager, PostForm, TR, Table,
    When, badge, cell, checkbox, data_table, details, filter_input, link, list_view, panel,
    post_button, when,
};
use crate::feedback::{Tone, alert};
use crate::form::{Field, csrf_field, field};

#[derive(Debug, Clone)]
pub struct UserRow<'a> {
    pub username: &'a str,
    pub href: String,
    pub admin: bool,
    pub disabled: bool,
    pub active_tokens: i64,
    pub tokens_href: String,
    pub created: When,
    /// The signed-in administrator's own row.
    pub is_you: bool,
}

#[derive(Debug, Clone)]
pub struct UsersPage<'a> {
    pub form_action: &'a str,
    pub search: &'a str,
    pub new_href: &'a str,
    pub rows: Vec<UserRow<'a>>,
    /// [`Pager::ByName`]: users are listed by username.
    pub pager: Pager,
    pub csrf: &'a str,
    /// Whether everyone must use a second factor, and the POST that
    /// changes it (`required=on|off`).
    pub everyone_requires_second_factor: bool,
    pub second_factor_action: &'a str,
}

const TABLE: Table<'static> = Table {
    label: "Users",
    head: &["Username", "Role", "Status", "Active tokens", "Created"],
    empty: "No users match.",
};

pub fn users_page(p: &UsersPage<'_>) -> Markup {
    let view = ListView {
        filters: Filters {
            label: "Search users",
            action: p.form_action,
            fields: filter_input("users-q", "q", "Search", p.search, "username"),
        },
        create: Some((p.new_href, "New user")),
        toolbar: None,
        pager: p.pager.clone(),
        footnote: None,
    };
    let post = PostForm::new(p.second_factor_action, p.csrf);
    html! {
        (list_view(&view, data_table(&TABLE, &p.rows, user_row)))
        div class="mt-6" {
            (panel(Some("Second factor for everyone"), html! {
                div class="flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between" {
                    p class="text-sm text-slate-600 dark:text-slate-300" {
                        @if p.everyone_requires_second_factor {
                            (badge(Hue::Info, "Required")) " Everyone must use a second factor: people without one set it up at their next sign-in, and approving a device or an app asks for it again after a while."
                        } @else {
                            "Not required of everyone. You can still require it of one person (on their page) or to approve one client's requests."
                        }
                    }
                    div class="sm:w-64" {
                        @if p.everyone_requires_second_factor {
                            (post_button(&PostForm { hidden: vec![("required", "off")], ..post }, "Stop requiring it", BTN_QUIET, false))
                        } @else {
                            (post_button(&PostForm { hidden: vec![("required", "on")], ..post }, "Require it of everyone", BTN_QUIET, false))
                        }
                    }
                }
            }))
        }
    }
}

fn user_row(u: &UserRow<'_>) -> Markup {
    html! {
        tr class=(TR) {
            (cell("Username", "", html! {
                (link(&u.href, u.username))
                @if u.is_you { span class="ml-1 text-xs text-slate-500 dark:text-slate-400" { "(you)" } }
            }))
            (cell("Role", "", html! { @if u.admin { (badge(Hue::Info, "Admin")) } @else { (badge(Hue::Neutral, "User")) } }))
            (cell("Status", "", html! { @if u.disabled { (badge(Hue::Bad, "Disabled")) } @else { (badge(Hue::Good, "Active")) } }))
            (cell("Active tokens", "tabular-nums", html! { a href=(u.tokens_href) class="hover:underline" { (u.active_tokens) } }))
            (cell("Created", "", when(&u.created)))
        }
    }
}

/// Problems with the new-user form.
#[derive(Debug, Clone, Default)]
pub struct UserErrors<'a> {
    pub username: Option<&'a str>,
    pub password: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct NewUserForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub admin: bool,
    pub errors: UserErrors<'a>,
    pub cancel: &'a str,
}

fn password_field(error: Option<&str>, autofocus: bool) -> Markup {
    field(&Field {
        id: "user-password",
        name: "password",
        label: "Password",
        kind: "password",
        autocomplete: "new-password",
        error,
        hint: Some("At least 8 characters. Leave it empty to generate one, shown once."),
        autofocus,
        ..Field::default()
    })
}

pub fn new_user_form(p: &NewUserForm<'_>) -> Markup {
    panel(
        None,
        html! {
            form method="post" action=(p.action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                (field(&Field {
                    id: "user-username",
                    name: "username",
                    label: "Username",
                    kind: "text",
                    value: p.username,
                    autocomplete: "off",
                    error: p.errors.username,
                    hint: Some("Letters, digits, dots, dashes, underscores or @; at most 64."),
                    required: true,
                    autofocus: p.errors.username.is_some() || p.errors.password.is_none(),
                    literal: true,
                    ..Field::default()
                }))
                (password_field(p.errors.password, p.errors.username.is_none() && p.errors.password.is_some()))
                (checkbox("user-admin", "admin", "Administrator", p.admin,
                    Some("Administrators can open this dashboard and manage everything in it.")))
                div class="flex flex-wrap gap-3" {
                    button type="submit" class=(BTN_PRIMARY) { "Create user" }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

#[derive(Debug, Clone)]
pub struct PasswordForm<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub cancel: &'a str,
}

pub fn password_form(p: &PasswordForm<'_>) -> Markup {
    panel(
        None,
        html! {
            form method="post" action=(p.action) class="max-w-2xl space-y-5" novalidate {
                (csrf_field(p.csrf))
                p class="text-sm text-slate-700 dark:text-slate-200" {
                    "A new password for " strong { (p.username) } ". Their current password stops working at once and their browser sessions end; tokens already issued keep working (revoke them from their page)."
                }
                (password_field(p.error, true))
                div class="flex flex-wrap gap-3" {
                    button type="submit" class=(BTN_PRIMARY) { "Set password" }
                    a href=(p.cancel) class=(BTN_QUIET) { "Cancel" }
                }
            }
        },
    )
}

/// The user page: details and actions.
#[derive(Debug, Clone)]
pub struct UserPage<'a> {
    pub username: &'a str,
    pub admin: bool,
    pub disabled: bool,
    pub created: When,
    pub active_tokens: i64,
    pub is_you: bool,
    pub csrf: &'a str,
    pub tokens_href: String,
    pub revoke_tokens_href: String,
    pub password_href: String,
    /// POST: grant or remove the administrator role.
    pub role_action: String,
    /// GET: the confirmation of disabling; POST to enable.
    pub disable_href: String,
    pub enable_action: String,
    /// Until when a sign-in lock-out holds, if one does.
    pub locked_until: Option<When>,
    /// POST: clear the account's sign-in lock-outs.
    pub unlock_action: String,
    pub email: Option<&'a str>,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    /// GET: the profile form.
    pub profile_href: String,
    /// An administrator requires a second factor of this person.
    pub second_factor_required: bool,
    /// ...or of everyone, which this page cannot change.
    pub second_factor_required_of_everyone: bool,
    /// POST `required=on|off`.
    pub second_factor_action: String,
    /// The second factors' panel (see `admin::factors`), under the account.
    pub second_factors: Markup,
    /// Their linked upstream accounts (see `admin::identities`).
    pub identities: Markup,
}

pub fn user_page(p: &UserPage<'_>) -> Markup {
    let post = |action| PostForm::new(action, p.csrf);
    html! {
        div class="grid gap-6 lg:grid-cols-3" {
            div class="min-w-0 lg:col-span-2" {
                (panel(Some("Account"), details(&[
                    ("Username", html! { (p.username) @if p.is_you { " (you)" } }),
                    ("E-mail", super::profile::email_detail(p.email, p.email_verified)),
                    ("Name", html! { @if let Some(name) = p.name { (name) } @else { span class="text-slate-500 dark:text-slate-400" { "None" } } }),
                    ("Role", html! { @if p.admin { (badge(Hue::Info, "Admin")) } @else { (badge(Hue::Neutral, "User")) } }),
                    ("Status", html! { @if p.disabled { (badge(Hue::Bad, "Disabled")) } @else { (badge(Hue::Good, "Active")) } }),
                    ("Sign-in", html! {
                        @if let Some(until) = &p.locked_until {
                            (badge(Hue::Warn, "Locked out")) " until " (when(until))
                        } @else {
                            (badge(Hue::Neutral, "Not locked"))
                        }
                    }),
                    ("Second factor", html! {
                        @if p.second_factor_required {
                            (badge(Hue::Info, "Required"))
                        } @else if p.second_factor_required_of_everyone {
                            (badge(Hue::Info, "Required of everyone"))
                        } @else {
                            (badge(Hue::Neutral, "Not required"))
                        }
                    }),
                    ("Active tokens", html! { (link(&p.tokens_href, &p.active_tokens.to_string())) }),
                    ("Created", when(&p.created)),
                ])))
                div class="mt-6" { (p.second_factors) }
                div class="mt-6" { (p.identities) }
            }
            div class="min-w-0" {
                (panel(Some("Actions"), html! {
                    @if p.is_you {
                        div class="mb-3" { (alert(Tone::Info, "This is your own account: you cannot disable it or remove its administrator role.")) }
                    }
                    ul class="flex flex-col gap-2" {
                        li { a href=(p.profile_href) class={ (BTN_QUIET) " w-full" } { "Edit profile…" } }
                        li { a href=(p.password_href) class={ (BTN_QUIET) " w-full" } { "Reset password…" } }
                        li {
                            @if p.admin {
                                (post_button(&PostForm { hidden: vec![("role", "user")], ..post(&p.role_action) },
                                    "Remove administrator role", BTN_QUIET, p.is_you))
                            } @else {
                                (post_button(&PostForm { hidden: vec![("role", "admin")], ..post(&p.role_action) },
                                    "Make administrator", BTN_QUIET, false))
                            }
                        }
                        li { (post_button(&post(&p.unlock_action), "Clear sign-in lock-outs", BTN_QUIET, false)) }
                        li {
                            @if p.second_factor_required {
                                (post_button(&PostForm { hidden: vec![("required", "off")], ..post(&p.second_factor_action) },
                                    "Stop requiring a second factor", BTN_QUIET, false))
                            } @else {
                                (post_button(&PostForm { hidden: vec![("required", "on")], ..post(&p.second_factor_action) },
                                    "Require a second factor", BTN_QUIET, false))
                            }
                        }
                        li { a href=(p.revoke_tokens_href) class={ (BTN_QUIET_DANGER) " w-full" } { "Revoke all tokens…" } }
                        li {
                            @if p.disabled {
                                (post_button(&post(&p.enable_action), "Enable account", BTN_QUIET, false))
                            } @else if p.is_you {
                                button type="button" class={ (BTN_QUIET_DANGER) " w-full" } disabled { "Disable account…" }
                            } @else {
                                a href=(p.disable_href) class={ (BTN_QUIET_DANGER) " w-full" } { "Disable account…" }
                            }
                        }
                    }
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_phones_each_row_is_a_card_of_labelled_lines() {
        let html = user_row(&UserRow {
            username: "alice",
            href: "/admin/users/x".into(),
            admin: false,
            disabled: true,
            active_tokens: 0,
            tokens_href: "/admin/tokens?user=x".into(),
            created: When::default(),
            is_you: false,
        })
        .into_string();
        crate::admin::list::assert_card_labels(&html, TABLE.head);
    }
}
