//! `srctl`, the client's command line: services, events, configuration and account limits
//! of one tenant, as a table or as JSON. Credentials come from flags or the environment
//! (`SRCTL_*`). [`run`] is the whole command, so tests run it without a process.

use std::io::Write;

use clap::{Args, Parser, Subcommand};
use futures_util::StreamExt;

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
    let json = cli.json;
    let io = Error::Output;
    match cli.command {
        Command::Services(ServicesCommand::List { tag }) => {
            let services = client.services();
            let listed: Vec<_> = match &tag {
                Some(tag) => services.list_by_tag(tag).collect().await,
                None => services.list().collect().await,
            };
            let listed = listed.into_iter().collect::<Result<Vec<_>, _>>()?;
            if json {
                writeln!(out, "{}", to_json(&listed)).map_err(io)?;
            } else {
                let rows = listed
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            s.heartbeat_timeout.to_string(),
                            s.tags.join(","),
                            last_seen(s.last_seen),
                        ]
                    })
                    .collect();
                table(out, &["ID", "TIMEOUT", "TAGS", "LAST SEEN"], rows).map_err(io)?;
            }
        }
        Command::Services(ServicesCommand::Get { id }) => {
            let service = client.services().get(&id).await?;
            if json {
                writeln!(out, "{}", to_json(&service)).map_err(io)?;
            } else {
                let metadata: Vec<String> = service
                    .metadata
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                let rows = vec![
                    vec!["id".into(), service.id.clone()],
                    vec![
                        "heartbeat_timeout".into(),
                        service.heartbeat_timeout.to_string(),
                    ],
                    vec!["tags".into(), service.tags.join(",")],
                    vec!["metadata".into(), metadata.join(",")],
                    vec!["last_seen".into(), last_seen(service.last_seen)],
                ];
                table(out, &["FIELD", "VALUE"], rows).map_err(io)?;
            }
        }
        Command::Events(EventsCommand::List { marker, follow }) => {
            if follow {
                let mut stream = Box::pin(client.events().follow(marker));
                while let Some(event) = stream.next().await {
                    match event {
                        Ok(event) => write_event(out, &event, json).map_err(io)?,
                        Err(error) if error.is_transient() => log::warn!("{error}; resuming"),
                        Err(error) => return Err(error),
                    }
                    out.flush().map_err(io)?;
                }
            } else {
                let page = client
                    .events()
                    .list_page(marker.as_deref(), None, Some(1000))
                    .await?;
                if json {
                    writeln!(out, "{}", to_json(&page.values)).map_err(io)?;
                } else {
                    let rows = page
                        .values
                        .iter()
                        .map(|e| {
                            vec![
                                e.id.clone(),
                                e.timestamp.to_string(),
                                e.kind.clone(),
                                e.payload.to_string(),
                            ]
                        })
                        .collect();
                    table(out, &["ID", "TIMESTAMP", "TYPE", "PAYLOAD"], rows).map_err(io)?;
                }
            }
        }
        Command::Configuration(ConfigurationCommand::List { namespace }) => {
            let values: Vec<_> = client
                .configuration()
                .list(namespace.as_deref())
                .collect()
                .await;
            let values = values.into_iter().collect::<Result<Vec<_>, _>>()?;
            if json {
                writeln!(out, "{}", to_json(&values)).map_err(io)?;
            } else {
                let rows = values
                    .iter()
                    .map(|v| vec![v.id.clone(), v.value.clone()])
                    .collect();
                table(out, &["ID", "VALUE"], rows).map_err(io)?;
            }
        }
        Command::Configuration(ConfigurationCommand::Get { id }) => {
            let value = client.configuration().get(&id).await?;
            if json {
                writeln!(out, "{}", to_json(&value)).map_err(io)?;
            } else {
                writeln!(out, "{}", value.value).map_err(io)?;
            }
        }
        Command::Configuration(ConfigurationCommand::Set { id, value }) => {
            client.configuration().set(&id, &value).await?;
            if !json {
                writeln!(out, "{id} set").map_err(io)?;
            }
        }
        Command::Configuration(ConfigurationCommand::Remove { id }) => {
            client.configuration().remove(&id).await?;
            if !json {
                writeln!(out, "{id} removed").map_err(io)?;
            }
        }
        Command::Account(AccountCommand::Limits) => {
            let limits = client.limits().await?;
            if json {
                writeln!(out, "{}", to_json(&limits)).map_err(io)?;
            } else {
                let held = |count: fn(&crate::types::ResourceLimits) -> u64| {
                    limits
                        .usage
                        .as_ref()
                        .map_or_else(String::new, |usage| count(usage).to_string())
                };
                let mut rows = vec![
                    vec![
                        "services".into(),
                        limits.resource.service.to_string(),
                        held(|usage| usage.service),
                    ],
                    vec![
                        "configuration values".into(),
                        limits.resource.configuration_value.to_string(),
                        held(|usage| usage.configuration_value),
                    ],
                ];
                for (pattern, rate) in &limits.rate {
                    rows.push(vec![
                        format!("requests {pattern} per {}", rate.window),
                        rate.limit.to_string(),
                        rate.used.to_string(),
                    ]);
                }
                table(out, &["LIMIT", "MAX", "USED"], rows).map_err(io)?;
            }
        }
    }
    Ok(())
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn last_seen(millis: Option<i64>) -> String {
    millis.map_or_else(
        || "never".into(),
        |m| {
            let time = std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(u64::try_from(m).unwrap_or(0));
            humantime::format_rfc3339_millis(time).to_string()
        },
    )
}

fn write_event<W: Write>(out: &mut W, event: &crate::Event, json: bool) -> std::io::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(event).unwrap_or_default())
    } else {
        writeln!(out, "{} {} {}", event.id, event.kind, event.payload)
    }
}

/// Columns padded to their widest cell.
fn table<W: Write>(out: &mut W, header: &[&str], rows: Vec<Vec<String>>) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    )?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}
