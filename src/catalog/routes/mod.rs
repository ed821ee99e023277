//! Endpoint templates and tenant endpoints (HP-IDM v1.0), each action guarded by its
//! policy.

mod templates;
mod tenant_endpoints;

use actix_web::web;

use super::Catalog;
use crate::identity::{Guarded, Policy, PrivilegeLevel};
use crate::platform::http::Routes;
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
            Routes::at(format!("{API_BASE}/endpointTemplates"))
                .name(TEMPLATES_ROUTE)
                .get(templates::list)
                .post(templates::add),
        )
        .service(
            Routes::at(format!("{API_BASE}/endpointTemplates/enabled"))
                .name(ENABLED_ROUTE)
                .get(templates::list_enabled),
        )
        .service(
            Routes::at(format!("{API_BASE}/endpointTemplates/{{templateId}}"))
                .name(TEMPLATE_ROUTE)
                .get(templates::get)
                .put(templates::update)
                .delete(templates::delete),
        )
        .service(
            Routes::at(format!("{API_BASE}/tenants/{{tenantId}}/endpoints"))
                .get(tenant_endpoints::list)
                .post(tenant_endpoints::associate),
        )
        .service(
            Routes::at(format!(
                "{API_BASE}/tenants/{{tenantId}}/endpoints/{{templateId}}"
            ))
            .delete(tenant_endpoints::dissociate),
        );
}
