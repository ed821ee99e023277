//! service-registry: a Keystone-style admin registry of services (the HP-IDM v1.0
//! registered-services API), served over HTTP in JSON and namespaced XML.
//!
//! Each subsystem (`registry`, `identity`) owns its domain types, storage, views and
//! routes and exposes a `configure`; `app` composes them on the shared `platform`, and
//! `faults` maps every subsystem's errors to faults in one place.

pub mod app;
pub mod catalog;
pub mod cli;
mod faults;
pub mod identity;
pub mod platform;
pub mod registry;
pub mod settings;
mod tls;
