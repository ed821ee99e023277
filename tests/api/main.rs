//! One integration-test binary: every module shares the `TestApp` helpers.

mod cli;
mod concurrency;
mod get_service;
mod helpers;
mod list_services;
mod negotiation;
mod register_service;
mod request_safety;
mod seed_examples;
mod update_service;
