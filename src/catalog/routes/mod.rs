//! Endpoint templates and tenant endpoints (HP-IDM v1.0), each action guarded by its
//! policy.

mod templates;
mod tenant_endpoints;

use actix_web::web;

use super::Catalog;
use crate::identity::{Guarded, Policy, PrivilegeLevel};
use crate::platform::http::method_not_allowed;
use crate::registry::API_BASE;

const TEMPLATES_ROUTE: &str = "endpoint_templates";
const ENABLED_ROUTE: &str = "enabled_endpoint_templates";
const TEMPLATE_ROUTE: &str = "endpoint_template";

/// The catalog, for callers the action's policy admits.
type Templates<P> = Guarded<P, Catalog>;

use PrivilegeLevel::{Da, Du, Sa, Svc};

pub struct ReadTemplates;
pub struct WriteTemplates;
pub struct ManageTenantEndpoints;
pub struct ListTenantEndpoints;

impl Policy for ReadTemplates {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
}

impl Policy for WriteTemplates {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Svc];
}

impl Policy for ManageTenantEndpoints {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Da];
}

impl Policy for ListTenantEndpoints {
    const ALLOWED: &'static [PrivilegeLevel] = &[Sa, Da, Du];
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource(format!("{API_BASE}/endpointTemplates"))
                .name(TEMPLATES_ROUTE)
                .route(web::get().to(templates::list))
                .route(web::post().to(templates::add))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource(format!("{API_BASE}/endpointTemplates/enabled"))
                .name(ENABLED_ROUTE)
                .route(web::get().to(templates::list_enabled))
                .default_service(method_not_allowed("GET")),
        )
        .service(
            web::resource(format!("{API_BASE}/endpointTemplates/{{templateId}}"))
                .name(TEMPLATE_ROUTE)
                .route(web::get().to(templates::get))
                .route(web::put().to(templates::update))
                .route(web::delete().to(templates::delete))
                .default_service(method_not_allowed("GET, PUT, DELETE")),
        )
        .service(
            web::resource(format!("{API_BASE}/tenants/{{tenantId}}/endpoints"))
                .route(web::get().to(tenant_endpoints::list))
                .route(web::post().to(tenant_endpoints::associate))
                .default_service(method_not_allowed("GET, POST")),
        )
        .service(
            web::resource(format!(
                "{API_BASE}/tenants/{{tenantId}}/endpoints/{{templateId}}"
            ))
            .route(web::delete().to(tenant_endpoints::dissociate))
            .default_service(method_not_allowed("DELETE")),
        );
}
