//! Wire formats: each document type encoded and decoded in JSON and XML through one
//! entry point, so handlers never branch on the format.

pub mod json;
pub mod xml;

use super::fault::Fault;
use super::negotiation::Format;
use crate::domain::{Service, ServiceDraft};
use crate::error::Result;

/// Everything the API writes.
pub enum Document<'a> {
    Service(&'a Service),
    Services(&'a [Service]),
    Fault(&'a Fault),
}

pub fn encode(document: &Document<'_>, format: Format) -> Vec<u8> {
    match (format, document) {
        (Format::Json, Document::Service(s)) => json::service(s),
        (Format::Json, Document::Services(s)) => json::services(s),
        (Format::Json, Document::Fault(f)) => json::fault(f),
        (Format::Xml, Document::Service(s)) => xml::service(s),
        (Format::Xml, Document::Services(s)) => xml::services(s),
        (Format::Xml, Document::Fault(f)) => xml::fault(f),
    }
}

/// Reads a `registerService` request body; the domain applies the rules afterwards.
pub fn decode_service(body: &[u8], format: Format) -> Result<ServiceDraft> {
    match format {
        Format::Json => json::decode_service(body),
        Format::Xml => xml::decode_service(body),
    }
}
