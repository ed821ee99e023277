//! `token`: issuing and revoking tokens by hand.

use std::time::Duration;

use clap::Subcommand;

use super::principal::read_line;
use crate::identity::{Admin, PrincipalName};

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

pub fn run(directory: &Admin, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue { name, ttl } => {
            let name = PrincipalName::parse(&name)?;
            println!("{}", directory.issue_token(&name, ttl)?.expose());
        }
        TokenCommand::Revoke { token } => {
            let token = if token == "-" {
                read_line("the token")?.trim().to_owned()
            } else {
                token
            };
            directory.revoke_token(&token)?;
            println!("token revoked");
        }
    }
    Ok(())
}
