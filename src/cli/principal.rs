//! `principal`: who may call the API, with which levels, in which tenants, and how they
//! authenticate.

use std::io::{self, BufRead};

use anyhow::Context;
use clap::Subcommand;

use crate::identity::{
    Admin, NewPrincipal, PrincipalName, PrincipalStatus, PrivilegeLevel, Secret, TenantRef,
};

#[derive(Debug, Subcommand)]
pub enum PrincipalCommand {
    /// Create a principal with one or more privilege levels.
    Create {
        name: String,
        /// SA (system admin), SVC (service on-boarding), DA (domain admin), DU (domain user).
        #[arg(long = "level", required = true, value_parser = parse_level)]
        levels: Vec<PrivilegeLevel>,
        /// A tenant (id or name) the principal belongs to; repeat for more.
        #[arg(long = "tenant", value_parser = parse_tenant)]
        tenants: Vec<TenantRef>,
        /// The tenant a token is scoped to when the request names none (a membership too).
        #[arg(long, value_parser = parse_tenant)]
        default_tenant: Option<TenantRef>,
    },
    /// Make the principal a member of a tenant.
    Grant {
        name: String,
        #[arg(long, value_parser = parse_tenant)]
        tenant: TenantRef,
    },
    /// End the principal's membership of a tenant.
    Revoke {
        name: String,
        #[arg(long, value_parser = parse_tenant)]
        tenant: TenantRef,
    },
    /// Set the principal's password, read as one line from standard input.
    Password { name: String },
    /// Print a new API key for the principal, replacing the old one.
    ApiKey { name: String },
    /// Access keys: `create NAME` prints `ACCESS_KEY SECRET_KEY`.
    #[command(subcommand)]
    AccessKey(AccessKeyCommand),
    /// Refuse the principal's requests (403) until enabled again.
    Disable { name: String },
    /// Refuse the principal's requests (403) until enabled again.
    Suspend { name: String },
    /// Let a disabled or suspended principal in again.
    Enable { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// Create an access key for a principal; prints `ACCESS_KEY SECRET_KEY` once.
    Create { name: String },
    /// Refuse the access key from now on.
    Disable { access_key: String },
    /// Delete the access key.
    Delete { access_key: String },
}

fn parse_level(raw: &str) -> Result<PrivilegeLevel, String> {
    PrivilegeLevel::parse(raw).map_err(|e| e.to_string())
}

pub fn parse_tenant(raw: &str) -> Result<TenantRef, String> {
    TenantRef::parse(raw).map_err(|e| e.to_string())
}

pub fn run(directory: &Admin, command: PrincipalCommand) -> anyhow::Result<()> {
    let (name, status) = match command {
        PrincipalCommand::Create {
            name,
            levels,
            tenants,
            default_tenant,
        } => {
            let name = PrincipalName::parse(&name)?;
            directory.create(&NewPrincipal {
                name: name.clone(),
                levels: levels.clone(),
                tenants,
                default_tenant,
            })?;
            let levels: Vec<&str> = levels.iter().map(|l| l.as_str()).collect();
            println!(
                "created principal '{name}' with level(s) {}",
                levels.join(", ")
            );
            return Ok(());
        }
        PrincipalCommand::Grant { name, tenant } => {
            directory.grant_tenant(&PrincipalName::parse(&name)?, &tenant)?;
            println!("principal '{name}' is a member of tenant '{tenant}'");
            return Ok(());
        }
        PrincipalCommand::Revoke { name, tenant } => {
            directory.revoke_tenant(&PrincipalName::parse(&name)?, &tenant)?;
            println!("principal '{name}' is no longer a member of tenant '{tenant}'");
            return Ok(());
        }
        PrincipalCommand::Password { name } => {
            let name = PrincipalName::parse(&name)?;
            let password = Secret::password(&read_line("the password")?)?;
            directory.set_password(&name, &password)?;
            println!("password of principal '{name}' set");
            return Ok(());
        }
        PrincipalCommand::ApiKey { name } => {
            let key = directory.new_api_key(&PrincipalName::parse(&name)?)?;
            println!("{}", key.expose());
            return Ok(());
        }
        PrincipalCommand::AccessKey(command) => return access_key(directory, command),
        PrincipalCommand::Disable { name } => (name, PrincipalStatus::Disabled),
        PrincipalCommand::Suspend { name } => (name, PrincipalStatus::Suspended),
        PrincipalCommand::Enable { name } => (name, PrincipalStatus::Enabled),
    };
    let name = PrincipalName::parse(&name)?;
    directory.set_status(&name, status)?;
    println!("principal '{name}' is now {status}");
    Ok(())
}

fn access_key(directory: &Admin, command: AccessKeyCommand) -> anyhow::Result<()> {
    match command {
        AccessKeyCommand::Create { name } => {
            let (access_key, secret) = directory.new_access_key(&PrincipalName::parse(&name)?)?;
            println!("{access_key} {}", secret.expose());
        }
        AccessKeyCommand::Disable { access_key } => {
            directory.disable_access_key(&access_key)?;
            println!("access key {access_key} disabled");
        }
        AccessKeyCommand::Delete { access_key } => {
            directory.delete_access_key(&access_key)?;
            println!("access key {access_key} deleted");
        }
    }
    Ok(())
}

/// One line of standard input without its line ending (LF or CRLF).
pub fn read_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}
