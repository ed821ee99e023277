//! Namespaced XML of the seed. Output is written directly (the documents are flat, and
//! escaping is the only subtle part); input is read by namespace, never by prefix, and
//! refuses DTDs and every entity but the five predefined ones and character references.

use std::fmt::Write as _;

use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

use crate::domain::{Service, ServiceDraft};
use crate::error::{Error, Result};
use crate::http::fault::Fault;

pub const SERVICES_NS: &str = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";
pub const FAULT_NS: &str = "http://docs.openstack.org/identity/api/v2.0";
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

pub fn service(service: &Service) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    write_service_element(&mut out, service, true);
    out.into_bytes()
}

pub fn services(services: &[Service]) -> Vec<u8> {
    let mut out = String::with_capacity(128 + services.len() * 200);
    out.push_str(DECLARATION);
    let _ = write!(out, r#"<registerServices xmlns="{SERVICES_NS}""#);
    if services.is_empty() {
        out.push_str("/>");
    } else {
        out.push('>');
        for service in services {
            write_service_element(&mut out, service, false);
        }
        out.push_str("</registerServices>");
    }
    out.into_bytes()
}

pub fn fault(fault: &Fault) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    let _ = write!(
        out,
        r#"<{element} xmlns="{FAULT_NS}" code="{code}"><message>{message}</message><details>"#,
        element = fault.element,
        code = fault.status.as_u16(),
        message = fault.message,
    );
    escape_into(&mut out, &fault.details);
    let _ = write!(out, "</details></{}>", fault.element);
    out.into_bytes()
}

/// Attribute order follows the seed: id, description, serviceName, serviceType,
/// releaseState. An absent description is an absent attribute.
fn write_service_element(out: &mut String, service: &Service, declare_namespace: bool) {
    out.push_str("<registerService");
    if declare_namespace {
        let _ = write!(out, r#" xmlns="{SERVICES_NS}""#);
    }
    let _ = write!(out, r#" id="{}""#, service.id);
    if let Some(description) = &service.description {
        push_attribute(out, "description", description.as_str());
    }
    push_attribute(out, "serviceName", service.name.as_str());
    push_attribute(out, "serviceType", service.service_type.as_str());
    push_attribute(out, "releaseState", service.release_state.as_str());
    out.push_str("/>");
}

fn push_attribute(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    escape_into(out, value);
    out.push('"');
}

/// Escapes markup characters, and writes tab, LF and CR as character references so a
/// reader's attribute-value normalization cannot turn them into spaces.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            other => out.push(other),
        }
    }
}

