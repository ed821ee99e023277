//! Identity's routes (OpenStack Identity v2.0): tokens from credentials, and tenants.

mod tenants;
mod tokens;

use actix_web::web;

use super::domain::PrivilegeLevel;
use super::guard::Policy;
use crate::platform::http::method_not_allowed;

/// Any authenticated, enabled principal.
pub struct ListTenants;

impl Policy for ListTenants {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/v2.0/tokens")
                .route(web::post().to(tokens::authenticate))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/v2.0/tenants")
                .route(web::get().to(tenants::list_tenants))
                .default_service(method_not_allowed("GET")),
        );
}
