//! The command line. Every command that touches the database opens it through
//! [`Database::open`], which applies pending migrations first, so commands work on a
//! brand-new database and in any order.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::domain::{PrincipalName, PrincipalStatus, PrivilegeLevel};
use crate::error::{Error, Result};
use crate::startup::Application;
use crate::storage::{principals, Database, DatabaseUrl, OpenError};

const DEFAULT_DATABASE: &str = "service-registry.db";
/// Lifetime of the token printed when `serve` bootstraps a brand-new database.
const BOOTSTRAP_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Parser)]
#[command(
    name = "service-registry",
    version,
    about = "Keystone-style admin service registry (HP-IDM v1.0 services API)"
)]
pub struct Cli {
    /// An SQLite file (PATH or sqlite://PATH) or a PostgreSQL URL (postgres://...).
    #[arg(long, env = "DATABASE_URL", global = true, default_value = DEFAULT_DATABASE)]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API.
    Serve {
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:35357")]
        bind: String,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage principals (who may call the API).
    #[command(subcommand)]
    Principal(PrincipalCommand),
    /// Issue and revoke tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
enum PrincipalCommand {
    /// Create a principal with one or more privilege levels.
    Create {
        name: String,
        /// SA (system admin), SVC (service on-boarding), DA (domain admin), DU (domain user).
        #[arg(long = "level", required = true, value_parser = parse_level)]
        levels: Vec<PrivilegeLevel>,
    },
    /// Refuse the principal's requests (403) until enabled again.
    Disable { name: String },
    /// Refuse the principal's requests (403) until enabled again.
    Suspend { name: String },
    /// Let a disabled or suspended principal in again.
    Enable { name: String },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token for a principal; prints only the token.
    Issue {
        name: String,
        /// Lifetime, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Revoke a token at once. Pass - to read it from standard input (keeps it out of
    /// shell history and process lists).
    Revoke { token: String },
}

fn parse_level(raw: &str) -> std::result::Result<PrivilegeLevel, String> {
    PrivilegeLevel::parse(raw).map_err(|e| e.to_string())
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_level))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What a command can fail with: opening the database (with its cause, for the operator)
/// or the command itself.
#[derive(Debug, thiserror::Error)]
enum CommandError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Command(#[from] Error),
}

fn run(cli: Cli) -> std::result::Result<(), CommandError> {
    let url = DatabaseUrl::parse(&cli.database_url)?;
    let database = Database::open(url)?;
    match cli.command {
        Command::Serve { bind } => serve(database, &bind)?,
        Command::Migrate => println!("migrations applied to {}", database.url()),
        Command::Principal(command) => principal(&database, command)?,
        Command::Token(command) => token(&database, command)?,
    }
    Ok(())
}

fn serve(database: Database, bind: &str) -> Result<()> {
    println!("service-registry {}", env!("CARGO_PKG_VERSION"));
    println!("database: {}", database.url());
    if let Some(token) =
        database.with_connection(|conn| principals::bootstrap_admin(conn, BOOTSTRAP_TOKEN_TTL))?
    {
        println!(
            "new database: created principal '{}' (SA). Its token, shown only this once, valid {}:",
            principals::BOOTSTRAP_ADMIN,
            humantime::format_duration(BOOTSTRAP_TOKEN_TTL)
        );
        println!("{}", token.expose());
    }
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(database, bind)
            .map_err(|e| Error::invalid(format!("cannot listen on {bind}: {e}")))?;
        println!("listening on http://{}", application.address());
        let _ = io::stdout().flush();
        application.run_until_stopped().await.map_err(|e| {
            log::error!("server stopped: {e}");
            Error::Internal
        })
    })
}

fn principal(database: &Database, command: PrincipalCommand) -> Result<()> {
    let (name, status) = match command {
        PrincipalCommand::Create { name, levels } => {
            let name = PrincipalName::parse(&name)?;
            database.with_connection(|conn| principals::create(conn, &name, &levels))?;
            let levels: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            println!(
                "created principal '{name}' with level(s) {}",
                levels.join(", ")
            );
            return Ok(());
        }
        PrincipalCommand::Disable { name } => (name, PrincipalStatus::Disabled),
        PrincipalCommand::Suspend { name } => (name, PrincipalStatus::Suspended),
        PrincipalCommand::Enable { name } => (name, PrincipalStatus::Enabled),
    };
    let name = PrincipalName::parse(&name)?;
    database.with_connection(|conn| principals::set_status(conn, &name, status))?;
    println!("principal '{name}' is now {}", status.as_str());
    Ok(())
}

fn token(database: &Database, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Issue { name, ttl } => {
            let name = PrincipalName::parse(&name)?;
            let token =
                database.with_connection(|conn| principals::issue_token(conn, &name, ttl))?;
            println!("{}", token.expose());
        }
        TokenCommand::Revoke { token } => {
            let token = if token == "-" {
                let mut line = String::new();
                io::stdin().lock().read_line(&mut line).map_err(|e| {
                    Error::invalid(format!("cannot read the token from standard input: {e}"))
                })?;
                line.trim().to_owned()
            } else {
                token
            };
            database.with_connection(|conn| principals::revoke_token(conn, &token))?;
            println!("token revoked");
        }
    }
    Ok(())
}
