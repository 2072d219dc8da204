//! Access tokens: the admin listing, counts and bulk revocation.

use super::{Arg, Cursor, Page, PageAt, Sql, bind_all, contains_pattern, finish, keyset};
use crate::model::token::TokenStatus;
use crate::store::{Result, Store, Topic, on_pool};

/// An access token as the admin table lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenListing {
    pub jti: String,
    /// `None` for a client's own token (the client credentials grant).
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    /// The RFC 8707 resources it is for, space-separated; empty when its
    /// audience is the issuer.
    pub audience: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub grant_id: Option<String>,
}

/// The admin table's filter over access tokens.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter<'a> {
    /// A token id, or part of a username, client id or client name.
    pub search: Option<&'a str>,
    pub status: Option<TokenStatus>,
    pub user_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    /// People's tokens or clients' own, or both when `None`.
    pub kind: Option<TokenKind>,
}

/// Whose an access token is: a person's, or a client's own (a machine's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    People,
    Machines,
}

impl TokenKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "people" => Some(Self::People),
            "machines" => Some(Self::Machines),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::People => "people",
            Self::Machines => "machines",
        }
    }
}

/// Whose tokens a bulk revocation is for.
#[derive(Debug, Clone, Copy)]
pub enum TokenOwner<'a> {
    User(&'a str),
    Client(&'a str),
}

impl TokenOwner<'_> {
    fn column(self) -> (&'static str, String) {
        match self {
            TokenOwner::User(id) => ("user_id", id.to_owned()),
            TokenOwner::Client(id) => ("client_id", id.to_owned()),
        }
    }
}

/// The query choosing one page of access tokens, from `access_tokens`
/// alone so that it is an index range scan on `(issued_at, jti)` (or the
/// user's or client's composite index); only the page's rows are then
/// joined with their user and client. The status conditions use unary `+`
/// so that SQLite, which has no statistics, does not prefer the
/// `(revoked_at, expires_at)` index of the counts and sort the whole
/// table; PostgreSQL reads `+x` as `x`.
fn token_page(filter: &TokenFilter<'_>, now: i64, at: &PageAt, limit: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT t.jti, t.user_id, t.client_id, t.scope, t.audience, t.issued_at, \
         t.expires_at, t.revoked_at, t.grant_id FROM access_tokens t WHERE 1 = 1",
    );
    match filter.status {
        Some(TokenStatus::Active) => {
            let n = sql.int(now);
            sql.push(&format!(
                " AND +t.revoked_at IS NULL AND +t.expires_at > {n}"
            ));
        }
        Some(TokenStatus::Revoked) => {
            sql.push(" AND +t.revoked_at IS NOT NULL");
        }
        Some(TokenStatus::Expired) => {
            let n = sql.int(now);
            sql.push(&format!(
                " AND +t.revoked_at IS NULL AND +t.expires_at <= {n}"
            ));
        }
        None => {}
    }
    match filter.kind {
        Some(TokenKind::People) => {
            sql.push(" AND t.user_id IS NOT NULL");
        }
        Some(TokenKind::Machines) => {
            sql.push(" AND t.user_id IS NULL");
        }
        None => {}
    }
    if let Some(user) = filter.user_id {
        let u = sql.text(user);
        sql.push(&format!(" AND t.user_id = {u}"));
    }
    if let Some(client) = filter.client_id {
        let c = sql.text(client);
        sql.push(&format!(" AND t.client_id = {c}"));
    }
    if let Some(search) = filter.search.map(str::trim).filter(|s| !s.is_empty()) {
        let exact = sql.text(search);
        let like = sql.text(&contains_pattern(search));
        sql.push(&format!(
            " AND (t.jti = {exact} \
             OR t.user_id IN (SELECT id FROM users WHERE LOWER(username) LIKE {like} ESCAPE '\\') \
             OR t.client_id IN (SELECT id FROM oauth_clients \
                WHERE id = {exact} OR LOWER(name) LIKE {like} ESCAPE '\\'))"
        ));
    }
    keyset(&mut sql, "t.issued_at", "t.jti", at, limit);
    sql
}

