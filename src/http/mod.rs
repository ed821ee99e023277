//! HTTP concerns at the edge: routing, negotiation, authentication, wire formats and
//! fault rendering. Handlers stay thin: authorize, parse, call storage, reply.

mod auth;
mod body;
pub mod edge;
pub mod fault;
pub mod negotiation;
mod reply;
mod services;
pub mod wire;

use actix_web::{web, HttpResponse};

pub use auth::{TokenCache, AUTH_CACHE_TTL};

use crate::error::Error;
use crate::storage::Database;

pub const API_BASE: &str = "/v2.0/HP-IDM/v1.0";
const SERVICES_ROUTE: &str = "services";
const SERVICE_ROUTE: &str = "service";

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::scope(API_BASE)
                .service(
                    web::resource("/services")
                        .name(SERVICES_ROUTE)
                        .route(web::get().to(services::list_services))
                        .route(web::post().to(services::register_service))
                        .default_service(web::to(|| method_not_allowed("GET, POST"))),
                )
                .service(
                    web::resource("/services/{serviceId}")
                        .name(SERVICE_ROUTE)
                        .route(web::get().to(services::get_service))
                        .route(web::put().to(services::update_service))
                        .default_service(web::to(|| method_not_allowed("GET, PUT"))),
                ),
        )
        .service(
            web::resource("/healthz")
                .route(web::get().to(healthz))
                .default_service(web::to(|| method_not_allowed("GET"))),
        )
        .default_service(web::to(not_found));
}

/// Readiness: 200 when the database answers, 503 `serviceUnavailable` when it does not.
/// Unauthenticated, so load balancers can probe it.
async fn healthz(database: web::Data<Database>) -> Result<HttpResponse, Error> {
    database.run(Database::ping).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ready"}"#))
}

async fn method_not_allowed(allow: &'static str) -> Result<&'static str, Error> {
    Err(Error::MethodNotAllowed { allow })
}

async fn not_found() -> Result<&'static str, Error> {
    Err(Error::not_found("no resource at this path"))
}
