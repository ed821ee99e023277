//! Keystone v3 beside v2.0, and version discovery: the identity API as today's OpenStack
//! tools read it with their defaults. Nothing here is stored: tokens, principals and
//! tenants (v3: projects) are identity's, endpoints the catalog's templates, services the
//! registry's, each reached through its subsystem's public API. A token issued by either
//! version is the same row, so it validates and revokes on both.

mod error;
mod guard;
mod requests;
mod roles;
mod routes;
mod views;

use actix_web::web;

pub use error::KeystoneError;

use crate::catalog::Catalog;
use crate::identity::Directory;
use crate::platform::http::{Dialect, PathRules};
use crate::registry::ServiceStore;

/// What v3's read views are built from. Registered as plain app data, so handlers reach
/// it only through a guard.
#[derive(Clone)]
pub struct Sources {
    pub(crate) directory: Directory,
    pub(crate) catalog: Catalog,
    pub(crate) services: ServiceStore,
}

/// Keystone v3 and version discovery's part of the application.
#[derive(Clone)]
pub struct Keystone {
    sources: Sources,
}

impl Keystone {
    pub fn new(directory: Directory, catalog: Catalog, services: ServiceStore) -> Self {
        Self {
            sources: Sources {
                directory,
                catalog,
                services,
            },
        }
    }

    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config.app_data(self.sources.clone());
        routes::configure(config);
    }

    /// v3 and the root speak Keystone v3's faults (JSON only); v2.0's version document and
    /// extensions speak v2.0's, with Keystone's `error` beside the named fault.
    pub fn path_rules(rules: PathRules) -> PathRules {
        rules
            .speaks(routes::is_v3_path, Dialect::KeystoneV3)
            .speaks(routes::is_v2_discovery_path, Dialect::KeystoneV2)
    }
}
