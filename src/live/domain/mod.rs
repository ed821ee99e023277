//! The live registry's values, each only ever holding what the contract allows. They are
//! made from requests checked by `super::requests` or from rows this subsystem wrote.

mod configuration;
mod limits;
mod service;

pub use configuration::{ConfigurationId, ConfigurationValue, Namespace};
pub use limits::RatePolicy;
pub use service::{
    HeartbeatTimeout, HeartbeatToken, Metadata, NewService, Service, ServiceChanges, ServiceId,
    Tags,
};

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// The rule a value from a request broke, worded as RSR's faults word it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenRule(pub &'static str);

impl fmt::Display for BrokenRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// RSR's rule for service ids and the `tag` query parameter.
pub static SERVICE_ID_RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9_.-]{3,65}$").expect("a valid pattern"));

/// Up to ten namespace segments, then an optional key.
pub static CONFIGURATION_ID_RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(/[a-zA-Z0-9_-]{3,50}/?){0,10}([a-zA-Z0-9_.-]{3,170})?$")
        .expect("a valid pattern")
});