impl Store {
    /// One page of access tokens matching `filter`, newest first.
    pub async fn list_access_tokens(
        &self,
        filter: &TokenFilter<'_>,
        now: i64,
        at: &PageAt,
        limit: i64,
    ) -> Result<Page<TokenListing>> {
        let sql = token_page(filter, now, at, limit);
        let order = if matches!(at, PageAt::Newer(_)) {
            "ASC"
        } else {
            "DESC"
        };
        let text = format!(
            "SELECT p.jti, p.user_id, u.username, p.client_id, c.name AS client_name, p.scope, \
             p.audience, p.issued_at, p.expires_at, p.revoked_at, p.grant_id FROM ({}) p \
             LEFT JOIN users u ON u.id = p.user_id JOIN oauth_clients c ON c.id = p.client_id \
             ORDER BY p.issued_at {order}, p.jti {order}",
            sql.text
        );
        let rows: Vec<TokenListing> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&text), &sql.args).fetch_all(pool).await?
        });
        Ok(finish(rows, at, limit, |t| Cursor {
            at: t.issued_at,
            id: t.jti.clone(),
        }))
    }

    /// How many live (unrevoked, unexpired) access tokens `owner` has.
    pub async fn count_live_tokens(&self, owner: TokenOwner<'_>, now: i64) -> Result<i64> {
        let (column, id) = owner.column();
        let sql = format!(
            "SELECT COUNT(*) FROM access_tokens \
             WHERE {column} = $1 AND revoked_at IS NULL AND expires_at > $2"
        );
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(&id).bind(now).fetch_one(pool).await?
        });
        Ok(n)
    }

    /// Revokes one access token whoever its client. `false` when there was
    /// no such unrevoked token.
    pub async fn revoke_access_token_by_id(&self, jti: &str, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(jti)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Tokens).await;
        }
        Ok(n == 1)
    }

    /// Revokes every grant, access token and refresh token of `owner` in one
    /// transaction. Returns how many access tokens were live.
    pub async fn revoke_all_tokens_of(&self, owner: TokenOwner<'_>, now: i64) -> Result<u64> {
        let (column, id) = owner.column();
        let live = format!(
            "UPDATE access_tokens SET revoked_at = $1 \
             WHERE {column} = $2 AND revoked_at IS NULL AND expires_at > $1"
        );
        let rest = [
            format!(
                "UPDATE access_tokens SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"
            ),
            format!(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"
            ),
            format!("UPDATE grants SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"),
        ];
        let n = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(&live)
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for statement in &rest {
                sqlx::query(statement).bind(now).bind(&id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            n
        });
        self.changed(Topic::Tokens).await;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cursor;

    /// The token listing is an index range scan in SQLite, not a scan and
    /// sort of the whole table.
    #[tokio::test]
    async fn token_pages_use_an_index() {
        let store = Store::connect(
            "sqlite::memory:",
            &crate::store::PoolSettings {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .expect("connect");
        store.migrate().await.expect("migrate");
        let pool = store.sqlite_pool().expect("sqlite").clone();
        let older = PageAt::Older(Cursor {
            at: 5,
            id: "j".into(),
        });
        for (filter, at) in [
            (TokenFilter::default(), PageAt::First),
            (
                TokenFilter {
                    status: Some(TokenStatus::Active),
                    ..Default::default()
                },
                PageAt::First,
            ),
            (
                TokenFilter {
                    status: Some(TokenStatus::Revoked),
                    ..Default::default()
                },
                older.clone(),
            ),
            (
                TokenFilter {
                    search: Some("alice"),
                    ..Default::default()
                },
                older.clone(),
            ),
            (
                TokenFilter {
                    user_id: Some("u"),
                    ..Default::default()
                },
                PageAt::Older(Cursor {
                    at: 5,
                    id: "j".into(),
                }),
            ),
            (
                TokenFilter {
                    client_id: Some("c"),
                    status: Some(TokenStatus::Active),
                    ..Default::default()
                },
                PageAt::Newer(Cursor {
                    at: 5,
                    id: "j".into(),
                }),
            ),
        ] {
            let sql = token_page(&filter, 0, &at, 50);
            let explain = format!("EXPLAIN QUERY PLAN {}", sql.text);
            let plan: Vec<(i64, i64, i64, String)> = bind_all!(sqlx::query_as(&explain), &sql.args)
                .fetch_all(&pool)
                .await
                .expect("plan");
            let plan: Vec<String> = plan.into_iter().map(|r| r.3).collect();
            let text = plan.join(" | ");
            assert!(text.contains("INDEX access_tokens_"), "{text}");
            // A search seeks the matching users' and clients' tokens
            // through their indexes and sorts only those.
            if filter.search.is_none() {
                assert!(!text.contains("TEMP B-TREE"), "no sort: {text}");
            }
        }
        // And the whole listing query runs.
        let page = store
            .list_access_tokens(
                &TokenFilter {
                    search: Some("a_%"),
                    ..Default::default()
                },
                0,
                &PageAt::First,
                10,
            )
            .await
            .expect("list");
        assert!(page.rows.is_empty());
    }
}
