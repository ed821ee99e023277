//! Output XML, written directly: the documents are flat, and escaping is the only subtle
//! part.

const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;

/// Writes one document: `open`, `attribute`s, then `empty` or `close_start` … `end`.
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A document with the standard declaration.
    pub fn document(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push_str(DECLARATION);
        Self { out }
    }

    /// `<name` and, when given, its default namespace.
    pub fn open(&mut self, name: &str, namespace: Option<&str>) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        if let Some(namespace) = namespace {
            self.attribute("xmlns", namespace);
        }
        self
    }

    pub fn attribute(&mut self, name: &str, value: &str) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value);
        self.out.push('"');
        self
    }

    /// An attribute written from `Display` straight into the document, escaped as it goes.
    pub fn attribute_display(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        use std::fmt::Write as _;
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        let _ = write!(Escaping(&mut self.out), "{value}");
        self.out.push('"');
        self
    }

    /// Ends an opened element with no content: `/>`.
    pub fn empty(&mut self) {
        self.out.push_str("/>");
    }

    /// Ends an opened element's start tag: `>`.
    pub fn close_start(&mut self) -> &mut Self {
        self.out.push('>');
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    pub fn end(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// A list element holding one child per item (written by `each`), or the empty
    /// element when there are none.
    pub fn list<T>(
        &mut self,
        name: &str,
        namespace: Option<&str>,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Self, T),
    ) {
        self.open(name, namespace);
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            self.empty();
            return;
        }
        self.close_start();
        for item in items {
            each(self, item);
        }
        self.end(name);
    }

    /// The attributes whose value is present, in the order given.
    pub fn attributes_present(&mut self, attributes: &[(&str, Option<&str>)]) -> &mut Self {
        for (name, value) in attributes {
            if let Some(value) = value {
                self.attribute(name, value);
            }
        }
        self
    }

    /// `<name>text</name>`.
    pub fn text_element(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, None).close_start().text(text).end(name)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out.into_bytes()
    }
}

/// Escapes whatever is formatted into it.
struct Escaping<'a>(&'a mut String);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        escape_into(self.0, text);
        Ok(())
    }
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
