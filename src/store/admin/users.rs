//! Users: the admin listing and changes.

use super::{Arg, Sql, bind_all, contains_pattern};
use crate::model::user::Role;
use crate::store::{Error, Result, Store, Topic, on_pool};

/// A user as the admin list shows it.
#[derive(Debug, Clone)]
pub struct UserListing {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    pub active_tokens: i64,
}

#[derive(sqlx::FromRow)]
struct UserListingRow {
    id: String,
    username: String,
    role: String,
    disabled: bool,
    created_at: i64,
    active_tokens: i64,
}

impl Store {
    /// Users by username after `after` (keyset), with live token counts;
    /// `search` matches part of the username. At most `limit`.
    pub async fn list_users(
        &self,
        search: Option<&str>,
        after: Option<&str>,
        now: i64,
        limit: i64,
    ) -> Result<Vec<UserListing>> {
        let mut sql = Sql::new("");
        let n = sql.int(now);
        sql.push(&format!(
            "SELECT u.id, u.username, u.role, u.disabled, u.created_at, \
             (SELECT COUNT(*) FROM access_tokens t WHERE t.user_id = u.id \
                AND t.revoked_at IS NULL AND t.expires_at > {n}) AS active_tokens \
             FROM users u WHERE 1 = 1"
        ));
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let like = sql.text(&contains_pattern(search));
            sql.push(&format!(" AND LOWER(u.username) LIKE {like} ESCAPE '\\'"));
        }
        if let Some(after) = after {
            let a = sql.text(after);
            sql.push(&format!(" AND u.username > {a}"));
        }
        let l = sql.int(limit);
        sql.push(&format!(" ORDER BY u.username LIMIT {l}"));
        let rows: Vec<UserListingRow> = on_pool!(self, pool => {
            bind_all!(sqlx::query_as(&sql.text), &sql.args).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| {
                let role = Role::parse(&r.role).ok_or_else(|| {
                    Error::Corrupt(format!("user {}: unknown role {}", r.id, r.role))
                })?;
                Ok(UserListing {
                    id: r.id,
                    username: r.username,
                    role,
                    disabled: r.disabled,
                    created_at: r.created_at,
                    active_tokens: r.active_tokens,
                })
            })
            .collect()
    }

    /// Disables or enables a user. `false` when it was already so.
    pub async fn set_user_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 AND disabled = $4")
                .bind(disabled)
                .bind(now)
                .bind(id)
                .bind(!disabled)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Tokens).await;
            self.changed(Topic::Users).await;
        }
        Ok(n == 1)
    }

    pub async fn set_user_password_hash(&self, id: &str, hash: &str, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Users).await;
        }
        Ok(n == 1)
    }

    /// Gives a user `role`. `false` when they already had it.
    pub async fn set_user_role(&self, id: &str, role: Role, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND role <> $1")
                .bind(role.as_str())
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if n > 0 {
            self.changed(Topic::Users).await;
        }
        Ok(n == 1)
    }
}
