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

/// The registry's part of the application.
#[derive(Clone)]
pub struct Registry {
    store: ServiceStore,
}

impl Registry {
    pub fn new(database: Database) -> Self {
        Self {
            store: ServiceStore::new(database),
        }
    }

    /// The registry's public API for other subsystems.
    pub fn store(&self) -> ServiceStore {
        self.store.clone()
    }

    /// The store goes in as plain app data: handlers reach it only through a guard.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config.app_data(self.store.clone());
        routes::configure(config);
    }
}
