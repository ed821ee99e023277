//! Identity's routes (OpenStack Identity v2.0): tokens from credentials, and tenants.

mod tenants;
mod tokens;
mod validate;

use actix_web::web;

use super::domain::PrivilegeLevel;
use super::guard::Policy;
use crate::platform::http::Routes;

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
        .service(Routes::at("/v2.0/tokens").post(tokens::authenticate))
        .service(
            Routes::at("/v2.0/tokens/{tokenId}")
                .get(validate::validate)
                .head(validate::check)
                .delete(validate::revoke),
        )
        .service(Routes::at("/v2.0/tokens/{tokenId}/endpoints").get(validate::endpoints))
        .service(Routes::at("/v2.0/HP-IDM/v1.0/tokens/{tokenId}").delete(validate::revoke_hp))
        .service(Routes::at("/v2.0/tenants").get(tenants::list_tenants));
}
