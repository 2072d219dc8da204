//! The admin dashboard's queries: the overview's counts, filtered listings
//! with keyset pagination, and the bulk changes administrators make.
//!
//! Filters are added to the SQL only when they are set, so that each query
//! shape can use the index made for it (migrations `0004_admin`, `0010`).
//! Time-ordered listings (tokens, audit events, device codes) page by keyset
//! on `(time, id)`: a page is
//! an index range scan whatever the table size, where `OFFSET` would read
//! and discard every row before the page.

mod audit;
mod clients;
mod counts;
mod device_codes;
mod tokens;
mod users;

pub use audit::{AuditFilter, AuditListing};
pub use clients::ClientListing;
pub use counts::DashboardCounts;
pub use device_codes::{CodeCursor, CodePage, CodePart, DeviceCodeFilter, DeviceCodeListing};
pub use tokens::{TokenFilter, TokenKind, TokenListing, TokenOwner};
pub use users::UserListing;

/// A value bound to a query built at run time.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// SQL text with `$n` placeholders and the values they stand for.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds a value and returns its placeholder.
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn text(&mut self, value: &str) -> String {
        self.arg(Arg::Text(value.to_owned()))
    }

    fn int(&mut self, value: i64) -> String {
        self.arg(Arg::Int(value))
    }
}

/// Binds every argument of a [`Sql`] to a query, in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(s) => query.bind(s.clone()),
                Arg::Int(i) => query.bind(*i),
            };
        }
        query
    }};
}
use bind_all;

/// `%needle%` for `LIKE ... ESCAPE '\'`, lower-cased, with the pattern
/// characters of the needle itself escaped.
fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A position in a time-ordered listing: the `(time, id)` of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
}

impl Cursor {
    /// `"<at>.<id>"`, as carried in links.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.id)
    }

    /// The inverse of [`Cursor::encode`]; `None` for anything else.
    pub fn decode(s: &str) -> Option<Self> {
        let (at, id) = s.split_once('.')?;
        let at = at.parse().ok()?;
        (!id.is_empty() && id.len() <= 128).then(|| Cursor {
            at,
            id: id.to_owned(),
        })
    }
}

/// Which page of a newest-first listing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageAt {
    /// The newest rows.
    #[default]
    First,
    /// Rows older than the cursor.
    Older(Cursor),
    /// Rows newer than the cursor.
    Newer(Cursor),
}

/// One page of a newest-first listing and the cursors of its neighbours.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    /// Set when older rows exist: pass as [`PageAt::Older`].
    pub older: Option<Cursor>,
    /// Set when newer rows exist: pass as [`PageAt::Newer`].
    pub newer: Option<Cursor>,
}

/// Appends the keyset condition of `at` on `(time_col, id_col)` and the
/// matching `ORDER BY ... LIMIT`. The redundant `time_col <=`/`>=` bound
/// lets both engines seek the index instead of filtering a scan.
fn keyset(sql: &mut Sql, time_col: &str, id_col: &str, at: &PageAt, limit: i64) {
    let (cursor, cmp, order) = match at {
        PageAt::First => (None, "", "DESC"),
        PageAt::Older(c) => (Some(c), "<", "DESC"),
        PageAt::Newer(c) => (Some(c), ">", "ASC"),
    };
    if let Some(c) = cursor {
        let t = sql.int(c.at);
        let i = sql.text(&c.id);
        sql.push(&format!(
            " AND {time_col} {cmp}= {t} AND ({time_col} {cmp} {t} OR {id_col} {cmp} {i})"
        ));
    }
    let n = sql.int(limit + 1);
    sql.push(&format!(
        " ORDER BY {time_col} {order}, {id_col} {order} LIMIT {n}"
    ));
}

/// Cuts the `limit + 1` rows fetched for `at` down to a page, newest first.
fn finish<T>(mut rows: Vec<T>, at: &PageAt, limit: i64, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    if matches!(at, PageAt::Newer(_)) {
        rows.reverse();
    }
    let first = rows.first().map(&cursor);
    let last = rows.last().map(&cursor);
    let (older, newer) = match at {
        PageAt::First => (last.filter(|_| more), None),
        PageAt::Older(c) => (last.filter(|_| more), first.or_else(|| Some(c.clone()))),
        PageAt::Newer(c) => (last.or_else(|| Some(c.clone())), first.filter(|_| more)),
    };
    Page { rows, older, newer }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = Cursor {
            at: 1_700_000_000,
            id: "0d6c.x".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("x.y"), None);
        assert_eq!(Cursor::decode("12."), None);
        assert_eq!(Cursor::decode("12"), None);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Al_ice%"), "%al\\_ice\\%%");
    }

    #[test]
    fn pages_know_their_neighbours() {
        let cur = |n: i64| Cursor {
            at: n,
            id: n.to_string(),
        };
        // Newest first: 9 8 7 (6 is the extra row).
        let p = finish(vec![9, 8, 7, 6], &PageAt::First, 3, |n| cur(*n));
        assert_eq!(p.rows, vec![9, 8, 7]);
        assert_eq!((p.older, p.newer), (Some(cur(7)), None));
        let p = finish(vec![6, 5], &PageAt::Older(cur(7)), 3, |n| cur(*n));
        assert_eq!((p.older, p.newer), (None, Some(cur(6))));
        // Going back up from 6: fetched ascending 7 8 9 10.
        let p = finish(vec![7, 8, 9, 10], &PageAt::Newer(cur(6)), 3, |n| cur(*n));
        assert_eq!(p.rows, vec![9, 8, 7]);
        assert_eq!((p.older, p.newer), (Some(cur(7)), Some(cur(9))));
    }
}
