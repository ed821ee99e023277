//! Request bodies and query strings of the live registry. A body is read once into a
//! plain DTO (its JSON types checked by serde), then each key is made into its domain value
//! by that value's own constructor, which holds the rule and its wording: a refusal names
//! the key and the rule, as RSR's faults do, and no rule is written twice.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header::{HeaderMap, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::domain::{
    BrokenRule, ConfigurationValue, HeartbeatTimeout, HeartbeatToken, Metadata, NewService,
    ServiceChanges, ServiceId, Tags, SERVICE_ID_RULE,
};
use super::error::{LiveError, Result};
use crate::live::events::{EventId, EventKind};
use crate::platform::http::strict_json;
use crate::platform::paging::{PageSize, RSR};
use crate::platform::text::printable;

/// RSR's body limit; larger bodies get 413 `requestTooLargeError`.
pub const MAX_BODY_BYTES: usize = 5000;

/// RSR's fault for a key a body must have.
const REQUIRED: BrokenRule = BrokenRule("Attribute is required");

/// The fault of a body whose `key` broke a rule.
fn refused(key: &str, broken: BrokenRule) -> LiveError {
    LiveError::InvalidBody {
        key: key.to_owned(),
        rule: broken.to_string(),
    }
}

/// The domain value of a key's value, or the fault that names the key and its rule.
fn made<R, T>(
    key: &str,
    raw: R,
    make: impl FnOnce(R) -> std::result::Result<T, BrokenRule>,
) -> Result<T> {
    make(raw).map_err(|broken| refused(key, broken))
}

/// [`made`] of a key the body must have.
fn required<R, T>(
    key: &str,
    raw: Option<R>,
    make: impl FnOnce(R) -> std::result::Result<T, BrokenRule>,
) -> Result<T> {
    made(key, raw.ok_or_else(|| refused(key, REQUIRED))?, make)
}

/// [`made`] of a key the body may leave out.
fn optional<R, T>(
    key: &str,
    raw: Option<R>,
    make: impl FnOnce(R) -> std::result::Result<T, BrokenRule>,
) -> Result<Option<T>> {
    raw.map(|raw| made(key, raw, make)).transpose()
}

fn timeout(seconds: i64) -> std::result::Result<HeartbeatTimeout, BrokenRule> {
    HeartbeatTimeout::new(seconds).ok_or(HeartbeatTimeout::RULE)
}

#[derive(Debug, Deserialize)]
pub struct CreateServiceRequest {
    id: Option<String>,
    #[serde(default, deserialize_with = "integer_or_numeric_string")]
    heartbeat_timeout: Option<i64>,
    tags: Option<Vec<String>>,
    metadata: Option<BTreeMap<String, String>>,
}

