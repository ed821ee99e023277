//! How a resource is written: JSON through serde, XML through [`XmlWriter`]. A view type
//! implements both, and [`super::Reply`] picks one by the negotiated format.

use serde::Serialize;

use super::negotiation::Format;
use super::xml::XmlWriter;

pub trait Representation: Serialize {
    fn write_xml(&self, xml: &mut XmlWriter);

    /// Bytes to reserve for the output, so large pages are written without regrowing.
    fn size_hint(&self) -> usize {
        256
    }
}

pub fn encode<R: Representation + ?Sized>(representation: &R, format: Format) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut out = Vec::with_capacity(representation.size_hint());
            serde_json::to_writer(&mut out, representation)
                .expect("views hold plain strings and numbers, which always serialize");
            out
        }
        Format::Xml => {
            let mut xml = XmlWriter::document(representation.size_hint());
            representation.write_xml(&mut xml);
            xml.into_bytes()
        }
    }
}
