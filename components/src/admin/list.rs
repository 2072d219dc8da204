//! The admin list pages' one shape: filters (with the link that adds to
//! the list beside them), what the list is narrowed to, a table that says
//! when it is empty, and the way to further pages.
//!
//! Every list page (device codes, tokens, clients, users, audit log) is a
//! [`list_view`] around a [`data_table`], so filters, empty states and
//! paging look and read the same everywhere.

use maud::{Markup, html};

use super::{BTN_PRIMARY, BTN_QUIET};

/// A table's accessible name (its scroll frame's label), its columns, and
/// what it says when it has no rows.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    /// "OAuth clients": also the region screen readers can jump to.
    pub label: &'a str,
    pub head: &'a [&'a str],
    /// "No clients match.", in one row across every column.
    pub empty: &'a str,
}

/// Classes of a table row: from `md` up a row of the table; narrower, a
/// card of its cells, one under the other, so nothing needs scrolling
/// sideways on a phone.
pub const TR: &str = "block py-2 md:table-row md:py-0";

/// Classes of a table cell: a table cell from `md` up; narrower, one
/// "label  value" line of its row's card (see [`cell`]).
pub const TD: &str =
    "flex items-baseline gap-3 px-3 py-1 md:table-cell md:px-3 md:py-2.5 md:align-top";

/// A cell of a [`data_table`] row under the column `label`: the label is
/// shown beside the value only while the row is a card (narrow screens),
/// where the column headers are hidden. `class` adds to [`TD`].
pub fn cell(label: &str, class: &str, content: Markup) -> Markup {
    html! {
        td class={ (TD) @if !class.is_empty() { " " (class) } } {
            span class="w-24 shrink-0 text-xs font-semibold uppercase tracking-wide text-slate-500 md:hidden dark:text-slate-400" { (label) }
            div class="min-w-0 flex-1 break-words" { (content) }
        }
    }
}

/// `rows` as a table, one `<tr class=TR>` each from `row` (made of
/// [`cell`]s). From `md` up it is a table in a frame that scrolls sideways
/// when too narrow (the frame is focusable, so keyboard users can scroll it
/// too); on phones each row is a card of labelled lines, actions included.
/// No rows make one row saying [`Table::empty`].
pub fn data_table<T>(t: &Table<'_>, rows: &[T], row: impl Fn(&T) -> Markup) -> Markup {
    html! {
        div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900"
            role="region" aria-label=(t.label) tabindex="0" {
            table class="block w-full text-left text-sm md:table md:min-w-[44rem]" {
                thead class="hidden border-b border-slate-200 bg-slate-50 text-xs font-semibold uppercase tracking-wide text-slate-500 md:table-header-group dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400" {
                    tr {
                        @for h in t.head {
                            th scope="col" class="whitespace-nowrap px-3 py-2.5" { (h) }
                        }
                    }
                }
                tbody class="block divide-y divide-slate-200 md:table-row-group dark:divide-slate-800" {
                    @if rows.is_empty() {
                        tr class=(TR) { td colspan=(t.head.len()) class="block px-3 py-8 text-left text-slate-500 md:table-cell sm:text-center dark:text-slate-400" { (t.empty) } }
                    }
                    @for r in rows { (row(r)) }
                }
            }
        }
    }
}

