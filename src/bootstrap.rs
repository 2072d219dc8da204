//! First-start and every-start preparation of the database: secrets that
//! were not configured, the initial administrator and the CLI client.

use secrecy::{ExposeSecret, SecretString};

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::password;
use crate::crypto::random::Random;
use crate::domain::user::Role;
use crate::model::client::{GrantType, GrantTypes};
use crate::store::{self, NewClient, NewUser, Sessions, Store};

/// Scopes the seeded CLI client may request.
pub const CLI_CLIENT_SCOPES: &str = "read write";
const CLI_CLIENT_NAME: &str = "AuthGate CLI";
/// The loopback redirect URI of `authgate login`'s browser sign-in; any
/// port matches (RFC 8252 §7.3).
pub const CLI_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// Brings the schema up to date (`DATABASE_MIGRATE=true`, the default), or
/// with `false` only checks it and refuses to start when it is behind: the
/// operator migrates separately (`authgate migrate`), for instance before a
/// rolling upgrade of several instances.
pub async fn schema(config: &Config, store: &Store, sessions: &Sessions) -> anyhow::Result<()> {
    if config.database_migrate {
        store.migrate().await?;
        sessions.migrate().await?;
        return Ok(());
    }
    let pending = store.pending_migrations().await?;
    if !pending.is_empty() {
        anyhow::bail!(
            "DATABASE_MIGRATE is false but the database schema is behind \
             ({} migration(s) not applied: {}); run `authgate migrate` \
             or start once with DATABASE_MIGRATE=true",
            pending.len(),
            pending.join(", ")
        );
    }
    sessions.check().await.map_err(|e| {
        anyhow::anyhow!(
            "DATABASE_MIGRATE is false but the session table is not usable ({e}); \
             run `authgate migrate` or start once with DATABASE_MIGRATE=true"
        )
    })?;
    Ok(())
}

/// Refuses to start on a database that answers reads but refuses writes —
/// a read-only SQLite file (or directory, or mount), a PostgreSQL standby —
/// instead of serving pages and failing every sign-in and device request.
pub async fn writable(store: &Store) -> anyhow::Result<()> {
    store.check_writable().await.map_err(|e| match e.outage() {
        Some(outage) => anyhow::anyhow!(
            "DATABASE_URL: the database refuses writes: {} ({}); the server needs a \
             writable database (SQLite: the file and its directory writable by this \
             user; PostgreSQL: a primary, not a standby)",
            outage.cause,
            outage.detail
        ),
        None => anyhow::anyhow!("DATABASE_URL: a test write failed: {e}"),
    })
}

/// The secrets the server runs with, explicit or generated.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub jwt: SecretString,
    pub session: SecretString,
}

/// Uses the configured secrets, or generates missing ones once and keeps
/// them in the database, so restarts (and other instances on the same
/// database) keep tokens and sessions valid.
pub async fn secrets(
    config: &Config,
    store: &Store,
    clock: &dyn Clock,
    random: &Random,
) -> store::Result<Secrets> {
    let jwt = resolve_secret(
        store,
        clock,
        random,
        "jwt_secret",
        "JWT_SECRET",
        &config.jwt_secret,
    )
    .await?;
    let session = resolve_secret(
        store,
        clock,
        random,
        "session_secret",
        "SESSION_SECRET",
        &config.session_secret,
    )
    .await?;
    Ok(Secrets { jwt, session })
}

async fn resolve_secret(
    store: &Store,
    clock: &dyn Clock,
    random: &Random,
    key: &str,
    variable: &str,
    configured: &Option<SecretString>,
) -> store::Result<SecretString> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let value = store
        .setting_or_insert(key, &random.token(32), clock.now_secs())
        .await?;
    tracing::warn!(
        "{variable} is not set: using a generated secret kept in the database; \
         set {variable} explicitly for production"
    );
    Ok(SecretString::from(value))
}

/// What seeding found or created, for the start-up log and tests.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub cli_client_id: String,
    /// Set only when an administrator was created with a generated password.
    pub generated_admin_password: Option<String>,
}

/// Creates the administrator on an empty database and makes sure the CLI
/// client exists. Safe to run on every start and from several instances.
pub async fn seed(
    config: &Config,
    store: &Store,
    clock: &dyn Clock,
    random: &Random,
) -> anyhow::Result<Seeded> {
    let now = clock.now_secs();
    let mut generated_admin_password = None;
    if store.count_users().await? == 0 {
        let (plain, generated) = match &config.admin_password {
            Some(pw) => (pw.expose_secret().to_owned(), false),
            None => (random.token(18), true),
        };
        let user = NewUser {
            id: random.uuid(),
            username: config.admin_username.clone(),
            password_hash: password::hash(plain.clone()).await?,
            role: Role::Admin,
            profile: crate::model::user::Profile::default(),
            now,
        };
        match store.insert_user(&user).await {
            Ok(()) => {
                if generated {
                    // Printed once: the hash is all that is stored.
                    tracing::warn!(
                        username = %config.admin_username,
                        password = %plain,
                        "created the administrator with a generated password; \
                         note it now, it will not be shown again"
                    );
                    generated_admin_password = Some(plain);
                } else {
                    tracing::info!(username = %config.admin_username, "created the administrator");
                }
            }
            // Another instance seeded first.
            Err(store::Error::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let cli_client_id = match &config.cli_client_id {
        Some(id) => id.clone(),
        None => {
            store
                .setting_or_insert("cli_client_id", &random.uuid(), now)
                .await?
        }
    };
    if store.find_client(&cli_client_id).await?.is_none() {
        let client = NewClient {
            keys: None,
            id: cli_client_id.clone(),
            name: CLI_CLIENT_NAME.to_owned(),
            secret_hash: None,
            allowed_scopes: CLI_CLIENT_SCOPES.to_owned(),
            refresh_tokens: true,
            grant_types: GrantTypes::default_for(true, true),
            now,
        };
        match store.insert_client(&client).await {
            Ok(()) | Err(store::Error::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    seed_cli_redirect_uri(store, &cli_client_id, now).await?;
    tracing::info!(client_id = %cli_client_id, "public OAuth client \"{CLI_CLIENT_NAME}\" is ready");
    Ok(Seeded {
        cli_client_id,
        generated_admin_password,
    })
}

/// Registers [`CLI_REDIRECT_URI`] for the CLI client, and the
/// authorization code grant that uses it, once per client and database, on
/// new installs and upgraded ones alike (the migration that introduced
/// grant types ran before the URI existed); remembered in a setting so that
/// an administrator who removes either later is not overruled at the next
/// start.
async fn seed_cli_redirect_uri(store: &Store, cli_client_id: &str, now: i64) -> anyhow::Result<()> {
    let marker = format!("cli_redirect_uri_seeded:{cli_client_id}");
    if store.get_setting(&marker).await?.is_some() {
        return Ok(());
    }
    store
        .add_client_redirect_uri(cli_client_id, CLI_REDIRECT_URI)
        .await?;
    if let Some(client) = store.find_client(cli_client_id).await?
        && !client.grant_types.contains(GrantType::AuthorizationCode)
    {
        let grants = GrantTypes::new(
            client
                .grant_types
                .iter()
                .chain([GrantType::AuthorizationCode]),
        );
        store.set_client_grant_types(cli_client_id, &grants).await?;
    }
    store
        .setting_or_insert(&marker, CLI_REDIRECT_URI, now)
        .await?;
    tracing::info!(client_id = %cli_client_id, uri = CLI_REDIRECT_URI, "registered the CLI client's loopback redirect URI");
    Ok(())
}
