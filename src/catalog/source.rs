//! The catalog of a token, for identity: enabled templates that are global or associated
//! with the token's tenant, and whose fleet (when bound to one) is alive now, grouped by
//! registered service, URLs substituted.

use std::collections::BTreeMap;

use super::domain::EndpointTemplate;
use super::error::CatalogError;
use super::Catalog;
use crate::identity::catalog_port::{
    CatalogEndpoint, CatalogFuture, CatalogService, CatalogSource, CatalogUnavailable,
};
use crate::identity::TenantId;
use crate::registry::RegistryError;

impl CatalogSource for Catalog {
    fn catalog(&self, tenant: Option<TenantId>) -> CatalogFuture<'_> {
        Box::pin(async move {
            let stored = self
                .templates
                .for_catalog(tenant)
                .await
                .map_err(unavailable)?;
            let templates = self.with_services(stored).await.map_err(unavailable)?;
            let mut served = Vec::with_capacity(templates.len());
            for template in templates.into_iter().filter(EndpointTemplate::in_catalog) {
                if self.fleet_is_alive(&template).await.map_err(unavailable)? {
                    served.push(template);
                }
            }
            Ok(group(served, tenant))
        })
    }
}

impl Catalog {
    /// An unbound template is always served; a bound one while at least `minAlive` of
    /// its fleet are alive (counting stops there). The answer is kept for
    /// [`super::service::FLEET_ANSWER_TTL`], so a catalog read by every client of a busy node asks the
    /// database about each fleet a few times a second, not each time.
    async fn fleet_is_alive(&self, template: &EndpointTemplate) -> Result<bool, CatalogError> {
        let Some(liveness) = &template.fields.liveness else {
            return Ok(true);
        };
        let key = (liveness.tenant, liveness.tag.clone(), liveness.min_alive);
        if let Some(alive) = self.fleets.get(&key) {
            return Ok(alive);
        }
        let count = self
            .alive(&template.fields, Some(liveness.min_alive))
            .await?;
        let alive = count.unwrap_or(0) >= u64::from(liveness.min_alive);
        self.fleets.insert(key, alive);
        Ok(alive)
    }
}

/// One entry per service, in service-id order; its endpoints in template-id order.
fn group(templates: Vec<EndpointTemplate>, tenant: Option<TenantId>) -> Vec<CatalogService> {
    let tenant = tenant.map(|id| id.to_string());
    let mut services: BTreeMap<_, CatalogService> = BTreeMap::new();
    for template in templates {
        let entry = services
            .entry(template.service_id)
            .or_insert_with(|| CatalogService {
                id: template.service_id.to_string(),
                name: template.service.name.as_str().to_owned(),
                service_type: template.service.service_type.as_str().to_owned(),
                endpoints: Vec::new(),
            });
        let fields = &template.fields;
        let url = |u: &Option<super::domain::EndpointUrl>| {
            u.as_ref().map(|u| u.for_tenant(tenant.as_deref()))
        };
        entry.endpoints.push(CatalogEndpoint {
            id: fields.id.to_string(),
            tenant_id: tenant.clone(),
            region: fields.region.as_ref().map(|r| r.as_str().to_owned()),
            public_url: fields.public_url.for_tenant(tenant.as_deref()),
            internal_url: url(&fields.internal_url),
            admin_url: url(&fields.admin_url),
            version_id: fields.version.id.clone(),
            version_info: fields.version.info.clone(),
            version_list: fields.version.list.clone(),
        });
    }
    services.into_values().collect()
}

fn unavailable(error: CatalogError) -> CatalogUnavailable {
    let transient = match &error {
        CatalogError::Storage(cause) | CatalogError::Registry(RegistryError::Storage(cause)) => {
            cause.is_transient()
        }
        CatalogError::Census(cause) => cause.is_transient(),
        _ => false,
    };
    CatalogUnavailable {
        transient,
        cause: Box::new(error),
    }
}
