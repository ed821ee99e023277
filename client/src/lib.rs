//! Client of service-registry, for any tokio program.
//!
//! The live registry (`/v1.0/{tenantId}`): services that register themselves and stay
//! alive with a [`HeartBeater`], configuration values, limits, and the events feed as a
//! stream; and the HP-IDM admin API ([`Admin`]). Authentication (`POST /v2.0/tokens`)
//! happens on first use and again shortly before the token expires or after a 401.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use service_registry_client::{Client, Credentials};
//!
//! # async fn example() -> Result<(), service_registry_client::Error> {
//! let client = Client::builder("http://127.0.0.1:35357")
//!     .credentials(Credentials::Password {
//!         username: "alice".into(),
//!         password: "correct horse battery".into(),
//!     })
//!     .build()?;
//!
//! // Register this process; the heartbeater keeps it alive until stopped or dropped.
//! let (service, heartbeater) = client
//!     .services()
//!     .register("web-1", 30, vec!["api".into()], Default::default())
//!     .await?;
//! let running = heartbeater.start();
//!
//! // Follow the feed: every join, timeout and change, each once.
//! let mut events = Box::pin(client.events().follow(None));
//! while let Some(event) = events.next().await {
//!     println!("{:?}", event?);
//!     break;
//! }
//! running.stop().await;
//! client.services().delete(&service.id).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Secrets never show in logs, and heartbeats follow RSR's cadence:
//!
//! ```
//! use std::time::Duration;
//! use service_registry_client::{Credentials, HeartBeater};
//!
//! let credentials = Credentials::ApiKey { username: "svc".into(), api_key: "s3cret".into() };
//! assert!(!format!("{credentials:?}").contains("s3cret"));
//! assert_eq!(HeartBeater::interval(30), Duration::from_secs(24)); // 0.8 × timeout
//! assert_eq!(HeartBeater::interval(10), Duration::from_secs(6)); // 0.6 × under 15 s
//! ```

mod admin;
mod auth;
pub mod cli;
mod client;
mod configuration;
mod error;
mod events;
mod heartbeater;
mod paging;
mod render;
mod retry;
mod services;
mod types;

pub use admin::{Admin, EndpointTemplate, RegisteredService};
pub use auth::Credentials;
pub use client::{Client, ClientBuilder, Page, DEFAULT_TIMEOUT};
pub use configuration::Configuration;
pub use error::{Error, Fault, Result};
pub use events::Events;
pub use heartbeater::{HeartBeater, Running, Stopped};
pub use services::Services;
pub use types::{
    ConfigurationValue, Event, HeartbeatRate, Limits, NewService, RateLimit, ResourceLimits,
    Service, ServiceUpdate,
};
