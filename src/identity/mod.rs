//! Identity: principals with privilege levels, the tokens they call with, and the guards
//! that admit callers to other subsystems' routes.

mod accounts;
mod admin;
pub mod catalog_port;
mod directory;
mod domain;
mod error;
mod guard;
mod login;
mod requests;
mod routes;
mod schema;
mod secrets;
mod store;
mod tenant;
mod tenant_guard;
mod user;
mod views;

use actix_web::web;

pub use admin::{Admin, NewPrincipal};
pub use catalog_port::{CatalogEndpoint, CatalogService};
pub use directory::Directory;
pub use domain::{
    describe_levels, AuthMethod, Caller, PrincipalName, PrincipalStatus, PrivilegeLevel, Token,
    TokenHash,
};
pub use error::IdentityError;
pub use guard::{Authenticator, Guarded, Policy};
pub use login::{client_address, Issued, Login, TokenDetails};
pub use requests::{AuthRequest, Credentials, Scope, UserRef, HP_IDM_NS, RAX_KSKEY_NS};
pub use secrets::Secret;
pub use store::tenants::TenantChanges;
pub use store::BOOTSTRAP_ADMIN;
pub use tenant::{parse_description, Tenant, TenantId, TenantName, TenantRef};
pub use tenant_guard::{
    InTenant, Metered, Metering, TenantAccess, TenantGate, TenantScoped, Unmetered,
};
pub use user::{
    parse_email, parse_user_description, Assignment, NewUser, UserChanges, UserFilter, UserRecord,
};

use crate::platform::db::Database;
use crate::platform::http::{Dialect, PathRules};
use crate::platform::metrics::Metrics;
use crate::platform::workers::{Did, Workers};
use crate::settings::AuthSettings;

/// Identity's part of the application: the authenticator every guard uses, and the purge
/// of expired tokens.
#[derive(Clone)]
pub struct Identity {
    authenticator: Authenticator,
    directory: Directory,
    tenant_access: TenantAccess,
    login: login::Login,
    settings: AuthSettings,
}

impl Identity {
    /// `catalog` fills the `serviceCatalog` of every token issued.
    pub fn new(
        database: Database,
        settings: &AuthSettings,
        catalog: std::sync::Arc<dyn catalog_port::CatalogSource>,
        metrics: &Metrics,
    ) -> Self {
        let authenticator = Authenticator::new(database.clone(), settings, metrics);
        Self {
            login: login::Login::new(database.clone(), settings, catalog),
            tenant_access: TenantAccess::new(Directory::new(database.clone()), settings),
            directory: Directory::revoking_in(database, authenticator.clone()),
            authenticator,
            settings: settings.clone(),
        }
    }

    /// The authenticator every guard uses; the directory only through a guard.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config
            .app_data(self.authenticator.clone())
            .app_data(self.directory.clone())
            .app_data(self.tenant_access.clone())
            .app_data(web::Data::new(self.login.clone()));
        routes::configure(config);
    }

    /// The directory requests use: a token it revokes is refused by this node at once.
    pub fn directory(&self) -> Directory {
        self.directory.clone()
    }

    /// OpenStack Identity v2.0's own routes answer faults with Keystone's `error` beside
    /// the named fault (HP-IDM's keep the seed's shape).
    pub fn path_rules(rules: PathRules) -> PathRules {
        rules.speaks(routes::is_openstack_path, Dialect::KeystoneV2)
    }

    pub fn start_workers(&self, workers: &mut Workers) {
        workers
            .every("expired-token purge", self.settings.token_purge_interval)
            .run(self.directory.clone(), |directory| async move {
                let purged = directory.purge_expired_tokens().await;
                purged.map(|count| Did(count, "expired token(s) purged"))
            });
    }
}
