//! `principal` and `token`: administering who may call the API.

use std::io::{self, BufRead};
use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;

use crate::identity::{Directory, PrincipalName, PrincipalStatus, PrivilegeLevel};

#[derive(Debug, Subcommand)]
pub enum PrincipalCommand {
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
pub enum TokenCommand {
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

fn parse_level(raw: &str) -> Result<PrivilegeLevel, String> {
    PrivilegeLevel::parse(raw).map_err(|e| e.to_string())
}

pub fn principal(directory: &Directory, command: PrincipalCommand) -> anyhow::Result<()> {
    let (name, status) = match command {
        PrincipalCommand::Create { name, levels } => {
            let name = PrincipalName::parse(&name)?;
            directory.create_principal(&name, &levels)?;
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
    directory.set_status(&name, status)?;
    println!("principal '{name}' is now {status}");
    Ok(())
}

pub fn token(directory: &Directory, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue { name, ttl } => {
            let name = PrincipalName::parse(&name)?;
            println!("{}", directory.issue_token(&name, ttl)?.expose());
        }
        TokenCommand::Revoke { token } => {
            let token = if token == "-" {
                let mut line = String::new();
                io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the token from standard input")?;
                line.trim().to_owned()
            } else {
                token
            };
            directory.revoke_token(&token)?;
            println!("token revoked");
        }
    }
    Ok(())
}
