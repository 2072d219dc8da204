//! The database options shared by the management commands (`authgate user`,
//! `authgate client`), and opening the database they name.

use std::path::PathBuf;

use clap::Args;

use crate::store::{PoolSettings, Store};

/// Which database to manage: the server's `DATABASE_URL` or
/// `DATABASE_PATH`. Accepted before or after the subcommand.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database: sqlite://PATH or postgres://USER:PASS@HOST/DB
    /// [default: sqlite://authgate.db]
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,

    /// Path of the SQLite database file (DATABASE_URL wins when both are set).
    #[arg(
        long,
        env = "DATABASE_PATH",
        value_name = "DATABASE_PATH",
        global = true
    )]
    pub database_path: Option<PathBuf>,
}

impl DatabaseArgs {
    /// Connects and brings the schema up to date (as `authgate migrate`
    /// would), so the commands also work before the first server start.
    pub async fn open(self) -> anyhow::Result<Store> {
        let url = crate::config::database_url(self.database_url, self.database_path)?;
        let pool = PoolSettings {
            max_connections: 2,
            ..PoolSettings::default()
        };
        let store = Store::connect(&url, &pool).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// Reads a password from standard input: the first line, without its
/// line ending (for `--password-stdin`).
pub fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
