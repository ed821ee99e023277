//! The outermost middleware: a request id for every request, and once the answer is
//! known the request metrics and the one access-log line, which carries a failure's cause.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use rand::RngCore;

use super::{Actor, Arrival, FaultCause, RequestId, REQUEST_ID};
use crate::platform::db::now_millis;
use crate::platform::intake::IntakeLag;
use crate::platform::metrics::Metrics;

pub async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // It may have waited to be read as long as this node's workers are late: it reached
    // the node that much earlier.
    let unread = request
        .app_data::<IntakeLag>()
        .map_or(0, IntakeLag::unread_millis);
    let arrived = now_millis().saturating_sub(unread);
    let request_id = new_request_id();
    let method = request.method().clone();
    // The log shows the path as it came, before any trailing slash is trimmed.
    let target = redact_tokens(match request.query_string() {
        "" => request.path().to_owned(),
        query => format!("{}?{query}", request.path()),
    });
    let metrics = request.app_data::<Metrics>().cloned();
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    request.extensions_mut().insert(Arrival(arrived));

    let mut response = match next.call(request).await {
        Ok(response) => response,
        Err(error) => {
            log::warn!(
                "{method} {target} failed before a response existed: {error} rid={request_id}"
            );
            return Err(error);
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status();
    let elapsed = started.elapsed();
    if let Some(metrics) = metrics {
        let route = response.request().match_pattern();
        metrics.observe_request(route.as_deref(), &method, status, elapsed);
    }
    let elapsed = elapsed.as_secs_f64() * 1000.0;
    let cause = response
        .response()
        .extensions()
        .get::<FaultCause>()
        .cloned();
    let status = status.as_u16();
    // Only writes carry an actor (see `Actor::record`).
    if let Some(Actor(actor)) = response.request().extensions().get::<Actor>() {
        log::info!(target: "audit", "{method} {target} {status} by {actor} rid={request_id}");
    }
    match cause {
        None => log::info!("{method} {target} {status} {elapsed:.1}ms rid={request_id}"),
        Some(FaultCause(cause)) => {
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

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse};

    use super::{observe, redact_tokens, FaultCause, RequestId, REQUEST_ID};

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

    /// The handler sees the id the response header carries; each request gets its own.
    #[actix_web::test]
    async fn every_request_gets_its_own_id() {
        let app = init_service(App::new().wrap(from_fn(observe)).route(
            "/",
            web::get().to(|request: HttpRequest| async move {
                let id = request.extensions().get::<RequestId>().unwrap().0.clone();
                let mut response = HttpResponse::InternalServerError().body(id);
                response
                    .extensions_mut()
                    .insert(FaultCause("disk on fire".into()));
                response
            }),
        ))
        .await;
        let mut ids = Vec::new();
        for _ in 0..2 {
            let response = call_service(&app, TestRequest::get().to_request()).await;
            let header = response
                .headers()
                .get(REQUEST_ID)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let body = read_body(response).await;
            assert_eq!(body, header.as_bytes());
            assert_eq!(header.len(), 16);
            ids.push(header);
        }
        assert_ne!(ids[0], ids[1]);
    }
}
