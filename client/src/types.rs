//! The live registry's objects as its JSON carries them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A live service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub heartbeat_timeout: u32,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Milliseconds since the epoch of the last heartbeat; `None` before the first.
    pub last_seen: Option<i64>,
}

/// A service to create: its id, its heartbeat timeout (3..=120 s), tags and metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewService {
    pub id: String,
    pub heartbeat_timeout: u32,
    pub tags: Vec<String>,
    pub metadata: BTreeMap<String, String>,
}

/// The fields to replace; `None` keeps a field (`Some(vec![])` clears the tags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// An event of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    /// Milliseconds since the epoch (a timeout: its deadline).
    pub timestamp: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: serde_json::Value,
}

/// A configuration value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationValue {
    pub id: String,
    pub value: String,
}

/// The tenant's limits and this window's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub resource: ResourceLimits,
    pub rate: BTreeMap<String, RateLimit>,
    /// What the tenant holds now (servers before this member was added do not send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<ResourceLimits>,
    /// The fleet's heartbeats in the last complete minute against what its live services
    /// need (servers before this member was added do not send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeats: Option<HeartbeatRate>,
}

/// Every node's accepted heartbeats of the tenant in the minute ending at `window_end`
/// (milliseconds since the epoch), against one heartbeat per timeout for each live
/// service, rounded up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRate {
    pub per_minute: u64,
    pub needed_per_minute: u64,
    pub window_end: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    pub service: u64,
    pub configuration_value: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub limit: u64,
    pub used: u64,
    pub window: String,
}
