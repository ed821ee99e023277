//! JSON shapes of the seed. Field order is the seed's (alphabetical), `id` is a string,
//! `otherAttributes` is always `{}` and the list wrapper carries `"anies": null`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{Service, ServiceDraft, ServiceId};
use crate::error::{Error, Result};
use crate::http::fault::Fault;

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ServiceJson<'a> {
    description: Option<&'a str>,
    #[serde(serialize_with = "as_string")]
    id: ServiceId,
    #[serde(rename = "otherAttributes")]
    other_attributes: Empty,
    #[serde(rename = "releaseState")]
    release_state: &'a str,
    #[serde(rename = "serviceName")]
    service_name: &'a str,
    #[serde(rename = "serviceType")]
    service_type: &'a str,
}

impl<'a> From<&'a Service> for ServiceJson<'a> {
    fn from(service: &'a Service) -> Self {
        Self {
            description: service.description.as_ref().map(|d| d.as_str()),
            id: service.id,
            other_attributes: Empty {},
            release_state: service.release_state.as_str(),
            service_name: service.name.as_str(),
            service_type: service.service_type.as_str(),
        }
    }
}

#[derive(Serialize)]
struct ServiceEnvelope<'a> {
    #[serde(rename = "registerService")]
    register_service: ServiceJson<'a>,
}

#[derive(Serialize)]
struct ServiceListJson<'a> {
    anies: Option<()>,
    #[serde(rename = "otherAttributes")]
    other_attributes: Empty,
    #[serde(rename = "registerService", serialize_with = "each_service")]
    register_service: &'a [Service],
}

/// The id as a JSON string, written straight into the output (no String per row).
fn as_string<S: serde::Serializer>(id: &ServiceId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

fn each_service<S: serde::Serializer>(
    services: &&[Service],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(services.iter().map(ServiceJson::from))
}

#[derive(Serialize)]
struct ServiceListEnvelope<'a> {
    #[serde(rename = "registerServices")]
    register_services: ServiceListJson<'a>,
}

#[derive(Serialize)]
struct FaultJson<'a> {
    code: u16,
    details: &'a str,
    message: &'a str,
    #[serde(rename = "otherAttributes")]
    other_attributes: Empty,
}

/// Typical size of one service in JSON, to size the output buffer once.
const SERVICE_BYTES: usize = 192;

pub fn service(service: &Service) -> Vec<u8> {
    let document = ServiceEnvelope {
        register_service: service.into(),
    };
    to_vec(&document, SERVICE_BYTES)
}

pub fn services(services: &[Service]) -> Vec<u8> {
    let document = ServiceListEnvelope {
        register_services: ServiceListJson {
            anies: None,
            other_attributes: Empty {},
            register_service: services,
        },
    };
    to_vec(&document, 96 + services.len() * SERVICE_BYTES)
}

pub fn fault(fault: &Fault) -> Vec<u8> {
    let body = FaultJson {
        code: fault.status.as_u16(),
        details: &fault.details,
        message: fault.message,
        other_attributes: Empty {},
    };
    to_vec(
        &std::collections::BTreeMap::from([(fault.element, body)]),
        256,
    )
}

fn to_vec(document: &impl Serialize, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, document)
        .expect("documents of plain strings and numbers always serialize");
    out
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

pub fn decode_service(body: &[u8]) -> Result<ServiceDraft> {
    let envelope: RequestEnvelope = serde_json::from_slice(body)
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
