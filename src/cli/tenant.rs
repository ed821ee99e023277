//! `tenant`: the scopes tokens are issued for.

use clap::Subcommand;

use super::principal::parse_tenant;
use crate::identity::{parse_description, Directory, TenantId, TenantName, TenantRef};

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
}

fn parse_id(raw: &str) -> Result<TenantId, String> {
    TenantId::parse(raw).map_err(|e| e.to_string())
}

pub fn run(directory: &Directory, command: TenantCommand) -> anyhow::Result<()> {
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
    }
    Ok(())
}
