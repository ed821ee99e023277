//! One integration-test binary: every module shares the `TestApp` helpers.

// A test body written but not listed in `on_both_backends!` would never run: fail the
// build (not only clippy's) instead of warning.
#![deny(dead_code)]

#[macro_use]
mod helpers;

mod catalog;
mod cli;
mod cli_identity;
mod client_crate;
mod concurrency;
mod conditional;
mod console;
mod docs;
mod endpoint_templates;
mod get_service;
mod json_shapes;
mod keystone;
mod lifecycle;
mod list_services;
mod live;
mod liveness;
mod metrics;
mod multinode;
mod negotiation;
mod read_cache;
mod register_service;
mod request_safety;
mod schemas;
mod seed_examples;
mod snapshot;
mod tls;
mod token_validation;
mod tokens;
mod trailing_slash;
mod update_service;
