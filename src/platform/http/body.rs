//! Request bodies: format from Content-Type, size capped while streaming.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::negotiation::Format;
use super::refusal::HttpError;

/// The largest request body any route reads, registered as app data from the settings.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    /// A `registerService` document is a few hundred bytes; 64 KiB leaves ample room.
    fn default() -> Self {
        Self(64 * 1024)
    }
}

/// A request document, read whole, and the format it declared.
pub struct Document {
    pub format: Format,
    pub bytes: web::BytesMut,
}

impl Document {
    /// The document read by the reader of its format.
    pub fn decode<T, E>(
        &self,
        json: impl FnOnce(&[u8]) -> Result<T, E>,
        xml: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, E> {
        match self.format {
            Format::Json => json(&self.bytes),
            Format::Xml => xml(&self.bytes),
        }
    }
}

/// Reads the body of a request that must carry a `document` (named in the fault when the
/// body is empty). Refuses an oversized body before reading it when Content-Length says
/// so, and otherwise as soon as the stream passes the limit.
pub async fn read_document(
    request: &HttpRequest,
    mut payload: web::Payload,
    document: &str,
) -> Result<Document, HttpError> {
    let format = Format::from_content_type(request)?;
    let limit = request
        .app_data::<BodyLimit>()
        .copied()
        .unwrap_or_default()
        .0;
    let too_large = || HttpError::BodyTooLarge { limit };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            HttpError::malformed(format!("the request body could not be read: {e}"))
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::malformed(format!(
            "the request body is empty; send a {document} document"
        )));
    }
    Ok(Document { format, bytes })
}
