//! The middleware every request passes: it reads a trailing slash as absent and takes
//! the path's fault dialect from the subsystems' rules (see `paths`), negotiates the
//! response format before any handler runs, renders every fault (ours or actix-web's) in
//! that format, tags the response with a request id and writes the one access-log line,
//! which carries the cause of a failure when there is one. Tokens never reach it.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, ResponseError};
use rand::RngCore;

use crate::platform::metrics::Metrics;

use super::conditional::Condition;
use super::error::HttpError;
use super::fault::{Dialect, Fault};
use super::negotiation::Format;
use super::paths::{trim_trailing_slash, PathRules};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// RSR's name for the request id (also the `txnId` of its faults).
pub const RESPONSE_ID: HeaderName = HeaderName::from_static("x-response-id");

pub async fn edge(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = new_request_id();
    let method = request.method().clone();
    // The log shows the path as it came; routing sees it without a trailing slash.
    let target = redact_tokens(match request.query_string() {
        "" => request.path().to_owned(),
        query => format!("{}?{query}", request.path()),
    });
    // The scope's dialect: RSR's (the live registry) speaks JSON only, whatever the Accept
    // header says (RSR's clients send none or `*/*`), and its faults have RSR's shape.
    // Trimming a slash never moves a path to another scope, so one look at the rules does.
    let (dialect, keeps_slash) = match request.app_data::<PathRules>() {
        Some(rules) => (
            rules.dialect_of(request.path()),
            rules.slash_is_significant(request.path()),
        ),
        None => (Dialect::Identity, false),
    };
    if !keeps_slash {
        trim_trailing_slash(&mut request);
    }
    let negotiated = match dialect {
        Dialect::Identity => Format::from_accept(&request),
        Dialect::Rsr => Ok(Format::Json),
    };
    let format = negotiated.as_ref().copied().unwrap_or(Format::Json);
    request.extensions_mut().insert(format);
    let condition = Condition::of(&method, request.headers());
    let metrics = request.app_data::<Metrics>().cloned();

    // Routing needs sole ownership of the request, so no clone of it may be held here.
    let (mut response, cause) = match negotiated {
        Err(error) => {
            let fault = fault_of(&error.error_response());
            let response = request.into_response(fault.render(Format::Json));
            (response, None)
        }
        Ok(_) => {
            match next.call(request).await {
                Ok(response) => {
                    let (response, cause) = render_fault(response, format, dialect, &request_id);
                    let response = match condition {
                        Some(condition) => condition.apply(response),
                        None => response,
                    };
                    (response, cause)
                }
                Err(error) => {
                    log::warn!("{method} {target} failed before a response existed: {error} rid={request_id}");
                    return Err(error);
                }
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if dialect == Dialect::Identity {
        // The representation depends on Accept: shared caches must key on it.
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        if dialect == Dialect::Rsr {
            headers.insert(RESPONSE_ID, value.clone());
        }
        headers.insert(REQUEST_ID, value);
    }

    let status = response.status();
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        let route = response.request().match_pattern();
        metrics.observe_request(route.as_deref(), &method, status, elapsed);
    }
    let elapsed = elapsed.as_secs_f64() * 1000.0;
    let status = status.as_u16();
    match cause {
        None => log::info!("{method} {target} {status} {elapsed:.1}ms rid={request_id}"),
        Some(cause) => {
            let level = if status == 503 {
                log::Level::Warn
            } else {
                log::Level::Error
            };
            log::log!(
                level,
                "{method} {target} {status} {elapsed:.1}ms rid={request_id} cause: {cause}"
            );
        }
    }
    Ok(response)
}

/// Replaces the body of an error response by the fault document in `format`, and hands
/// back the fault's cause for the access-log line.
fn render_fault<B: MessageBody + 'static>(
    mut response: ServiceResponse<B>,
    format: Format,
    dialect: Dialect,
    request_id: &str,
) -> (ServiceResponse<BoxBody>, Option<String>) {
    let carried = response.response_mut().extensions_mut().remove::<Fault>();
    let fault = match carried {
        Some(fault) => fault,
        None if response.response().error().is_some() => fault_of(response.response()),
        None => return (response.map_into_boxed_body(), None),
    };
    let cause = fault.cause().map(str::to_owned);
    let (request, _) = response.into_parts();
    let rendered = match dialect {
        Dialect::Identity => fault.render(format),
        Dialect::Rsr => fault.render_rsr(request_id),
    };
    (ServiceResponse::new(request, rendered), cause)
}

/// The fault behind an error response. Ours carry it; actix-web's own errors (a path or
/// query that does not decode, a body stream that fails) are classified by their status,
/// keeping internals out of the fault.
fn fault_of<B>(response: &actix_web::HttpResponse<B>) -> Fault {
    if let Some(fault) = response.extensions().get::<Fault>() {
        return fault.clone();
    }
    let error = response.error();
    let described = error.map_or_else(String::new, ToString::to_string);
    match response.status().as_u16() {
        404 => Fault::not_found(HttpError::NoRoute),
        413 => Fault::over_limit("the request is too large"),
        415 => Fault::unsupported_media_type("unsupported Content-Type"),
        400..=499 => Fault::bad_request(format!("the request could not be read: {described}")),
        _ => Fault::internal().cause_text(format!("unhandled error: {described}")),
    }
}

/// Tokens travel in some paths (`/v2.0/tokens/{id}`): the log shows their prefix only.
fn redact_tokens(target: String) -> String {
    const PREFIX: &str = "HPAuth_";
    if !target.contains(PREFIX) {
        return target;
    }
    let mut shown = String::with_capacity(target.len());
    let mut rest = target.as_str();
    while let Some(start) = rest.find(PREFIX) {
        let after = &rest[start + PREFIX.len()..];
        let secret = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        shown.push_str(&rest[..start + PREFIX.len()]);
        shown.push_str("[redacted]");
        rest = &after[secret..];
    }
    shown.push_str(rest);
    shown
}

fn new_request_id() -> String {
    format!("{:016x}", rand::rng().next_u64())
}

/// The format the edge negotiated for this request.
pub fn negotiated_format(request: &HttpRequest) -> Format {
    request
        .extensions()
        .get::<Format>()
        .copied()
        .unwrap_or(Format::Json)
}

#[cfg(test)]
mod tests {
    use super::redact_tokens;

    #[test]
    fn tokens_in_paths_are_not_logged() {
        let token = format!("HPAuth_{}", "ab12".repeat(16));
        assert_eq!(
            redact_tokens(format!("/v2.0/tokens/{token}/endpoints?belongsTo=7")),
            "/v2.0/tokens/HPAuth_[redacted]/endpoints?belongsTo=7"
        );
        assert_eq!(redact_tokens(format!("/x/{token}")), "/x/HPAuth_[redacted]");
        assert_eq!(
            redact_tokens("/v2.0/HP-IDM/v1.0/services?limit=2".into()),
            "/v2.0/HP-IDM/v1.0/services?limit=2"
        );
    }
}
