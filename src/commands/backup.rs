//! `authgate backup --output FILE`: a consistent copy of the SQLite
//! database, safe to take while servers run (see store/backup.rs).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::cli::MigrateArgs;
use crate::store::{Backend, PoolSettings, Store, check_sqlite_file, sqlite_file};

/// Options of `authgate backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Where to write the copy; it must not exist yet (a backup never
    /// overwrites). It is created readable by its owner only.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,

    #[command(flatten)]
    pub database: MigrateArgs,
}

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let url = crate::config::database_url(args.database.database_url, args.database.database_path)?;
    anyhow::ensure!(
        Backend::from_url(&url) == Some(Backend::Sqlite),
        "DATABASE_URL names PostgreSQL: back it up with pg_dump (README, Operations)"
    );
    let source = sqlite_file(&url).context("DATABASE_URL names no SQLite file")?;
    anyhow::ensure!(
        source.is_file(),
        "no database at {} (set DATABASE_URL or DATABASE_PATH)",
        source.display()
    );
    create_private_empty(&args.output)?;
    let store = Store::connect(
        &url,
        &PoolSettings {
            max_connections: 1,
            ..PoolSettings::default()
        },
    )
    .await?;
    let copied = store.backup_into(&args.output).await;
    store.close().await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&args.output);
        return Err(e.into());
    }
    let (verdict, migrations) = check_sqlite_file(&args.output).await?;
    anyhow::ensure!(
        verdict == "ok",
        "the copy in {} failed its integrity check: {verdict}",
        args.output.display()
    );
    let bytes = std::fs::metadata(&args.output)?.len();
    writeln!(
        std::io::stdout().lock(),
        "backup of {} written to {} ({bytes} bytes, {migrations} migrations, integrity ok)",
        source.display(),
        args.output.display()
    )?;
    Ok(())
}

/// `VACUUM INTO` wants an absent or empty file; creating it first (0600,
/// failing when it exists) decides its permissions: a backup holds the
/// signing keys and generated secrets.
fn create_private_empty(path: &std::path::Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!("{} exists; a backup never overwrites", path.display())
        } else {
            anyhow::anyhow!("cannot create {}: {e}", path.display())
        }
    })
}
