//! HTTP concerns every subsystem shares: the edge middlewares (observation and the access
//! log, negotiation and faults, conditional GET), request bodies, replies, the JSON/XML
//! writing helpers, and the routes that belong to no subsystem (`/healthz`, 404, 405).

mod body;
mod conditional;
mod edge;
mod fault_document;
mod negotiation;
mod paths;
mod query_string;
mod refusal;
mod rendered;
mod reply;
mod representation;
mod routes;
pub mod strict_json;
mod token_header;
pub mod xml;

use actix_web::{web, HttpResponse};

pub use body::{read_document, BodyLimit, Document};
pub use edge::{
    arrival, conditional_get, negotiated_format, observe, speak, Actor, REQUEST_ID, RESPONSE_ID,
};
pub use fault_document::{Dialect, Fault, FAULT_NS, RSR_JSON};
pub use negotiation::Format;
pub use paths::{PathRules, PathTest};
pub use query_string::{query_string, MalformedQuery};
pub use refusal::HttpError;
pub use rendered::{etag_of, RenderCache, Rendered, RenderedReply};
pub use reply::{absolute_url, Body, Json, Reply};
pub use representation::{encode, Representation};
pub use routes::Routes;
pub use token_header::{token_header, RepeatedHeader};

use crate::platform::db::{Database, DbError};

/// What every handler returns: any error that renders as a fault (see `crate::faults`).
pub type HandlerResult<T> = Result<T, actix_web::Error>;

/// Unknown paths: 404 `itemNotFound`.
pub async fn no_route() -> HandlerResult<HttpResponse> {
    Err(HttpError::NoRoute.into())
}

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(Routes::at("/healthz").get(healthz));
}

/// Readiness: 200 when the database answers, 503 `serviceUnavailable` when it does not.
/// Unauthenticated, so load balancers can probe it.
async fn healthz(database: web::Data<Database>) -> HandlerResult<HttpResponse> {
    database.run::<_, DbError, _>(Database::ping).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ready"}"#))
}
