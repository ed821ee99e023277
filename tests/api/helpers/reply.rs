//! What the server answered, read format-neutrally: one view of a service or fault
//! whether it came as JSON or as XML, with the shape checks every test gets.

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use crate::helpers::{Format, FAULT_NS, SERVICES_NS};

/// A registered service as either format showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub service_type: String,
    pub release_state: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultView {
    pub element: String,
    pub code: u16,
    pub message: String,
    pub details: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    /// The path that answered, which decides the fault dialect a test expects.
    pub path: String,
}

/// Which fault shape a path answers with in JSON.
#[derive(Debug, PartialEq, Eq)]
enum JsonFaults {
    /// HP-IDM: the named fault alone, exactly as the seed shows it.
    Named,
    /// OpenStack Identity v2.0's routes: the named fault and Keystone's `error` beside it.
    NamedAndError,
    /// Keystone v3 and the root: `error` alone.
    ErrorOnly,
}

fn json_faults(path: &str) -> JsonFaults {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if path == "/" || under("/v3") {
        JsonFaults::ErrorOnly
    } else if under("/v2.0/tokens")
        || under("/v2.0/tenants")
        || under("/v2.0/extensions")
        || path.trim_end_matches('/') == "/v2.0"
    {
        JsonFaults::NamedAndError
    } else {
        JsonFaults::Named
    }
}

impl Reply {
    pub async fn from(request: RequestBuilder) -> Self {
        let (client, request) = request.build_split();
        let request = request.expect("a well-formed request");
        let head = request.method() == reqwest::Method::HEAD;
        let response = client.execute(request).await.expect("request is answered");
        let path = response.url().path().to_owned();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body is text");
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        // A HEAD answer declares the type of a body it does not carry.
        if !head {
            crate::helpers::schemas::check_response(status, content_type, &body);
        }
        Self {
            status,
            headers,
            body,
            path,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The format the response declares; panics on anything else.
    pub fn format(&self) -> Format {
        match self.header("content-type") {
            Some("application/json" | "application/json; charset=UTF-8") => Format::Json,
            Some("application/xml") => Format::Xml,
            other => panic!("unexpected Content-Type {other:?} for body {}", self.body),
        }
    }

    pub fn json(&self) -> Value {
        assert_eq!(self.format(), Format::Json);
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("invalid JSON ({e}): {}", self.body))
    }

    pub fn xml(&self) -> XmlElement {
        assert_eq!(self.format(), Format::Xml);
        XmlElement::parse(&self.body)
    }

    pub fn service(&self) -> ServiceView {
        match self.format() {
            Format::Json => {
                let document = self.json();
                let object = document.as_object().unwrap();
                assert_eq!(object.len(), 1, "one top-level key: {}", self.body);
                service_from_json(&document["registerService"])
            }
            Format::Xml => service_from_xml(&self.xml()),
        }
    }

    pub fn services(&self) -> Vec<ServiceView> {
        match self.format() {
            Format::Json => {
                let document = self.json();
                let list = &document["registerServices"];
                assert_eq!(list["anies"], Value::Null, "{}", self.body);
                assert_eq!(list["otherAttributes"], serde_json::json!({}));
                assert_eq!(list.as_object().unwrap().len(), 3, "{}", self.body);
                list["registerService"]
                    .as_array()
                    .unwrap_or_else(|| panic!("registerService is an array: {}", self.body))
                    .iter()
                    .map(service_from_json)
                    .collect()
            }
            Format::Xml => {
                let root = self.xml();
                assert_eq!(
                    (root.namespace.as_str(), root.name.as_str()),
                    (SERVICES_NS, "registerServices")
                );
                root.children.iter().map(service_from_xml).collect()
            }
        }
    }

    pub fn fault(&self) -> FaultView {
        match self.format() {
            Format::Json => {
                let mut document = self.json();
                let members = document.as_object_mut().unwrap();
                let dialect = json_faults(&self.path);
                let error = members.remove("error");
                assert_eq!(
                    error.is_some(),
                    dialect != JsonFaults::Named,
                    "Keystone's error member on {}: {}",
                    self.path,
                    self.body
                );
                if let Some(error) = &error {
                    assert_keys(error, &["code", "message", "title"]);
                    assert_eq!(error["code"], self.status.as_u16(), "{}", self.body);
                    assert_eq!(
                        error["title"],
                        self.status.canonical_reason().unwrap(),
                        "{}",
                        self.body
                    );
                }
                if dialect == JsonFaults::ErrorOnly {
                    assert!(members.is_empty(), "error alone: {}", self.body);
                    let error = error.unwrap();
                    return FaultView {
                        element: "error".into(),
                        code: error["code"].as_u64().unwrap() as u16,
                        message: error["title"].as_str().unwrap().to_owned(),
                        details: error["message"].as_str().unwrap().to_owned(),
                    };
                }
                assert_eq!(members.len(), 1, "{}", self.body);
                let (element, body) = members.iter().next().unwrap();
                assert_keys(body, &["code", "details", "message", "otherAttributes"]);
                if let Some(error) = &error {
                    assert_eq!(error["message"], body["details"], "{}", self.body);
                }
                assert_eq!(body["otherAttributes"], serde_json::json!({}));
                FaultView {
                    element: element.clone(),
                    code: body["code"].as_u64().expect("integer code") as u16,
                    message: body["message"].as_str().unwrap().to_owned(),
                    details: body["details"].as_str().unwrap().to_owned(),
                }
            }
            Format::Xml => {
                let root = self.xml();
                assert_eq!(root.namespace, FAULT_NS, "{}", self.body);
                let child = |name: &str| {
                    root.children
                        .iter()
                        .find(|c| c.name == name && c.namespace == FAULT_NS)
                        .unwrap_or_else(|| panic!("no {name} in {}", self.body))
                        .text
                        .clone()
                };
                FaultView {
                    element: root.name.clone(),
                    code: root.attributes["code"].parse().expect("integer code"),
                    message: child("message"),
                    details: child("details"),
                }
            }
        }
    }

    /// Asserts a fault with this status and element, in the declared format; returns it.
    pub fn assert_fault(&self, status: u16, element: &str) -> FaultView {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        let fault = self.fault();
        assert_eq!(fault.element, element, "body: {}", self.body);
        assert_eq!(fault.code, status);
        assert!(!fault.details.is_empty());
        fault
    }
}

/// Exactly these keys. serde_json's map sorts them, so this checks the set; the order on
/// the wire is checked on raw bodies by the seed-fixture tests.
fn assert_keys(value: &Value, expected: &[&str]) {
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, expected, "{value}");
}

