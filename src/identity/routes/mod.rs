//! Identity's routes (OpenStack Identity v2.0): tokens from credentials, and tenants.

mod tenants;
mod tokens;
mod validate;

use actix_web::web;

use super::domain::PrivilegeLevel;
use super::guard::Policy;
use crate::platform::http::method_not_allowed;

/// Any authenticated, enabled principal.
pub struct ListTenants;

impl Policy for ListTenants {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
}

/// `/v2.0/tokens` and below, and `/v2.0/tenants`: OpenStack Identity v2.0's routes.
pub fn is_openstack_path(path: &str) -> bool {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    under("/v2.0/tokens") || under("/v2.0/tenants")
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/v2.0/tokens")
                .route(web::post().to(tokens::authenticate))
                .default_service(method_not_allowed("POST")),
        )
        .service(
            web::resource("/v2.0/tokens/{tokenId}")
                .route(web::get().to(validate::validate))
                .route(web::head().to(validate::check))
                .route(web::delete().to(validate::revoke))
                .default_service(method_not_allowed("GET, HEAD, DELETE")),
        )
        .service(
            web::resource("/v2.0/tokens/{tokenId}/endpoints")
                .route(web::get().to(validate::endpoints))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource("/v2.0/HP-IDM/v1.0/tokens/{tokenId}")
                .route(web::delete().to(validate::revoke_hp))
                .default_service(method_not_allowed("DELETE")),
        )
        .service(
            web::resource("/v2.0/tenants")
                .route(web::get().to(tenants::list_tenants))
                .default_service(method_not_allowed("GET")),
        );
}
