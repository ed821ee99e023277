//! The HP-IDM registered services (`/v2.0/HP-IDM/v1.0/services`): client-numbered
//! services with case-insensitively unique names and a release-state lifecycle.

pub mod domain;
mod error;
mod requests;
mod routes;
mod schema;
mod store;
mod views;

use actix_web::web;

pub use error::RegistryError;
pub use routes::API_BASE;
pub use store::ServiceStore;
pub use views::SERVICES_NS;

use crate::platform::db::Database;
use crate::platform::freshness::Freshness;
use crate::platform::metrics::Metrics;
use crate::platform::workers::Workers;
use crate::settings::CacheSettings;
use routes::ServiceData;

/// The `generations` row every write of a registered service bumps.
const GENERATION: &str = "registry.services";

/// The registry's part of the application.
#[derive(Clone)]
pub struct Registry {
    database: Database,
    freshness: Freshness,
    data: ServiceData,
}

impl Registry {
    pub fn new(database: Database, settings: &CacheSettings, metrics: &Metrics) -> Self {
        let freshness = Freshness::new(GENERATION, settings);
        let store = ServiceStore::new(database.clone(), freshness.clone());
        Self {
            database,
            data: ServiceData::new(store, freshness.clone(), settings, metrics),
            freshness,
        }
    }

    /// The registry's public API for other subsystems.
    pub fn store(&self) -> ServiceStore {
        self.data.store().clone()
    }

    /// The data goes in as plain app data: handlers reach it only through a guard.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config.app_data(self.data.clone());
        routes::configure(config);
    }

    /// The poller that lets other nodes' writes reach this node's cached reads.
    pub fn start_workers(&self, workers: &mut Workers) {
        self.freshness.start_poller(workers, self.database.clone());
    }
}
