//! The `authgate` binary: parse configuration, set up logging, run.

use std::process::ExitCode;

use authgate::cli::{Cli, Command};
use authgate::config::Config;
use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported like any
    // other configuration error.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("authgate: configuration error: .env: {e}");
        return ExitCode::from(2);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // One line naming the option (and its variable) and the problem.
            let rendered = e.render().to_string();
            let line = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "authgate: configuration error: {}",
                line.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    authgate::telemetry::init(cli.log_format);
    let (config, migrate_only) = match cli.command {
        Command::Server(args) => match Config::from_args(*args) {
            Ok(c) => (c, false),
            Err(e) => {
                eprintln!("authgate: configuration error: {e}");
                return ExitCode::from(2);
            }
        },
        Command::Migrate(args) => {
            match authgate::config::database_url(args.database_url, args.database_path) {
                Ok(url) => (Config::development(url), true),
                Err(e) => {
                    eprintln!("authgate: configuration error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("authgate: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = if migrate_only {
        runtime.block_on(authgate::migrate(&config.database_url))
    } else {
        runtime.block_on(authgate::run(config))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("authgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}