/// Asserts that `html` (one rendered row) is a card row whose cells carry
/// the labels `head`, in order: what a phone shows instead of the headers.
#[cfg(test)]
#[allow(clippy::panic)]
pub(crate) fn assert_card_labels(html: &str, head: &[&str]) {
    assert!(html.starts_with(&format!(r#"<tr class="{TR}""#)), "{html}");
    let mut from = 0;
    for h in head {
        let label = format!(
            ">{}</span><div class=\"min-w-0 flex-1 break-words\">",
            maud::html! { (h) }.into_string()
        );
        match html[from..].find(&label) {
            Some(at) => from += at + label.len(),
            None => panic!("label {h} (in order) in {html}"),
        }
    }
    assert_eq!(html.matches("<td").count(), head.len(), "{html}");
}

/// Links to the other pages of a listing.
#[derive(Debug, Clone, Default)]
pub enum Pager {
    /// Not paged: everything is on one page.
    #[default]
    None,
    /// Newest first, paged both ways by time (keyset on time and id).
    ByTime {
        newer: Option<String>,
        older: Option<String>,
    },
    /// In name order, paged forwards only; the way back is the first page.
    ByName {
        first: Option<String>,
        next: Option<String>,
    },
}

/// A link of the pager: where, its words, and its `rel`.
type PageLink<'a> = (&'a str, &'a str, Option<&'a str>);

pub fn pager(p: &Pager) -> Markup {
    let (back, forward): (Option<PageLink<'_>>, Option<PageLink<'_>>) = match p {
        Pager::None => (None, None),
        Pager::ByTime { newer, older } => (
            newer.as_deref().map(|h| (h, "← Newer", Some("prev"))),
            older.as_deref().map(|h| (h, "Older →", Some("next"))),
        ),
        Pager::ByName { first, next } => (
            first.as_deref().map(|h| (h, "← First page", None)),
            next.as_deref().map(|h| (h, "Next →", Some("next"))),
        ),
    };
    html! {
        @if back.is_some() || forward.is_some() {
            nav aria-label="Pages" class="flex items-center justify-between gap-3" {
                @if let Some((href, text, rel)) = back { a href=(href) class=(BTN_QUIET) rel=[rel] { (text) } } @else { span {} }
                @if let Some((href, text, rel)) = forward { a href=(href) class=(BTN_QUIET) rel=[rel] { (text) } }
            }
        }
    }
}

/// The GET form narrowing a list: its accessible name, where it goes
/// (Reset goes there without parameters), and its fields.
#[derive(Debug, Clone)]
pub struct Filters<'a> {
    pub label: &'a str,
    pub action: &'a str,
    pub fields: Markup,
}

/// A list page around its table.
#[derive(Debug, Clone)]
pub struct ListView<'a> {
    pub filters: Filters<'a>,
    /// The link that adds to the list ("New client"): (href, label).
    pub create: Option<(&'a str, &'a str)>,
    /// Between the filters and the table: what the list is narrowed to,
    /// bulk actions, a live marker.
    pub toolbar: Option<Markup>,
    pub pager: Pager,
    /// Small print under the list.
    pub footnote: Option<&'a str>,
}

/// The filters as a GET form with Apply and Reset.
fn filter_bar(f: &Filters<'_>) -> Markup {
    html! {
        form method="get" action=(f.action) role="search" aria-label=(f.label)
            class="flex flex-wrap items-end gap-3 rounded-xl border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-800 dark:bg-slate-900" {
            (f.fields)
            div class="flex gap-2" {
                button type="submit" class=(BTN_PRIMARY) { "Apply" }
                a href=(f.action) class=(BTN_QUIET) { "Reset" }
            }
        }
    }
}

