//! The `authgate` binary: parse configuration, set up logging, run.

use std::process::ExitCode;

use authgate::cli::{Cli, Command};
use authgate::client;
use authgate::config::Config;
use authgate::telemetry::Sink;
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
    let sink = match cli.command {
        Command::Server(_) => Sink::Stdout,
        _ => Sink::Stderr,
    };
    authgate::telemetry::init(cli.log_format, sink);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("authgate: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Server(args) => match Config::from_args(*args) {
            Ok(config) => runtime.block_on(authgate::run(config)),
            Err(e) => return config_error(&e),
        },
        Command::Migrate(args) => {
            match authgate::config::database_url(args.database_url, args.database_path) {
                Ok(url) => runtime.block_on(authgate::migrate(&url)),
                Err(e) => return config_error(&e),
            }
        }
        Command::Keys(args) => runtime.block_on(authgate::commands::keys::run(args)),
        Command::User(args) => runtime.block_on(authgate::commands::user::run(args)),
        Command::Client(args) => runtime.block_on(authgate::commands::client::run(args)),
        Command::Provider(args) => runtime.block_on(authgate::commands::provider::run(args)),
        Command::Backup(args) => runtime.block_on(authgate::commands::backup::run(args)),
        Command::Health(args) => return runtime.block_on(authgate::commands::health::run(args)),
        Command::Login(args) => return client::exit(runtime.block_on(client::login::run(args))),
        Command::Token(args) => return client::exit(runtime.block_on(client::token::run(args))),
        Command::Status(args) => return client::exit(runtime.block_on(client::status::run(args))),
        Command::Logout(args) => return client::exit(runtime.block_on(client::logout::run(args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Commands other than `server` log to stderr already: one line.
            if sink == Sink::Stdout {
                tracing::error!("{e:#}");
            }
            eprintln!("authgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// One line naming the variable and the problem; exit code 2.
fn config_error(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("authgate: configuration error: {e}");
    ExitCode::from(2)
}
