//! Upstream providers, the upstream accounts linked to local ones, and
//! sign-ins waiting for their callback (see model/upstream.rs).
//!
//! A waiting sign-in is taken by one `DELETE ... RETURNING`: of two
//! callbacks carrying the same `state`, on one instance or several, one
//! gets the row and the other nothing.

use super::{Result, Store, on_pool};
use crate::model::Secret;
use crate::model::time::UnixSecs;
use crate::model::upstream::{ClaimMapping, Identity, PendingSignIn, Provider, ProviderKind};

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: String,
    kind: String,
    name: String,
    label: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    scopes: String,
    username_claim: String,
    email_claim: String,
    name_claim: String,
    create_accounts: bool,
    allowed_domains: String,
    trust_email: bool,
    hint_domains: String,
    enabled: bool,
    created_at: i64,
}

fn words(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

impl TryFrom<ProviderRow> for Provider {
    type Error = super::Error;

    fn try_from(r: ProviderRow) -> Result<Self> {
        let kind = ProviderKind::parse(&r.kind).ok_or_else(|| {
            super::Error::Corrupt(format!("provider {} has kind {:?}", r.name, r.kind))
        })?;
        Ok(Provider {
            id: r.id,
            kind,
            name: r.name,
            label: r.label,
            issuer: r.issuer,
            client_id: r.client_id,
            client_secret: Secret::new(r.client_secret),
            scopes: words(&r.scopes),
            claims: ClaimMapping {
                username: r.username_claim,
                email: r.email_claim,
                name: r.name_claim,
            },
            create_accounts: r.create_accounts,
            allowed_domains: words(&r.allowed_domains),
            trust_email: r.trust_email,
            hint_domains: words(&r.hint_domains),
            enabled: r.enabled,
            created_at: UnixSecs(r.created_at),
        })
    }
}

const PROVIDER_COLUMNS: &str = "id, name, label, issuer, client_id, client_secret, scopes, \
     username_claim, email_claim, name_claim, create_accounts, allowed_domains, trust_email, \
     enabled, created_at, kind, hint_domains";

#[derive(sqlx::FromRow)]
struct IdentityRow {
    provider_id: String,
    label: String,
    subject: String,
    user_id: String,
    created_at: i64,
    last_used_at: i64,
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    provider_id: String,
    nonce: String,
    pkce_verifier: String,
    next: String,
    expires_at: i64,
}

impl Store {
    /// Saves a new provider. [`super::Error::Conflict`] when its name is taken.
    pub async fn insert_upstream_provider(&self, p: &Provider) -> Result<()> {
        let sql = format!(
            "INSERT INTO upstream_providers ({PROVIDER_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        );
        on_pool!(writer self, pool => {
            sqlx::query(&sql)
                .bind(&p.id)
                .bind(&p.name)
                .bind(&p.label)
                .bind(&p.issuer)
                .bind(&p.client_id)
                .bind(p.client_secret.expose())
                .bind(p.scopes.join(" "))
                .bind(&p.claims.username)
                .bind(&p.claims.email)
                .bind(&p.claims.name)
                .bind(p.create_accounts)
                .bind(p.allowed_domains.join(" "))
                .bind(p.trust_email)
                .bind(p.enabled)
                .bind(p.created_at.0)
                .bind(p.kind.as_str())
                .bind(p.hint_domains.join(" "))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every provider, by name.
    pub async fn upstream_providers(&self) -> Result<Vec<Provider>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM upstream_providers ORDER BY name");
        let rows: Vec<ProviderRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(Provider::try_from).collect()
    }

    /// The provider called `name`.
    pub async fn upstream_provider(&self, name: &str) -> Result<Option<Provider>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM upstream_providers WHERE name = $1");
        let row: Option<ProviderRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(name).fetch_optional(pool).await?
        });
        row.map(Provider::try_from).transpose()
    }

    /// Saves an edited provider (found by its id; its name, id, status and
    /// creation time stay). False if it is gone.
    pub async fn update_upstream_provider(&self, p: &Provider) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "UPDATE upstream_providers SET label = $1, issuer = $2, client_id = $3, \
                 client_secret = $4, scopes = $5, username_claim = $6, email_claim = $7, \
                 name_claim = $8, create_accounts = $9, allowed_domains = $10, \
                 trust_email = $11, hint_domains = $12 WHERE id = $13",
            )
            .bind(&p.label)
            .bind(&p.issuer)
            .bind(&p.client_id)
            .bind(p.client_secret.expose())
            .bind(p.scopes.join(" "))
            .bind(&p.claims.username)
            .bind(&p.claims.email)
            .bind(&p.claims.name)
            .bind(p.create_accounts)
            .bind(p.allowed_domains.join(" "))
            .bind(p.trust_email)
            .bind(p.hint_domains.join(" "))
            .bind(&p.id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// How many upstream accounts are linked through the provider `provider_id`.
    pub async fn count_upstream_identities(&self, provider_id: &str) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM upstream_identities WHERE provider_id = $1")
                .bind(provider_id)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    /// The local account `subject` at `provider_id` is linked to, if any
    /// (without noting a use).
    pub async fn upstream_identity_owner(
        &self,
        provider_id: &str,
        subject: &str,
    ) -> Result<Option<String>> {
        let row: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT user_id FROM upstream_identities WHERE provider_id = $1 AND subject = $2",
            )
            .bind(provider_id)
            .bind(subject)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Turns the provider called `name` on or off; false if there is none.
    pub async fn set_upstream_provider_enabled(&self, name: &str, enabled: bool) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("UPDATE upstream_providers SET enabled = $1 WHERE name = $2")
                .bind(enabled)
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Removes the provider called `name` with its links and waiting
    /// sign-ins; false if there is none.
    pub async fn delete_upstream_provider(&self, name: &str) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM upstream_providers WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Records a sign-in sent to a provider, keyed by its state's hash,
    /// and forgets the ones that lapsed.
    pub async fn insert_upstream_sign_in(
        &self,
        state_hash: &str,
        pending: &PendingSignIn,
        now: UnixSecs,
    ) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM upstream_sign_ins WHERE expires_at < $1")
                .bind(now.0)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO upstream_sign_ins \
                 (state_hash, provider_id, nonce, pkce_verifier, next, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(state_hash)
            .bind(&pending.provider_id)
            .bind(pending.nonce.expose())
            .bind(pending.pkce_verifier.expose())
            .bind(&pending.next)
            .bind(pending.expires_at.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the waiting sign-in whose state hashes to `state_hash`, if
    /// it is there and unexpired at `now`: once, whoever asks.
    pub async fn take_upstream_sign_in(
        &self,
        state_hash: &str,
        now: UnixSecs,
    ) -> Result<Option<PendingSignIn>> {
        let row: Option<PendingRow> = on_pool!(writer self, pool => {
            sqlx::query_as(
                "DELETE FROM upstream_sign_ins WHERE state_hash = $1 \
                 RETURNING provider_id, nonce, pkce_verifier, next, expires_at",
            )
            .bind(state_hash)
            .fetch_optional(pool)
            .await?
        });
        Ok(row
            .filter(|r| r.expires_at >= now.0)
            .map(|r| PendingSignIn {
                provider_id: r.provider_id,
                nonce: Secret::new(r.nonce),
                pkce_verifier: Secret::new(r.pkce_verifier),
                next: r.next,
                expires_at: UnixSecs(r.expires_at),
            }))
    }

    /// The local account `subject` at `provider_id` is linked to, noting
    /// the use at `now`.
    pub async fn use_upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
        now: UnixSecs,
    ) -> Result<Option<String>> {
        let row: Option<(String,)> = on_pool!(writer self, pool => {
            sqlx::query_as(
                "UPDATE upstream_identities SET last_used_at = $1 \
                 WHERE provider_id = $2 AND subject = $3 RETURNING user_id",
            )
            .bind(now.0)
            .bind(provider_id)
            .bind(subject)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Links `subject` at `provider_id` to `user_id`.
    /// [`super::Error::Conflict`] when that upstream account is linked already.
    pub async fn insert_upstream_identity(
        &self,
        provider_id: &str,
        subject: &str,
        user_id: &str,
        now: UnixSecs,
    ) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query(
                "INSERT INTO upstream_identities \
                 (provider_id, subject, user_id, created_at, last_used_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(provider_id)
            .bind(subject)
            .bind(user_id)
            .bind(now.0)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The upstream accounts linked to `user_id`, by provider label.
    pub async fn user_upstream_identities(&self, user_id: &str) -> Result<Vec<Identity>> {
        let rows: Vec<IdentityRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT i.provider_id, p.label, i.subject, i.user_id, i.created_at, \
                 i.last_used_at FROM upstream_identities i \
                 JOIN upstream_providers p ON p.id = i.provider_id \
                 WHERE i.user_id = $1 ORDER BY p.label, i.subject",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| Identity {
                provider_id: r.provider_id,
                provider_label: r.label,
                subject: r.subject,
                user_id: r.user_id,
                created_at: UnixSecs(r.created_at),
                last_used_at: UnixSecs(r.last_used_at),
            })
            .collect())
    }

    /// Unlinks `user_id`'s account at `provider_id`, unless `keep_one`
    /// and it is their only link (checked in the same statement). False
    /// when nothing was removed.
    pub async fn delete_upstream_identity(
        &self,
        user_id: &str,
        provider_id: &str,
        keep_one: bool,
    ) -> Result<bool> {
        let n = on_pool!(writer self, pool => {
            sqlx::query(
                "DELETE FROM upstream_identities WHERE user_id = $1 AND provider_id = $2 \
                 AND (NOT $3 OR (SELECT COUNT(*) FROM upstream_identities o \
                 WHERE o.user_id = $1) > 1)",
            )
            .bind(user_id)
            .bind(provider_id)
            .bind(keep_one)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Users whose e-mail is `email` (ignoring case) and verified.
    pub async fn users_with_verified_email(&self, email: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id FROM users WHERE lower(email) = lower($1) AND email_verified = $2",
            )
            .bind(email)
            .bind(true)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The first user whose e-mail is `email` (ignoring case), verified or not.
    pub async fn user_with_email(&self, email: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id FROM users WHERE lower(email) = lower($1) ORDER BY created_at LIMIT 1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Removes a user created a moment ago whose link lost a race.
    pub async fn delete_new_user(&self, user_id: &str) -> Result<()> {
        on_pool!(writer self, pool => {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
