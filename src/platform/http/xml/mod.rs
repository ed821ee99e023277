//! XML for every subsystem. Output is written directly (the documents are flat, and
//! escaping is the only subtle part); input is read by namespace, never by prefix, and
//! refuses DTDs and every entity but the five predefined ones and character references.

use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

mod writer;

pub use writer::XmlWriter;

/// Why a request document could not be read; its text is shown to the client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(String);

impl XmlError {
    fn new(details: impl Into<String>) -> Self {
        Self(details.into())
    }
}

/// An element as read: its namespace (`None` when in no namespace), local name, and its
/// unqualified attributes, still escaped until asked for.
#[derive(Debug)]
pub struct XmlElement {
    pub namespace: Option<String>,
    pub name: String,
    attributes: Vec<(String, String)>,
}

impl XmlElement {
    /// An unqualified attribute's value, unescaped and normalized (XML 1.0 §3.3.3).
    pub fn attribute(&self, name: &str) -> Result<Option<String>, XmlError> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, raw)| attribute_value(raw.as_bytes()))
            .transpose()
    }

    pub fn is(&self, namespace: &str, name: &str) -> bool {
        self.namespace.as_deref() == Some(namespace) && self.name == name
    }
}

/// A request document read one level deep: the root and its child elements. Deeper
/// content is ignored but must be well-formed.
#[derive(Debug)]
pub struct ShallowDocument {
    pub root: XmlElement,
    pub children: Vec<XmlElement>,
}

