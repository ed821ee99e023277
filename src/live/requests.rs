//! Request bodies and query strings of the live registry. Bodies are plain DTOs checked
//! by `validator` and only then turned into domain values; every refusal names the key
//! and the rule, as RSR's faults do.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::header::{HeaderMap, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use validator::{Validate, ValidationError, ValidationErrors};

use super::domain::{
    ConfigurationValue, HeartbeatTimeout, HeartbeatToken, Metadata, NewService, ServiceChanges,
    ServiceId, Tags, SERVICE_ID_RULE,
};
use super::error::{LiveError, Result};
use crate::live::events::{EventId, EventKind};
use crate::platform::http::strict_json;
use crate::platform::paging::{PageSize, RSR};
use crate::platform::text::printable;

/// RSR's body limit; larger bodies get 413 `requestTooLargeError`.
pub const MAX_BODY_BYTES: usize = 5000;

#[derive(Debug, Deserialize, Validate)]
pub struct CreateServiceRequest {
    #[validate(
        required(message = "Attribute is required"),
        regex(path = *SERVICE_ID_RULE, message = "Must match ^[a-zA-Z0-9_.-]{3,65}$")
    )]
    id: Option<String>,
    #[serde(default, deserialize_with = "integer_or_numeric_string")]
    #[validate(
        required(message = "Attribute is required"),
        range(min = 3, max = 120, message = "Value out of range (3..120)")
    )]
    heartbeat_timeout: Option<i64>,
    #[validate(custom(function = "valid_tags"))]
    tags: Option<Vec<String>>,
    #[validate(custom(function = "valid_metadata"))]
    metadata: Option<BTreeMap<String, String>>,
}

impl CreateServiceRequest {
    pub fn into_new(self) -> Result<NewService> {
        let id = self.id.as_deref().and_then(ServiceId::parse);
        let timeout = self.heartbeat_timeout.and_then(HeartbeatTimeout::new);
        let (Some(id), Some(heartbeat_timeout)) = (id, timeout) else {
            return Err(invariant("service"));
        };
        Ok(NewService {
            id,
            heartbeat_timeout,
            tags: tags(self.tags)?,
            metadata: metadata(self.metadata)?,
        })
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct UpdateServiceRequest {
    /// Ids are immutable; naming the same id again is harmless.
    id: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "integer_or_numeric_string")]
    #[validate(range(min = 3, max = 120, message = "Value out of range (3..120)"))]
    heartbeat_timeout: Option<i64>,
    #[validate(custom(function = "valid_tags"))]
    tags: Option<Vec<String>>,
    #[validate(custom(function = "valid_metadata"))]
    metadata: Option<BTreeMap<String, String>>,
}

impl UpdateServiceRequest {
    pub fn into_changes(self, id: &ServiceId) -> Result<ServiceChanges> {
        if let Some(named) = &self.id {
            if named.as_str() != Some(id.as_str()) {
                return Err(LiveError::InvalidBody {
                    key: "id".into(),
                    rule: "Attribute is immutable".into(),
                });
            }
        }
        Ok(ServiceChanges {
            heartbeat_timeout: match self.heartbeat_timeout {
                Some(seconds) => {
                    Some(HeartbeatTimeout::new(seconds).ok_or_else(|| invariant("timeout"))?)
                }
                None => None,
            },
            tags: self.tags.map(|t| tags(Some(t))).transpose()?,
            metadata: self.metadata.map(|m| metadata(Some(m))).transpose()?,
        })
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct HeartbeatRequest {
    #[validate(
        required(message = "Attribute is required"),
        custom(function = "valid_token")
    )]
    token: Option<String>,
}

impl HeartbeatRequest {
    pub fn into_token(self) -> Result<HeartbeatToken> {
        self.token
            .as_deref()
            .and_then(HeartbeatToken::parse)
            .ok_or_else(|| invariant("token"))
    }
}

#[derive(Debug, Deserialize, Validate)]
pub struct SetValueRequest {
    #[validate(
        required(message = "Attribute is required"),
        length(min = 1, max = 1024, message = "Must be 1 to 1024 characters long")
    )]
    value: Option<String>,
}

impl SetValueRequest {
    pub fn into_value(self) -> Result<ConfigurationValue> {
        self.value
            .and_then(ConfigurationValue::new)
            .ok_or_else(|| invariant("value"))
    }
}

/// A DTO that passed validation but does not make its domain value: a bug of ours.
fn invariant(what: &str) -> LiveError {
    LiveError::corrupt("request", format!("validated {what} is not a valid value"))
}

fn tags(raw: Option<Vec<String>>) -> Result<Tags> {
    Tags::new(raw.unwrap_or_default()).ok_or_else(|| invariant("tags"))
}

fn metadata(raw: Option<BTreeMap<String, String>>) -> Result<Metadata> {
    Metadata::new(raw.unwrap_or_default()).ok_or_else(|| invariant("metadata"))
}

fn rule(message: &'static str) -> ValidationError {
    ValidationError::new("rule").with_message(message.into())
}

fn valid_tags(tags: &[String]) -> std::result::Result<(), ValidationError> {
    if tags.len() > Tags::MAX {
        return Err(rule("At most 10 tags"));
    }
    if Tags::new(tags.to_vec()).is_none() {
        return Err(rule("Each tag must be 1 to 55 characters long"));
    }
    Ok(())
}

fn valid_metadata(pairs: &BTreeMap<String, String>) -> std::result::Result<(), ValidationError> {
    if pairs.len() > Metadata::MAX {
        return Err(rule("At most 20 keys"));
    }
    if Metadata::new(pairs.clone()).is_none() {
        return Err(rule("Keys and values must be 1 to 255 characters long"));
    }
    Ok(())
}

fn valid_token(token: &str) -> std::result::Result<(), ValidationError> {
    HeartbeatToken::parse(token)
        .map(|_| ())
        .ok_or_else(|| rule("Must be a UUID"))
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
/// `{}`; then the DTO's rules. The size limit is enforced before (413).
pub fn parse_body<T: DeserializeOwned + Validate>(headers: &HeaderMap, body: &[u8]) -> Result<T> {
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
    parsed.validate().map_err(first_violation)?;
    Ok(parsed)
}

fn first_key(path: &serde_path_to_error::Path) -> Option<String> {
    match path.iter().next()? {
        serde_path_to_error::Segment::Map { key } => Some(key.clone()),
        _ => None,
    }
}

/// The first broken rule, by key name, so the same body always gets the same answer.
fn first_violation(errors: ValidationErrors) -> LiveError {
    let fields = errors.field_errors();
    let mut keys: Vec<_> = fields.keys().collect();
    keys.sort();
    let Some(key) = keys.first() else {
        return LiveError::UnparsableBody("invalid body".into());
    };
    let rule = fields[*key]
        .first()
        .and_then(|error| error.message.as_ref())
        .map_or_else(|| "Invalid value".to_owned(), ToString::to_string);
    LiveError::InvalidBody {
        key: key.to_string(),
        rule,
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
    pub fn marker_checked(self, is_id: impl Fn(&str) -> bool, rule: &str) -> Result<Self> {
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
        Some(_) => Err(LiveError::invalid_parameter(
            "tag",
            "Must match ^[a-zA-Z0-9_.-]{3,65}$",
        )),
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
