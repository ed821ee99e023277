//! Request bodies: format from Content-Type, size capped while streaming, then decoded.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::negotiation::Format;
use super::wire;
use crate::domain::ServiceDraft;
use crate::error::{Error, Result};

/// A `registerService` document is a few hundred bytes; 64 KiB leaves ample room.
const MAX_BODY_BYTES: usize = 64 * 1024;

fn too_large() -> Error {
    Error::TooLarge(format!(
        "the request body is larger than {MAX_BODY_BYTES} bytes"
    ))
}

pub async fn read_service_draft(
    request: &HttpRequest,
    mut payload: web::Payload,
) -> Result<ServiceDraft> {
    let format = Format::from_content_type(request)?;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| Error::invalid(format!("the request body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "the request body is empty; send a registerService document",
        ));
    }
    wire::decode_service(&body, format)
}