/// Reads a document whose root is one of `roots` (namespace, local name), with any
/// prefix or none. Qualified attributes (`xsi:type`, ...) belong to other vocabularies
/// and are skipped.
pub fn read_shallow(body: &[u8], roots: &[(&str, &str)]) -> Result<ShallowDocument, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| not_utf8())?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let mut root = None;
    let mut children = Vec::new();
    let mut depth = 0usize;
    loop {
        let (resolved, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => (OwnedNamespace::from(resolved), event),
            Err(e) => return Err(malformed(&e, reader.error_position())),
        };
        match event {
            Event::DocType(_) => {
                return Err(XmlError::new(
                    "DTDs (<!DOCTYPE ...>) are not allowed in request bodies",
                ))
            }
            Event::Decl(declaration) => {
                if let Some(encoding) = declaration.encoding() {
                    let encoding = encoding.map_err(|e| malformed(&e, reader.buffer_position()))?;
                    if !encoding.eq_ignore_ascii_case(b"utf-8") {
                        return Err(XmlError::new("only UTF-8 encoded XML is accepted"));
                    }
                }
            }
            Event::Start(ref start) | Event::Empty(ref start) if depth == 0 => {
                if root.is_some() {
                    return Err(XmlError::new(
                        "an XML document has exactly one root element",
                    ));
                }
                let accepted = check_root(&resolved, start.local_name().as_ref(), roots);
                // A broken attribute list can hide the xmlns declaration: report the
                // malformation itself rather than a misleading "no namespace".
                for attribute in start.attributes() {
                    attribute.map_err(|e| malformed(&e, reader.buffer_position()))?;
                }
                accepted?;
                root = Some(element(&reader, &resolved, start)?);
                if matches!(event, Event::Start(_)) {
                    depth = 1;
                }
            }
            Event::Start(ref start) | Event::Empty(ref start) if depth == 1 => {
                if let OwnedNamespace::Unknown(prefix) = &resolved {
                    return Err(undeclared_prefix(prefix));
                }
                children.push(element(&reader, &resolved, start)?);
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Text(text) if depth == 0 => {
                if !text.iter().all(u8::is_ascii_whitespace) {
                    return Err(XmlError::new("text outside the root element"));
                }
            }
            Event::Text(_) => {}
            Event::CData(_) if depth == 0 => {
                return Err(XmlError::new("text outside the root element"))
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
        return Err(XmlError::new(
            "the XML document ends before its root element is closed",
        ));
    }
    let root = root.ok_or_else(|| {
        let (namespace, element) = roots[0];
        XmlError::new(format!(
            "the XML body has no {element} element in namespace {namespace}"
        ))
    })?;
    Ok(ShallowDocument { root, children })
}

/// Reads a document whose root is `element` in `namespace` and returns those of the
/// root's unqualified attributes named in `wanted`, unescaped. Other attributes are
/// ignored like JSON's `otherAttributes`.
pub fn root_attributes<'w>(
    body: &[u8],
    namespace: &str,
    element: &str,
    wanted: &[&'w str],
) -> Result<Vec<(&'w str, String)>, XmlError> {
    let document = read_shallow(body, &[(namespace, element)])?;
    let mut found = Vec::new();
    for name in wanted {
        if let Some(value) = document.root.attribute(name)? {
            found.push((*name, value));
        }
    }
    Ok(found)
}

/// An element's resolved namespace, owned so the reader can be used again.
enum OwnedNamespace {
    Bound(Vec<u8>),
    Unbound,
    Unknown(Vec<u8>),
}

impl From<ResolveResult<'_>> for OwnedNamespace {
    fn from(resolved: ResolveResult<'_>) -> Self {
        match resolved {
            ResolveResult::Bound(Namespace(ns)) => Self::Bound(ns.to_vec()),
            ResolveResult::Unbound => Self::Unbound,
            ResolveResult::Unknown(prefix) => Self::Unknown(prefix),
        }
    }
}

fn check_root(
    resolved: &OwnedNamespace,
    local_name: &[u8],
    roots: &[(&str, &str)],
) -> Result<(), XmlError> {
    if let OwnedNamespace::Unknown(prefix) = resolved {
        return Err(undeclared_prefix(prefix));
    }
    let accepted = roots.iter().any(|(namespace, element)| {
        matches!(resolved, OwnedNamespace::Bound(ns) if ns == namespace.as_bytes())
            && local_name == element.as_bytes()
    });
    if !accepted {
        let (namespace, element) = roots[0];
        return Err(XmlError::new(format!(
            "expected a {element} element in namespace {namespace}, got '{}'{}",
            String::from_utf8_lossy(local_name),
            match resolved {
                OwnedNamespace::Bound(ns) =>
                    format!(" in namespace {}", String::from_utf8_lossy(ns)),
                _ => " in no namespace".to_owned(),
            }
        )));
    }
    Ok(())
}

fn element(
    reader: &NsReader<&[u8]>,
    resolved: &OwnedNamespace,
    start: &BytesStart<'_>,
) -> Result<XmlElement, XmlError> {
    let namespace = match resolved {
        OwnedNamespace::Bound(ns) => {
            Some(std::str::from_utf8(ns).map_err(|_| not_utf8())?.to_owned())
        }
        _ => None,
    };
    let name = std::str::from_utf8(start.local_name().as_ref())
        .map_err(|_| not_utf8())?
        .to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| malformed(&e, reader.buffer_position()))?;
        if attribute.key.as_namespace_binding().is_some() {
            continue;
        }
        let (namespace, local_name) = reader.resolve_attribute(attribute.key);
        match namespace {
            ResolveResult::Unbound => {}
            ResolveResult::Unknown(prefix) => return Err(undeclared_prefix(&prefix)),
            ResolveResult::Bound(_) => continue,
        }
        let key = std::str::from_utf8(local_name.as_ref()).map_err(|_| not_utf8())?;
        let value = std::str::from_utf8(&attribute.value).map_err(|_| not_utf8())?;
        attributes.push((key.to_owned(), value.to_owned()));
    }
    Ok(XmlElement {
        namespace,
        name,
        attributes,
    })
}

/// XML 1.0 §3.3.3: literal line breaks and tabs in an attribute value read as spaces;
/// character references (`&#10;`) keep the character.
fn attribute_value(raw: &[u8]) -> Result<String, XmlError> {
    let raw = std::str::from_utf8(raw).map_err(|_| not_utf8())?;
    let normalized = raw.replace("\r\n", " ").replace(['\t', '\n', '\r'], " ");
    unescape(&normalized)
        .map(|value| value.into_owned())
        .map_err(|e| match e {
            quick_xml::escape::EscapeError::UnrecognizedEntity(_, name) => undefined_entity(&name),
            other => XmlError::new(format!("malformed XML attribute value: {other}")),
        })
}

fn not_utf8() -> XmlError {
    XmlError::new("the XML body is not valid UTF-8")
}

fn undeclared_prefix(prefix: &[u8]) -> XmlError {
    XmlError::new(format!(
        "the namespace prefix '{}' is not declared",
        String::from_utf8_lossy(prefix)
    ))
}

fn undefined_entity(name: &str) -> XmlError {
    XmlError::new(format!(
        "malformed XML: the entity &{name}; is not defined (only &lt; &gt; &amp; &apos; &quot; \
         and character references are allowed)"
    ))
}

fn malformed(error: &dyn std::fmt::Display, position: u64) -> XmlError {
    XmlError::new(format!("malformed XML at byte {position}: {error}"))
}
