//! `srctl`, the client's command line: services, events, configuration and account limits
//! of one tenant, as a table or as JSON. Credentials come from flags or the environment
//! (`SRCTL_*`). [`run`] is the whole command, so tests run it without a process.

use std::io::Write;

use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt;

use crate::render::{EventList, ServiceList, Shown, ValueList};
use crate::{Client, Credentials, Error};

#[derive(Debug, Parser)]
#[command(
    name = "srctl",
    version,
    about = "Command line client of service-registry's live registry"
)]
pub struct Cli {
    #[command(flatten)]
    connection: Connection,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Connection {
    /// The registry (and identity) server.
    #[arg(
        long,
        env = "SRCTL_URL",
        default_value = "http://127.0.0.1:35357",
        global = true
    )]
    url: String,
    #[arg(long, env = "SRCTL_USERNAME", global = true)]
    username: Option<String>,
    #[arg(long, env = "SRCTL_PASSWORD", hide_env_values = true, global = true)]
    password: Option<String>,
    #[arg(long, env = "SRCTL_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    #[arg(long, env = "SRCTL_ACCESS_KEY", global = true)]
    access_key: Option<String>,
    #[arg(long, env = "SRCTL_SECRET_KEY", hide_env_values = true, global = true)]
    secret_key: Option<String>,
    /// A ready token (with --tenant-id).
    #[arg(long, env = "SRCTL_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    #[arg(long, env = "SRCTL_TENANT_ID", global = true)]
    tenant_id: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Live services.
    #[command(subcommand)]
    Services(ServicesCommand),
    /// The events feed.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Configuration values.
    #[command(subcommand)]
    Configuration(ConfigurationCommand),
    /// The account (tenant).
    #[command(subcommand)]
    Account(AccountCommand),
}

#[derive(Debug, Subcommand)]
enum ServicesCommand {
    /// Every live service (with a tag, those with it).
    List {
        #[arg(long)]
        tag: Option<String>,
    },
    Get {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// The feed from a marker (or its last hour); with --follow, then every new event.
    List {
        #[arg(long)]
        marker: Option<String>,
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigurationCommand {
    /// Every value, or those inside a namespace (`/production/`).
    List {
        namespace: Option<String>,
    },
    Get {
        id: String,
    },
    Set {
        id: String,
        value: String,
    },
    Remove {
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    Limits,
}

/// Runs `srctl` with `args` (the program name first), writing results to `out` and
/// errors to `err`; the exit code.
pub async fn run<W: Write, E: Write>(args: Vec<String>, out: &mut W, err: &mut E) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let target: &mut dyn Write = if error.use_stderr() { err } else { out };
            let _ = write!(target, "{error}");
            return error.exit_code();
        }
    };
    match execute(cli, out).await {
        Ok(()) => 0,
        Err(error) => {
            let _ = writeln!(err, "error: {error}");
            if let Some(source) = std::error::Error::source(&error) {
                let _ = writeln!(err, "caused by: {source}");
            }
            1
        }
    }
}

fn client(connection: &Connection) -> Result<Client, Error> {
    let missing = || {
        Error::Usage("give --username with --password or --api-key, --access-key with --secret-key, or --token with --tenant-id")
    };
    let credentials = match connection {
        Connection {
            token: Some(token),
            tenant_id: Some(tenant_id),
            ..
        } => Credentials::Token {
            token: token.clone(),
            tenant_id: tenant_id.clone(),
        },
        Connection {
            username: Some(username),
            password: Some(password),
            ..
        } => Credentials::Password {
            username: username.clone(),
            password: password.clone(),
        },
        Connection {
            username: Some(username),
            api_key: Some(api_key),
            ..
        } => Credentials::ApiKey {
            username: username.clone(),
            api_key: api_key.clone(),
        },
        Connection {
            access_key: Some(access_key),
            secret_key: Some(secret_key),
            ..
        } => Credentials::AccessKey {
            access_key: access_key.clone(),
            secret_key: secret_key.clone(),
        },
        _ => return Err(missing()),
    };
    let mut builder = Client::builder(&connection.url).credentials(credentials);
    if let Some(tenant) = &connection.tenant_id {
        builder = builder.tenant_id(tenant.clone());
    }
    builder.build()
}

async fn execute<W: Write>(cli: Cli, out: &mut W) -> Result<(), Error> {
    let client = client(&cli.connection)?;
    let shown = Shown { json: cli.json };
    match cli.command {
        Command::Services(ServicesCommand::List { tag }) => {
            let services = client.services();
            let listed: Vec<_> = match &tag {
                Some(tag) => services.list_by_tag(tag).collect().await,
                None => services.list().collect().await,
            };
            let listed = listed.into_iter().collect::<Result<Vec<_>, _>>()?;
            shown.write(out, &ServiceList(listed))?;
        }
        Command::Services(ServicesCommand::Get { id }) => {
            shown.write(out, &client.services().get(&id).await?)?;
        }
        Command::Events(EventsCommand::List {
            marker,
            follow: true,
        }) => {
            let mut stream = Box::pin(client.events().follow(marker));
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => shown.write_line(out, &event)?,
                    Err(error) if error.is_transient() => log::warn!("{error}; resuming"),
                    Err(error) => return Err(error),
                }
            }
        }
        Command::Events(EventsCommand::List {
            marker,
            follow: false,
        }) => {
            let page = client
                .events()
                .list_page(marker.as_deref(), None, Some(1000))
                .await?;
            shown.write(out, &EventList(page.values))?;
        }
        Command::Configuration(ConfigurationCommand::List { namespace }) => {
            let values: Vec<_> = client
                .configuration()
                .list(namespace.as_deref())
                .collect()
                .await;
            let values = values.into_iter().collect::<Result<Vec<_>, _>>()?;
            shown.write(out, &ValueList(values))?;
        }
        Command::Configuration(ConfigurationCommand::Get { id }) => {
            shown.write(out, &client.configuration().get(&id).await?)?;
        }
        Command::Configuration(ConfigurationCommand::Set { id, value }) => {
            client.configuration().set(&id, &value).await?;
            shown.done(out, &format!("{id} set"))?;
        }
        Command::Configuration(ConfigurationCommand::Remove { id }) => {
            client.configuration().remove(&id).await?;
            shown.done(out, &format!("{id} removed"))?;
        }
        Command::Account(AccountCommand::Limits) => {
            shown.write(out, &client.limits().await?)?;
        }
    }
    Ok(())
}
