//! User rows.

use super::{Error, Result, Store, on_pool};
use crate::model::user::{Profile, Role, User};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub profile: Profile,
    pub now: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    username: String,
    password_hash: String,
    role: String,
    disabled: bool,
    created_at: i64,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    require_second_factor: bool,
    session_epoch: i64,
}

impl TryFrom<UserRow> for User {
    type Error = Error;

    fn try_from(row: UserRow) -> Result<Self> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| Error::Corrupt(format!("user {}: unknown role {}", row.id, row.role)))?;
        Ok(User {
            id: row.id.into(),
            username: row.username,
            password_hash: row.password_hash,
            role,
            disabled: row.disabled,
            created_at: row.created_at,
            profile: Profile {
                email: row.email,
                email_verified: row.email_verified,
                name: row.name,
            },
            require_second_factor: row.require_second_factor,
            session_epoch: row.session_epoch,
        })
    }
}

const COLUMNS: &str = "id, username, password_hash, role, disabled, created_at, email, \
    email_verified, name, require_second_factor, session_epoch";

impl Store {
    pub async fn insert_user(&self, user: &NewUser) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at, \
                 email, email_verified, name) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
            )
            .bind(&user.id)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.role.as_str())
            .bind(false)
            .bind(user.now)
            .bind(&user.profile.email)
            .bind(user.profile.email_verified)
            .bind(&user.profile.name)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(User::try_from).transpose()
    }

    pub async fn find_user_by_username(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?
        });
        row.map(User::try_from).transpose()
    }

    /// Replaces a user's profile. `false` when the user is gone.
    pub async fn set_user_profile(&self, id: &str, profile: &Profile, now: i64) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET email = $1, email_verified = $2, name = $3, updated_at = $4 \
                 WHERE id = $5",
            )
            .bind(&profile.email)
            .bind(profile.email_verified)
            .bind(&profile.name)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(super::Topic::Users).await;
        }
        Ok(n == 1)
    }

    /// Sets whether `id` must use a second factor. `false` when the user
    /// is gone.
    pub async fn set_user_requires_second_factor(
        &self,
        id: &str,
        required: bool,
        now: i64,
    ) -> Result<bool> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE users SET require_second_factor = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(required)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n > 0 {
            self.changed(super::Topic::Users).await;
        }
        Ok(n == 1)
    }

    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await?
        });
        Ok(n)
    }
}
