//! Endpoint templates (`/v2.0/HP-IDM/v1.0/endpointTemplates`), their tenants
//! (`/v2.0/HP-IDM/v1.0/tenants/{id}/endpoints`), and the service catalog built from them
//! for identity's tokens. Services come from the registry, tenants from identity, both
//! through their public APIs.

pub mod domain;
mod endpoints;
mod error;
mod requests;
mod routes;
mod schema;
mod service;
mod source;
mod store;
mod views;

pub use error::CatalogError;
pub use service::Catalog;
pub use store::{RegionChanges, RegionRecord};