fn service_from_json(value: &Value) -> ServiceView {
    assert_keys(
        value,
        &[
            "description",
            "id",
            "otherAttributes",
            "releaseState",
            "serviceName",
            "serviceType",
        ],
    );
    assert_eq!(value["otherAttributes"], serde_json::json!({}));
    let text = |key: &str| {
        value[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} is a string: {value}"))
            .to_owned()
    };
    ServiceView {
        id: text("id"),
        name: text("serviceName"),
        service_type: text("serviceType"),
        release_state: text("releaseState"),
        description: value["description"].as_str().map(str::to_owned),
    }
}

fn service_from_xml(element: &XmlElement) -> ServiceView {
    assert_eq!(
        (element.namespace.as_str(), element.name.as_str()),
        (SERVICES_NS, "registerService")
    );
    let attribute = |key: &str| element.attributes.get(key).cloned();
    ServiceView {
        id: attribute("id").expect("id"),
        name: attribute("serviceName").expect("serviceName"),
        service_type: attribute("serviceType").expect("serviceType"),
        release_state: attribute("releaseState").expect("releaseState"),
        description: attribute("description"),
    }
}

/// A namespace-aware XML tree: unqualified attributes and children, prefixes forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlElement {
    pub namespace: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub children: Vec<XmlElement>,
    pub text: String,
}

impl XmlElement {
    pub fn parse(text: &str) -> Self {
        let mut reader = NsReader::from_str(text);
        let mut stack: Vec<XmlElement> = Vec::new();
        loop {
            let (namespace, event) = reader
                .read_resolved_event()
                .unwrap_or_else(|e| panic!("malformed XML ({e}): {text}"));
            let namespace = match namespace {
                ResolveResult::Bound(ns) => String::from_utf8(ns.into_inner().to_vec()).unwrap(),
                ResolveResult::Unbound => String::new(),
                ResolveResult::Unknown(p) => panic!("unbound prefix {p:?}"),
            };
            match event {
                Event::Start(start) => stack.push(Self::open(&reader, namespace, &start)),
                Event::Empty(start) => {
                    let element = Self::open(&reader, namespace, &start);
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return element,
                    }
                }
                Event::End(_) => {
                    let element = stack.pop().unwrap();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return element,
                    }
                }
                Event::Text(t) => {
                    if let Some(current) = stack.last_mut() {
                        current.text.push_str(&t.decode().unwrap());
                    }
                }
                Event::GeneralRef(r) => {
                    let current = stack.last_mut().expect("reference inside an element");
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::unescape(&format!("&{};", r.decode().unwrap()))
                            .unwrap()
                            .into_owned(),
                    };
                    current.text.push_str(&resolved);
                }
                Event::DocType(_) => panic!("response has a DTD"),
                Event::Eof => panic!("no root element: {text}"),
                _ => {}
            }
        }
    }

    fn open(reader: &NsReader<&[u8]>, namespace: String, start: &BytesStart<'_>) -> Self {
        let mut attributes = BTreeMap::new();
        for attribute in start.attributes() {
            let attribute = attribute.unwrap();
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let (ns, local) = reader.resolve_attribute(attribute.key);
            if matches!(ns, ResolveResult::Unbound) {
                attributes.insert(
                    String::from_utf8(local.as_ref().to_vec()).unwrap(),
                    attribute.unescape_value().unwrap().into_owned(),
                );
            }
        }
        Self {
            namespace,
            name: String::from_utf8(start.local_name().as_ref().to_vec()).unwrap(),
            attributes,
            children: Vec::new(),
            text: String::new(),
        }
    }
}
