//! service-registry: a Keystone-style admin registry of services (the HP-IDM v1.0
//! registered-services API), served over HTTP in JSON and namespaced XML.

pub mod cli;
pub mod domain;
pub mod error;
pub mod http;
pub mod startup;
pub mod storage;
