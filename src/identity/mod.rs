//! Identity: principals with privilege levels, the tokens they call with, and the guards
//! that admit callers to other subsystems' routes.

mod domain;
mod error;
mod guard;
mod schema;
mod store;

use std::time::Duration;

use actix_web::web;

pub use domain::{
    describe_levels, Caller, PrincipalName, PrincipalStatus, PrivilegeLevel, Token, TokenHash,
};
pub use error::IdentityError;
pub use guard::{Authenticator, Guarded, Policy};
pub use store::BOOTSTRAP_ADMIN;

use crate::platform::db::{now_millis, Database};
use crate::platform::error_chain;
use crate::platform::workers::Workers;
use crate::settings::AuthSettings;

/// Identity's part of the application: the authenticator every guard uses, and the purge
/// of expired tokens.
#[derive(Clone)]
pub struct Identity {
    authenticator: Authenticator,
    directory: Directory,
    settings: AuthSettings,
}

impl Identity {
    pub fn new(database: Database, settings: &AuthSettings) -> Self {
        Self {
            authenticator: Authenticator::new(database.clone(), settings),
            directory: Directory::new(database),
            settings: settings.clone(),
        }
    }

    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config.app_data(self.authenticator.clone());
    }

    pub fn start_workers(&self, workers: &mut Workers) {
        let directory = self.directory.clone();
        workers.every(
            "expired-token purge",
            self.settings.token_purge_interval,
            move || {
                let directory = directory.clone();
                async move {
                    match directory.purge_expired_tokens().await {
                        Ok(0) => {}
                        Ok(purged) => log::info!("purged {purged} expired token(s)"),
                        Err(error) => {
                            log::warn!("purging expired tokens failed: {}", error_chain(&error))
                        }
                    }
                }
            },
        );
    }
}

/// Administration of principals and tokens (the command line, tests, bootstrap). Blocking
/// unless said otherwise.
#[derive(Clone)]
pub struct Directory {
    database: Database,
}

impl Directory {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// Creates a principal with its levels, atomically.
    pub fn create_principal(
        &self,
        name: &PrincipalName,
        levels: &[PrivilegeLevel],
    ) -> Result<(), IdentityError> {
        self.database
            .with_connection(|conn| store::create(conn, name, levels))
    }

    pub fn set_status(
        &self,
        name: &PrincipalName,
        status: PrincipalStatus,
    ) -> Result<(), IdentityError> {
        self.database
            .with_connection(|conn| store::set_status(conn, name, status))
    }

    /// A new token for `name`, valid for `ttl`; only its hash is stored.
    pub fn issue_token(&self, name: &PrincipalName, ttl: Duration) -> Result<Token, IdentityError> {
        self.database
            .with_connection(|conn| store::issue_token(conn, name, ttl))
    }

    pub fn revoke_token(&self, presented: &str) -> Result<(), IdentityError> {
        self.database
            .with_connection(|conn| store::revoke_token(conn, presented))
    }

    /// On a database with no principal at all, creates [`BOOTSTRAP_ADMIN`] (SA) and
    /// returns a token for it; otherwise `None`. Race-free across processes.
    pub fn bootstrap_admin(&self, ttl: Duration) -> Result<Option<Token>, IdentityError> {
        self.database
            .with_connection(|conn| store::bootstrap_admin(conn, ttl))
    }

    /// Deletes expired tokens; returns how many.
    pub async fn purge_expired_tokens(&self) -> Result<usize, IdentityError> {
        self.database
            .run_write(|conn| store::purge_expired_tokens(conn, now_millis()))
            .await
    }
}
