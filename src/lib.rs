//! service-registry: a Keystone-style admin registry of services (the HP-IDM v1.0
//! registered-services API, identity and the service catalog), served over HTTP in JSON
//! and namespaced XML, and the live registry of RSR (`/v1.0/{tenantId}`) in JSON.
//!
//! Each subsystem (`registry`, `identity`, `catalog`, `live`) owns its domain types,
//! storage, views and routes and exposes a `configure`; `app` composes them on the shared `platform`, and
//! `faults` maps every subsystem's errors to faults in one place.

pub mod app;
pub mod catalog;
pub mod cli;
pub mod console;
mod faults;
pub mod identity;
pub mod keystone;
pub mod live;
pub mod platform;
pub mod registry;
pub mod settings;
pub mod snapshot;
