//! The middleware every request passes: it negotiates the response format before any
//! handler runs, renders every fault (ours or actix-web's) in that format, tags the
//! response with a request id and writes the one access-log line. Tokens never reach it.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use rand::RngCore;

use super::fault::fault_response;
use super::negotiation::Format;
use crate::error::Error;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn edge(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = request.method().clone();
    let target = match request.query_string() {
        "" => request.path().to_owned(),
        query => format!("{}?{query}", request.path()),
    };

    let negotiated = Format::from_accept(&request);
    let format = negotiated.clone().unwrap_or(Format::Json);
    request.extensions_mut().insert(format);

    // Routing needs sole ownership of the request, so no clone of it may be held here.
    let response = match negotiated {
        Err(error) => request.into_response(fault_response(&error, Format::Json)),
        Ok(_) => {
            match next.call(request).await {
                Ok(response) => render_fault(response, format),
                Err(error) => {
                    log::warn!("{method} {target} failed before a response existed: {error} rid={request_id}");
                    return Err(error);
                }
            }
        }
    };
    let mut response = response;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID, value);
    }

    log::info!(
        "{method} {target} {status} {elapsed:.1}ms rid={request_id}",
        status = response.status().as_u16(),
        elapsed = started.elapsed().as_secs_f64() * 1000.0,
    );
    Ok(response)
}

/// Replaces the body of an error response by the fault document in `format`.
fn render_fault<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
    format: Format,
) -> ServiceResponse<BoxBody> {
    let Some(error) = response.response().error().map(as_registry_error) else {
        return response.map_into_boxed_body();
    };
    let (request, _) = response.into_parts();
    ServiceResponse::new(request, fault_response(&error, format))
}

/// Our own errors pass through; actix-web's (a path or query that does not decode, a body
/// stream that fails) are classified by their status, keeping internals out of the fault.
fn as_registry_error(error: &actix_web::Error) -> Error {
    if let Some(error) = error.as_error::<Error>() {
        return error.clone();
    }
    let status = error.as_response_error().status_code();
    match status.as_u16() {
        404 => Error::not_found("no resource at this path"),
        413 => Error::TooLarge("the request is too large".into()),
        415 => Error::UnsupportedMediaType("unsupported Content-Type".into()),
        400..=499 => Error::invalid(format!("the request could not be read: {error}")),
        _ => {
            log::error!("unhandled error: {error}");
            Error::Internal
        }
    }
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The format the edge negotiated for this request.
pub fn negotiated_format(request: &HttpRequest) -> Format {
    request
        .extensions()
        .get::<Format>()
        .copied()
        .unwrap_or(Format::Json)
}
