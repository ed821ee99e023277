//! Negotiation and faults: the path's dialect (from the subsystems' rules, see `paths`)
//! and a trailing slash read as absent before routing, the response format negotiated
//! before any handler runs, and every fault (ours or actix-web's) rendered in that format
//! and dialect.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};

use super::{FaultCause, RequestId, RESPONSE_ID};
use crate::platform::http::fault_document::{Dialect, Fault};
use crate::platform::http::negotiation::Format;
use crate::platform::http::paths::{trim_trailing_slash, PathRules};
use crate::platform::http::refusal::HttpError;

pub async fn speak(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
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
    let negotiated = if dialect.negotiates() {
        Format::from_accept(&request)
    } else {
        Ok(Format::Json)
    };
    let format = negotiated.as_ref().copied().unwrap_or(Format::Json);
    request.extensions_mut().insert(format);
    request.extensions_mut().insert(dialect);

    // Routing needs sole ownership of the request, so no clone of it may be held here.
    let mut response = match negotiated {
        Err(error) => {
            let fault = fault_of(&error.error_response());
            request.into_response(in_dialect(&fault, Format::Json, dialect, &request_id))
        }
        Ok(_) => render_fault(next.call(request).await?, format, dialect, &request_id),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The representation depends on Accept: shared caches must key on it.
    if dialect.negotiates() {
        headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    if dialect == Dialect::Rsr {
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert(RESPONSE_ID, value);
        }
    }
    Ok(response)
}

/// Replaces the body of an error response by the fault document in `format`, and leaves
/// the fault's cause on the response for the access-log line.
fn render_fault<B: MessageBody + 'static>(
    mut response: ServiceResponse<B>,
    format: Format,
    dialect: Dialect,
    request_id: &str,
) -> ServiceResponse<BoxBody> {
    let carried = response.response_mut().extensions_mut().remove::<Fault>();
    let fault = match carried {
        Some(fault) => fault,
        None if response.response().error().is_some() => fault_of(response.response()),
        None => return response.map_into_boxed_body(),
    };
    let (request, _) = response.into_parts();
    let mut rendered = in_dialect(&fault, format, dialect, request_id);
    if let Some(cause) = fault.cause() {
        rendered
            .extensions_mut()
            .insert(FaultCause(cause.to_owned()));
    }
    ServiceResponse::new(request, rendered)
}

fn in_dialect(fault: &Fault, format: Format, dialect: Dialect, request_id: &str) -> HttpResponse {
    match dialect {
        Dialect::Identity | Dialect::Console => fault.render(format),
        Dialect::KeystoneV2 | Dialect::KeystoneV3 => fault.render_keystone(format, dialect),
        Dialect::Rsr => fault.render_rsr(request_id),
    }
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

#[cfg(test)]
mod tests {
    use actix_web::http::header;
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};

    use super::speak;
    use crate::platform::http::{Dialect, HandlerResult, HttpError, PathRules};

    async fn missing() -> HandlerResult<HttpResponse> {
        Err(HttpError::NoRoute.into())
    }

    /// Sends GET `uri` with `Accept: accept` through `speak` alone, where `/rsr/...`
    /// speaks RSR, `/found` answers 200 and anything else is a fault.
    async fn get(uri: &str, accept: &str) -> actix_web::dev::ServiceResponse {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(speak))
                .app_data(
                    PathRules::default().speaks(|path| path.starts_with("/rsr"), Dialect::Rsr),
                )
                .route("/found", web::get().to(HttpResponse::Ok))
                .default_service(web::to(missing)),
        )
        .await;
        let request = test::TestRequest::get()
            .uri(uri)
            .insert_header((header::ACCEPT, accept))
            .to_request();
        test::call_service(&app, request).await
    }

    fn header(
        response: &actix_web::dev::ServiceResponse,
        name: header::HeaderName,
    ) -> Option<&str> {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    }

    #[actix_web::test]
    async fn faults_are_written_in_the_negotiated_format() {
        let response = get("/nowhere", "application/xml").await;
        assert_eq!(response.status(), 404);
        assert_eq!(
            header(&response, header::CONTENT_TYPE),
            Some("application/xml")
        );
        assert_eq!(header(&response, header::VARY), Some("Accept"));
        let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(body.contains("<itemNotFound"), "{body}");
    }

    #[actix_web::test]
    async fn a_claimed_scope_speaks_its_own_dialect_in_json() {
        let response = get("/rsr/nowhere", "application/xml").await;
        assert_eq!(response.status(), 404);
        assert_eq!(header(&response, header::VARY), None);
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["type"], "notFoundError", "{body}");
    }

    #[actix_web::test]
    async fn a_trailing_slash_reads_as_absent_and_406_needs_no_handler() {
        assert_eq!(get("/found/", "*/*").await.status(), 200);
        let refused = get("/found", "image/png").await;
        assert_eq!(refused.status(), 406);
        assert_eq!(
            header(&refused, header::CONTENT_TYPE),
            Some("application/json")
        );
    }
}