/// Reads a `registerService` element of [`SERVICES_NS`], with any prefix or none.
/// Unqualified attributes carry the fields; unknown ones are ignored like JSON's
/// `otherAttributes`; child content is ignored but must be well-formed.
pub fn decode_service(body: &[u8]) -> Result<ServiceDraft> {
    let text =
        std::str::from_utf8(body).map_err(|_| Error::invalid("the XML body is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let mut draft = None;
    let mut depth = 0usize;
    loop {
        let (namespace, event) = match reader.read_resolved_event() {
            Ok(resolved) => resolved,
            Err(e) => return Err(malformed(&e, reader.error_position())),
        };
        match event {
            Event::DocType(_) => {
                return Err(Error::invalid(
                    "DTDs (<!DOCTYPE ...>) are not allowed in request bodies",
                ))
            }
            Event::Decl(declaration) => {
                if let Some(encoding) = declaration.encoding() {
                    let encoding = encoding.map_err(|e| malformed(&e, reader.buffer_position()))?;
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(Error::invalid("only UTF-8 encoded XML is accepted"));
                    }
                }
            }
            Event::Start(ref element) | Event::Empty(ref element) if depth == 0 => {
                if draft.is_some() {
                    return Err(Error::invalid(
                        "an XML document has exactly one root element",
                    ));
                }
                let root = check_root(&namespace, element.local_name().as_ref());
                // A broken attribute list can hide the xmlns declaration: report the
                // malformation itself rather than a misleading "no namespace".
                for attribute in element.attributes() {
                    attribute.map_err(|e| malformed(&e, reader.buffer_position()))?;
                }
                root?;
                draft = Some(read_fields(&reader, element)?);
                if matches!(event, Event::Start(_)) {
                    depth = 1;
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Text(text) if depth == 0 => {
                if !text.iter().all(u8::is_ascii_whitespace) {
                    return Err(Error::invalid("text outside the root element"));
                }
            }
            Event::Text(_) => {}
            Event::CData(_) if depth == 0 => {
                return Err(Error::invalid("text outside the root element"))
            }
            Event::CData(_) => {}
            Event::GeneralRef(reference) => {
                let name = String::from_utf8_lossy(&reference).into_owned();
                let predefined = matches!(name.as_str(), "lt" | "gt" | "amp" | "apos" | "quot");
                if depth == 0 || !(predefined || reference.is_char_ref()) {
                    return Err(undefined_entity(&name));
                }
            }
            Event::Eof => break,
        }
    }
    if depth > 0 {
        return Err(Error::invalid(
            "the XML document ends before its root element is closed",
        ));
    }
    draft.ok_or_else(|| {
        Error::invalid(format!(
            "the XML body has no registerService element in namespace {SERVICES_NS}"
        ))
    })
}

fn check_root(namespace: &ResolveResult<'_>, local_name: &[u8]) -> Result<()> {
    let in_services_namespace =
        matches!(namespace, ResolveResult::Bound(Namespace(ns)) if *ns == SERVICES_NS.as_bytes());
    if let ResolveResult::Unknown(prefix) = namespace {
        return Err(Error::invalid(format!(
            "the namespace prefix '{}' is not declared",
            String::from_utf8_lossy(prefix)
        )));
    }
    if !in_services_namespace || local_name != b"registerService" {
        return Err(Error::invalid(format!(
            "expected a registerService element in namespace {SERVICES_NS}, got '{}'{}",
            String::from_utf8_lossy(local_name),
            match namespace {
                ResolveResult::Bound(Namespace(ns)) =>
                    format!(" in namespace {}", String::from_utf8_lossy(ns)),
                _ => " in no namespace".to_owned(),
            }
        )));
    }
    Ok(())
}

fn read_fields(reader: &NsReader<&[u8]>, element: &BytesStart<'_>) -> Result<ServiceDraft> {
    let mut draft = ServiceDraft::default();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| malformed(&e, reader.buffer_position()))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let (namespace, local_name) = reader.resolve_attribute(attribute.key);
        match namespace {
            ResolveResult::Unbound => {}
            ResolveResult::Unknown(prefix) => {
                return Err(Error::invalid(format!(
                    "the namespace prefix '{}' is not declared",
                    String::from_utf8_lossy(&prefix)
                )))
            }
            // Qualified attributes (xsi:type, ...) belong to other vocabularies.
            ResolveResult::Bound(_) => continue,
        }
        let slot = match local_name.as_ref() {
            b"id" => &mut draft.id,
            b"serviceName" => &mut draft.service_name,
            b"serviceType" => &mut draft.service_type,
            b"releaseState" => &mut draft.release_state,
            b"description" => &mut draft.description,
            _ => continue,
        };
        *slot = Some(attribute_value(&attribute.value)?);
    }
    Ok(draft)
}

/// XML 1.0 §3.3.3: literal line breaks and tabs in an attribute value read as spaces;
/// character references (`&#10;`) keep the character.
fn attribute_value(raw: &[u8]) -> Result<String> {
    let raw =
        std::str::from_utf8(raw).map_err(|_| Error::invalid("the XML body is not valid UTF-8"))?;
    let normalized = raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " ");
    unescape(&normalized)
        .map(|value| value.into_owned())
        .map_err(|e| match e {
            quick_xml::escape::EscapeError::UnrecognizedEntity(_, name) => undefined_entity(&name),
            other => Error::invalid(format!("malformed XML attribute value: {other}")),
        })
}

fn undefined_entity(name: &str) -> Error {
    Error::invalid(format!(
        "malformed XML: the entity &{name}; is not defined (only &lt; &gt; &amp; &apos; &quot; \
         and character references are allowed)"
    ))
}

fn malformed(error: &dyn std::fmt::Display, position: u64) -> Error {
    Error::invalid(format!("malformed XML at byte {position}: {error}"))
}
