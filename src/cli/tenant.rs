//! `tenant`: the scopes tokens are issued for.

use std::time::Duration;

use clap::Subcommand;

use super::principal::parse_tenant;
use crate::identity::{parse_description, Admin, TenantId, TenantName, TenantRef};
use crate::live::{Live, OwnLimits, RatePolicy};
use crate::platform::db::Database;
use crate::platform::intake::IntakeLag;
use crate::platform::metrics::Metrics;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant; prints only its id.
    Create {
        name: String,
        /// The tenant's id (digits); a random 14-digit one when left out.
        #[arg(long, value_parser = parse_id)]
        id: Option<TenantId>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Refuse tokens scoped to the tenant (403) until enabled again.
    Disable {
        #[arg(value_parser = parse_tenant)]
        tenant: TenantRef,
    },
    /// Let a disabled tenant in again.
    Enable {
        #[arg(value_parser = parse_tenant)]
        tenant: TenantRef,
    },
    /// Set the tenant's live-registry limits (those given), then print all of them. The
    /// rate limit changes on running servers within their `rate_sync_interval`.
    Limits {
        #[arg(value_parser = parse_tenant)]
        tenant: TenantRef,
        /// Live services the tenant may have at once.
        #[arg(long)]
        services: Option<u32>,
        /// Configuration values the tenant may have.
        #[arg(long)]
        configuration_values: Option<u32>,
        /// Requests (heartbeats not counted) the tenant may make per window.
        #[arg(long)]
        requests: Option<u32>,
        /// The rate limit's window, e.g. `24h` or `90s` (at least 1 s).
        #[arg(long, value_parser = parse_window)]
        window: Option<Duration>,
    },
}

fn parse_window(raw: &str) -> Result<Duration, String> {
    let window = humantime::parse_duration(raw).map_err(|e| e.to_string())?;
    if window.as_millis() < RatePolicy::MIN_WINDOW_MS as u128 {
        return Err("the window must be at least 1s".into());
    }
    Ok(window)
}

fn parse_id(raw: &str) -> Result<TenantId, String> {
    TenantId::parse(raw).map_err(|e| e.to_string())
}

pub fn run(database: &Database, settings: &Settings, command: TenantCommand) -> anyhow::Result<()> {
    let directory = &Admin::new(database.clone());
    match command {
        TenantCommand::Create {
            name,
            id,
            description,
        } => {
            let name = TenantName::parse(&name)?;
            let description = description.as_deref().map(parse_description).transpose()?;
            let id = directory.create_tenant(&name, id, description.as_deref())?;
            println!("{id}");
        }
        TenantCommand::Disable { tenant } => {
            directory.set_tenant_enabled(&tenant, false)?;
            println!("tenant '{tenant}' is now disabled");
        }
        TenantCommand::Enable { tenant } => {
            directory.set_tenant_enabled(&tenant, true)?;
            println!("tenant '{tenant}' is now enabled");
        }
        TenantCommand::Limits {
            tenant,
            services,
            configuration_values,
            requests,
            window,
        } => {
            let tenant = directory.tenant(&tenant)?.id;
            // Counted nowhere: a command has no metrics listener.
            let metrics = Metrics::new(database.clone());
            let store = Live::new(
                database.clone(),
                &settings.live,
                &metrics,
                IntakeLag::default(),
            )
            .store();
            let changes = OwnLimits {
                services: services.map(i64::from),
                configuration_values: configuration_values.map(i64::from),
                requests: requests.map(i64::from),
                rate_window_ms: window.map(|w| i64::try_from(w.as_millis()).unwrap_or(i64::MAX)),
            };
            let (resources, rate) = store.set_limits(tenant, &changes)?;
            println!("services: {}", resources.services);
            println!("configuration values: {}", resources.configuration_values);
            let window = Duration::from_millis(u64::try_from(rate.window_ms()).unwrap_or(0));
            println!(
                "requests: {} per {}",
                rate.requests(),
                humantime::format_duration(window)
            );
        }
    }
    Ok(())
}
