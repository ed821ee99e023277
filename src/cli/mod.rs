//! The command line. Every command that touches the database opens it through
//! [`Database::open`], which applies pending migrations first, so commands work on a
//! brand-new database and in any order. Errors reach the operator with their causes.

mod principal;
mod snapshot;
mod tenant;
mod token;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::identity::{Admin, BOOTSTRAP_ADMIN};
use crate::platform::db::{Database, DatabaseUrl};
use crate::settings::{Flags, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "service-registry",
    version,
    about = "Keystone-style admin service registry (HP-IDM v1.0 services API)"
)]
pub struct Cli {
    /// A TOML settings file (see `service-registry config` for every key).
    #[arg(long, global = true, env = "SERVICE_REGISTRY_CONFIG")]
    config: Option<PathBuf>,

    /// An SQLite file (PATH or sqlite://PATH) or a PostgreSQL URL (postgres://...).
    /// Default: DATABASE_URL, else the settings, else service-registry.db.
    #[arg(long, global = true)]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API.
    Serve {
        /// Address to listen on (port 0 picks a free port). Default: 127.0.0.1:35357.
        #[arg(long)]
        bind: Option<String>,
        /// PEM certificate chain; with --tls-key, serve HTTPS only.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<String>,
        /// PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<String>,
        /// Address of the admin listener serving GET /metrics (Prometheus); off unless set.
        #[arg(long)]
        admin_bind: Option<String>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the effective settings as TOML (the database password masked).
    Config,
    /// Manage principals (who may call the API) and their credentials.
    #[command(subcommand)]
    Principal(principal::PrincipalCommand),
    /// Manage tenants (the scopes of tokens).
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Issue and revoke tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Back up, restore, and move between SQLite and PostgreSQL.
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
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
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let mut flags = Flags {
        database_url: cli.database_url,
        ..Flags::default()
    };
    if let Command::Serve {
        bind,
        tls_cert,
        tls_key,
        admin_bind,
    } = &cli.command
    {
        flags.admin_bind = admin_bind.clone();
        flags.bind = bind.clone();
        flags.tls_cert = tls_cert.clone();
        flags.tls_key = tls_key.clone();
    }
    let settings = Settings::load(cli.config.as_deref(), &flags)?;
    match cli.command {
        Command::Config => {
            print!("{}", settings.to_masked_toml());
            Ok(())
        }
        Command::Serve { .. } => serve(open(&settings)?, settings),
        Command::Migrate => {
            println!("migrations applied to {}", open(&settings)?.url());
            Ok(())
        }
        Command::Principal(command) => principal::run(&directory(&settings)?, command),
        Command::Tenant(command) => {
            let database = open(&settings)?;
            tenant::run(&database, &settings, command)
        }
        Command::Token(command) => token::run(&directory(&settings)?, command),
        Command::Snapshot(command) => snapshot::run(|| open(&settings), &settings, command),
    }
}

fn open(settings: &Settings) -> anyhow::Result<Database> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    Ok(Database::open(url, &settings.database)?)
}

fn directory(settings: &Settings) -> anyhow::Result<Admin> {
    open(settings).map(Admin::new)
}

fn serve(database: Database, settings: Settings) -> anyhow::Result<()> {
    println!("service-registry {}", env!("CARGO_PKG_VERSION"));
    println!("database: {}", database.url());
    let ttl = settings.auth.bootstrap_token_ttl;
    if let Some(token) = Admin::new(database.clone()).bootstrap_admin(ttl)? {
        println!(
            "new database: created principal '{BOOTSTRAP_ADMIN}' (SA). Its token, shown only this once, valid {}:",
            humantime::format_duration(ttl)
        );
        println!("{}", token.expose());
    }
    actix_web::rt::System::new().block_on(async move {
        let application = Application::serve(database, settings)?;
        println!("listening on {}", application.url());
        if let Some(admin) = application.admin_url() {
            println!("metrics on {admin}/metrics");
        }
        let _ = io::stdout().flush();
        application
            .run_until_stopped()
            .await
            .context("the server stopped")
    })
}
