//! `registerService` request documents, in either format, read into a [`ServiceDraft`];
//! the domain applies the rules afterwards.

use serde::Deserialize;
use serde_json::Value;

use super::domain::{PageRequest, ServiceDraft};
use super::error::{RegistryError as Error, Result};
use super::views::SERVICES_NS;
use crate::platform::http::{query_string, strict_json, xml, Document};

pub const DOCUMENT: &str = "registerService";

pub fn decode_service(document: &Document) -> Result<ServiceDraft> {
    document.decode(decode_json, decode_xml)
}

#[derive(Deserialize)]
struct RequestEnvelope {
    #[serde(rename = "registerService")]
    register_service: Option<ServiceRequestJson>,
}

/// Unknown members (and `otherAttributes`) are accepted and ignored.
#[derive(Deserialize)]
struct ServiceRequestJson {
    id: Option<Value>,
    #[serde(rename = "serviceName")]
    service_name: Option<String>,
    #[serde(rename = "serviceType")]
    service_type: Option<String>,
    #[serde(rename = "releaseState")]
    release_state: Option<String>,
    description: Option<String>,
}

fn decode_json(body: &[u8]) -> Result<ServiceDraft> {
    let envelope: RequestEnvelope = strict_json::from_slice(body)
        .map_err(|e| Error::invalid(format!("malformed JSON body: {e}")))?;
    let service = envelope.register_service.ok_or_else(|| {
        Error::invalid("the JSON body must be an object with a registerService member")
    })?;
    let id = match service.id {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(Value::Number(number)) => Some(integral_number(&number)?),
        Some(_) => {
            return Err(Error::invalid(
                "id must be a string of digits or a JSON number",
            ))
        }
    };
    Ok(ServiceDraft {
        id,
        service_name: service.service_name,
        service_type: service.service_type,
        release_state: service.release_state,
        description: service.description,
    })
}

/// JSON has one number type: `240`, `240.0` and `2.4e2` are all the integer 240 (as JSON
/// Schema says). A number with a fraction is not an id, and beyond 2^53 a number written
/// with a fraction or exponent cannot be read exactly, so it must come as a string.
fn integral_number(number: &serde_json::Number) -> Result<String> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if let Some(value) = number.as_u64() {
        return Ok(value.to_string());
    }
    if let Some(value) = number.as_i64() {
        return Ok(value.to_string()); // negative: refused by the id rule with its message
    }
    match number.as_f64() {
        Some(value) if value.fract() == 0.0 && value.abs() <= EXACT => {
            Ok((value as i64).to_string())
        }
        Some(value) if value.fract() == 0.0 => Err(Error::invalid(
            "id is too large to be read exactly from this number; send it as a string of digits",
        )),
        _ => Err(Error::invalid(format!(
            "id must be an integer, got {number}"
        ))),
    }
}

/// A `registerService` element of [`SERVICES_NS`]; the fields are its attributes.
fn decode_xml(body: &[u8]) -> Result<ServiceDraft> {
    const FIELDS: [&str; 5] = [
        "id",
        "serviceName",
        "serviceType",
        "releaseState",
        "description",
    ];
    let mut draft = ServiceDraft::default();
    for (name, value) in xml::root_attributes(body, SERVICES_NS, DOCUMENT, &FIELDS)? {
        let slot = match name {
            "id" => &mut draft.id,
            "serviceName" => &mut draft.service_name,
            "serviceType" => &mut draft.service_type,
            "releaseState" => &mut draft.release_state,
            _ => &mut draft.description,
        };
        *slot = Some(value);
    }
    Ok(draft)
}

/// The list's query string: `limit`, `marker`, `serviceType`.
#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    marker: Option<String>,
    #[serde(rename = "serviceType")]
    service_type: Option<String>,
}

/// The page a list's query string asks for.
pub fn page_request(query: &str) -> Result<PageRequest> {
    let query: ListQuery = query_string(query).map_err(|e| Error::invalid(e.to_string()))?;
    PageRequest::parse(
        query.limit.as_deref(),
        query.marker.as_deref(),
        query.service_type.as_deref(),
    )
}