impl CreateServiceRequest {
    /// Keys are checked in the order of their names, so a body that breaks several rules
    /// always gets the same answer.
    pub fn into_new(self) -> Result<NewService> {
        let heartbeat_timeout = required("heartbeat_timeout", self.heartbeat_timeout, timeout)?;
        let id = required("id", self.id, |id| {
            ServiceId::parse(&id).ok_or(ServiceId::RULE)
        })?;
        let metadata = made("metadata", self.metadata.unwrap_or_default(), Metadata::new)?;
        let tags = made("tags", self.tags.unwrap_or_default(), Tags::new)?;
        Ok(NewService {
            id,
            heartbeat_timeout,
            tags,
            metadata,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct UpdateServiceRequest {
    /// Ids are immutable; naming the same id again is harmless.
    id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "integer_or_numeric_string")]
    heartbeat_timeout: Option<i64>,
    tags: Option<Vec<String>>,
    metadata: Option<BTreeMap<String, String>>,
}

impl UpdateServiceRequest {
    /// The changed keys first, in the order of their names, then the id they may not change.
    pub fn into_changes(self, id: &ServiceId) -> Result<ServiceChanges> {
        let changes = ServiceChanges {
            heartbeat_timeout: optional("heartbeat_timeout", self.heartbeat_timeout, timeout)?,
            metadata: optional("metadata", self.metadata, Metadata::new)?,
            tags: optional("tags", self.tags, Tags::new)?,
        };
        if let Some(named) = &self.id {
            if named.as_str() != Some(id.as_str()) {
                return Err(LiveError::InvalidBody {
                    key: "id".into(),
                    rule: "Attribute is immutable".into(),
                });
            }
        }
        Ok(changes)
    }
}

#[derive(Debug, Deserialize)]
pub struct HeartbeatRequest {
    token: Option<String>,
}

impl HeartbeatRequest {
    pub fn into_token(self) -> Result<HeartbeatToken> {
        required("token", self.token, |token| {
            HeartbeatToken::parse(&token).ok_or(HeartbeatToken::RULE)
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct SetValueRequest {
    value: Option<String>,
}

impl SetValueRequest {
    pub fn into_value(self) -> Result<ConfigurationValue> {
        required("value", self.value, |value| {
            ConfigurationValue::new(value).ok_or(ConfigurationValue::RULE)
        })
    }
}

/// RSR accepted the timeout as a number or a string of digits.
fn integer_or_numeric_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Integer(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Raw::Integer(value)) => Ok(Some(value)),
        Some(Raw::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("Must be an integer")),
    }
}

/// A JSON body: no Content-Type means JSON (RSR's clients send none), an empty body is
/// `{}`. The size limit is enforced before (413); the keys' rules after, by the DTO.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T> {
    if let Some(value) = headers.get(CONTENT_TYPE) {
        let raw = value.to_str().unwrap_or("");
        let essence = raw.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(LiveError::UnsupportedContentType(printable(raw)));
        }
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let document =
        strict_json::parse(body).map_err(|error| LiveError::UnparsableBody(error.to_string()))?;
    let parsed: T =
        serde_path_to_error::deserialize(strict_json::Strict(&document)).map_err(|error| {
            let key = first_key(error.path());
            let inner = error.into_inner();
            match key {
                Some(key) if inner.is_data() => LiveError::InvalidBody {
                    key,
                    rule: inner.to_string(),
                },
                _ => LiveError::UnparsableBody(inner.to_string()),
            }
        })?;
    Ok(parsed)
}

fn first_key(path: &serde_path_to_error::Path) -> Option<String> {
    match path.iter().next()? {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        _ => None,
    }
}

/// Paging parameters of every list: `limit` 1..=1000 (default 100), `marker` inclusive.
pub struct Paging {
    pub size: PageSize,
    pub marker: Option<String>,
}

impl Paging {
    pub fn from_query(query: &HashMap<String, String>) -> Result<Self> {
        Ok(Self {
            size: RSR
                .limit(query.get("limit").map(String::as_str))
                .map_err(|error| LiveError::InvalidLimit(error.to_string()))?,
            marker: query.get("marker").cloned(),
        })
    }

    /// A list ordered by ids takes only an id as its marker: anything else is refused as
    /// RSR refuses a bad id, naming `marker` and the id's `rule`.
    pub fn marker_checked(self, is_id: impl Fn(&str) -> bool, rule: BrokenRule) -> Result<Self> {
        match &self.marker {
            Some(marker) if !is_id(marker) => Err(LiveError::invalid_parameter("marker", rule)),
            _ => Ok(self),
        }
    }
}

/// `tag` of the service list: the id rule.
pub fn tag_filter(query: &HashMap<String, String>) -> Result<Option<String>> {
    match query.get("tag") {
        None => Ok(None),
        Some(tag) if SERVICE_ID_RULE.is_match(tag) => Ok(Some(tag.clone())),
        Some(_) => Err(LiveError::invalid_parameter("tag", ServiceId::RULE)),
    }
}

/// `type` of the events feed.
pub fn event_kind(query: &HashMap<String, String>) -> Result<Option<EventKind>> {
    match query.get("type") {
        None => Ok(None),
        Some(raw) => EventKind::parse(raw)
            .map(Some)
            .ok_or_else(|| LiveError::InvalidType(printable(raw), EventKind::valid_names())),
    }
}

/// `wait` of a long poll: whole seconds, 0..=60.
pub fn wait_seconds(query: &HashMap<String, String>) -> Result<u64> {
    match query.get("wait") {
        None => Ok(0),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|seconds| *seconds <= 60)
            .ok_or_else(|| LiveError::invalid_parameter("wait", "Whole seconds from 0 to 60")),
    }
}

/// The events marker: a UUID, not in the future, not before the tenant existed.
pub fn event_marker(raw: &str, now: i64, tenant_created_at: i64) -> Result<EventId> {
    let invalid = |rule: &str| LiveError::invalid_parameter("marker", rule);
    let marker = EventId::parse(raw).ok_or_else(|| invalid("Invalid UUID"))?;
    if let Some(millis) = marker.millis() {
        if millis > now {
            return Err(invalid(
                "from parameter must be smaller than the current time",
            ));
        }
        if millis < tenant_created_at - tenant_created_at % 1000 {
            return Err(invalid(
                "from parameter must be greater than or equal to the account creation date",
            ));
        }
    }
    Ok(marker)
}