pub fn list_view(p: &ListView<'_>, table: Markup) -> Markup {
    let filters = filter_bar(&p.filters);
    html! {
        div class="space-y-4" {
            @if let Some((href, label)) = p.create {
                div class="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between" {
                    div class="min-w-0 flex-1" { (filters) }
                    a href=(href) class={ (BTN_PRIMARY) " self-start sm:self-auto" } { (label) }
                }
            } @else {
                (filters)
            }
            @if let Some(toolbar) = &p.toolbar { (toolbar) }
            (table)
            (pager(&p.pager))
            @if let Some(note) = p.footnote {
                p class="text-xs text-slate-500 dark:text-slate-400" { (note) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Table<'static> = Table {
        label: "Tokens",
        head: &["When", "Who"],
        empty: "No tokens match.",
    };

    #[test]
    fn tables_scroll_in_a_labelled_focusable_frame() {
        let html = data_table(&T, &["x"], |_| html! { tr {} }).into_string();
        assert!(html.contains(r#"role="region" aria-label="Tokens" tabindex="0""#));
        assert!(html.contains("overflow-x-auto"));
        assert!(html.contains(r#"<th scope="col""#));
        assert!(!html.contains("No tokens match."));
    }

    #[test]
    fn rows_are_cards_of_labelled_cells_on_phones_and_a_table_from_md_up() {
        let html = data_table(&T, &["x"], |r| {
            html! { tr class=(TR) { (cell("Who", "md:max-w-64", html! { (r) })) } }
        })
        .into_string();
        // Headers only from md up; rows and cells blocks below it.
        assert!(
            html.contains(r#"<thead class="hidden "#) && html.contains("md:table-header-group")
        );
        assert!(html.contains(r#"<tr class="block py-2 md:table-row"#));
        assert!(
            html.contains(r#"<td class="flex items-baseline"#) && html.contains("md:table-cell")
        );
        assert!(
            html.contains(" md:max-w-64\""),
            "extra classes kept: {html}"
        );
        // The label shows beside the value while the row is a card.
        assert!(html.contains(r#"md:hidden dark:text-slate-400">Who</span><div class="min-w-0 flex-1 break-words">x</div>"#));
        // The table needs its width only where it is a table.
        assert!(html.contains("md:min-w-[44rem]") && !html.contains(" min-w-[44rem]"));
    }

    #[test]
    fn an_empty_table_says_so_across_every_column() {
        let html = data_table::<&str>(&T, &[], |_| html! {}).into_string();
        assert!(html.contains(r#"<td colspan="2""#));
        assert!(html.contains("No tokens match."));
    }

    #[test]
    fn rows_and_labels_are_escaped() {
        let t = Table {
            label: "<b>label",
            head: &["<i>head"],
            empty: "",
        };
        let html = data_table(&t, &["<script>"], |r| html! { tr { td { (r) } } }).into_string();
        assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn pagers_name_their_direction() {
        assert_eq!(pager(&Pager::None).into_string(), "");
        assert_eq!(
            pager(&Pager::ByTime {
                newer: None,
                older: None
            })
            .into_string(),
            ""
        );
        let time = pager(&Pager::ByTime {
            newer: Some("/a?before=1".into()),
            older: Some("/a?after=2".into()),
        })
        .into_string();
        assert!(time.contains(r#"<nav aria-label="Pages""#));
        assert!(time.contains(r#"href="/a?before=1""#) && time.contains(r#"rel="prev""#));
        assert!(time.contains("Older →") && time.contains(r#"rel="next""#));
        let name = pager(&Pager::ByName {
            first: None,
            next: Some("/u?after=bob&q=<x>".into()),
        })
        .into_string();
        assert!(name.contains("<span></span>"), "Next stays on the right");
        assert!(name.contains(r#"href="/u?after=bob&amp;q=&lt;x&gt;" class"#));
        assert!(name.contains("Next →"));
    }

    #[test]
    fn list_views_put_filters_create_table_pages_and_footnote_in_order() {
        let html = list_view(
            &ListView {
                filters: Filters {
                    label: "Search clients",
                    action: "/admin/clients",
                    fields: html! { input name="q"; },
                },
                create: Some(("/admin/clients/new", "New client")),
                toolbar: Some(html! { p { "Narrowed" } }),
                pager: Pager::ByName {
                    first: Some("/admin/clients".into()),
                    next: None,
                },
                footnote: Some("Kept <90> days."),
            },
            html! { table {} },
        )
        .into_string();
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} in {html}"));
        assert!(html.contains(r#"role="search" aria-label="Search clients""#));
        assert!(html.contains(r#"<a href="/admin/clients" class"#), "Reset");
        assert!(at("Search clients") < at("New client"));
        assert!(at("New client") < at("Narrowed"));
        assert!(at("Narrowed") < at("<table>"));
        assert!(at("<table>") < at("← First page"));
        assert!(at("← First page") < at("Kept &lt;90&gt; days."));
    }

    #[test]
    fn a_list_without_create_link_shows_the_filters_alone() {
        let html = list_view(
            &ListView {
                filters: Filters {
                    label: "Filter",
                    action: "/x",
                    fields: html! {},
                },
                create: None,
                toolbar: None,
                pager: Pager::None,
                footnote: None,
            },
            html! {},
        )
        .into_string();
        assert!(html.starts_with(r#"<div class="space-y-4"><form method="get" action="/x""#));
        assert!(!html.contains("nav"));
    }
}
