//! User rows.

use super::{Error, Result, Store, on_pool};
use crate::model::user::{Role, User};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
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
        })
    }
}

const COLUMNS: &str = "id, username, password_hash, role, disabled, created_at";

impl Store {
    pub async fn insert_user(&self, user: &NewUser) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(&user.id)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.role.as_str())
            .bind(false)
            .bind(user.now)
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

    pub async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(pool).await?
        });
        Ok(n)
    }
}
