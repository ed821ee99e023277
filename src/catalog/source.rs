//! The catalog of a token, for identity: enabled templates that are global or associated
//! with the token's tenant, and whose fleet (when bound to one) is alive now, grouped by
//! registered service, URLs substituted.

use std::collections::BTreeMap;
use std::time::Instant;

use super::domain::{EndpointTemplate, Interface, Liveness, TemplateFields, TemplateId};
use super::error::CatalogError;
use super::Catalog;
use super::{Verdict, FLEET_ANSWER_TTL};
use crate::identity::catalog_port::{
    CatalogEndpoint, CatalogFuture, CatalogService, CatalogSource, CatalogUnavailable,
};
use crate::identity::TenantId;
use crate::platform::lock;
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
    /// its fleet are alive (counting stops there). A verdict answers catalogs for
    /// [`FLEET_ANSWER_TTL`] from when its count was asked for, so a catalog read by every
    /// client of a busy node asks the database about each fleet a few times a second, not
    /// each time. Past half of that, the first read starts a new count in the background
    /// and is answered from the verdict still in force, so busy catalogs never wait for
    /// a count; only one after a quiet spell does (sharing it with those read at once).
    async fn fleet_is_alive(&self, template: &EndpointTemplate) -> Result<bool, CatalogError> {
        let Some(liveness) = &template.fields.liveness else {
            return Ok(true);
        };
        let id = template.fields.id;
        match self.kept_verdict(id, liveness) {
            Some(Kept::Fresh(alive)) => Ok(alive),
            Some(Kept::Ageing(alive)) => {
                let (catalog, fields) = (self.clone(), template.fields.clone());
                actix_web::rt::spawn(async move {
                    // Logged here, where it ends: the next read past the verdict counts again.
                    if let Err(error) = catalog.count_fleet(&fields).await {
                        let cause = crate::platform::error_chain(&error);
                        log::warn!("template {}: its fleet's count failed: {cause}", fields.id);
                    }
                });
                Ok(alive)
            }
            None => self.count_fleet(&template.fields).await,
        }
    }

    /// Counts the template's fleet (one count shared by those who ask at once) and keeps
    /// the verdict.
    async fn count_fleet(&self, fields: &TemplateFields) -> Result<bool, CatalogError> {
        let Some(liveness) = &fields.liveness else {
            return Ok(true);
        };
        // The count begins after this: its verdict holds from here.
        let asked = Instant::now();
        let counted = self
            .counting
            .run(fields.id, || async {
                let count = self.alive(fields, Some(liveness.min_alive)).await?;
                Ok(count.unwrap_or(0) >= u64::from(liveness.min_alive))
            })
            .await;
        let alive = *counted.map_err(CatalogError::Shared)?;
        let verdict = Verdict {
            liveness: liveness.clone(),
            alive,
            asked,
            renewing: false,
        };
        lock(&self.verdicts).insert(fields.id, verdict);
        Ok(alive)
    }

    /// The template's verdict while it holds, for the binding it has now; ageing (once
    /// past half its time, and no new count asked for yet) marks it as being renewed.
    fn kept_verdict(&self, id: TemplateId, liveness: &Liveness) -> Option<Kept> {
        let mut verdicts = lock(&self.verdicts);
        let verdict = verdicts.get_mut(&id)?;
        let age = verdict.asked.elapsed();
        if age >= FLEET_ANSWER_TTL || verdict.liveness != *liveness {
            return None;
        }
        if age >= FLEET_ANSWER_TTL / 2 && !verdict.renewing {
            verdict.renewing = true;
            return Some(Kept::Ageing(verdict.alive));
        }
        Some(Kept::Fresh(verdict.alive))
    }
}

enum Kept {
    Fresh(bool),
    /// Still in force; the caller starts its renewal.
    Ageing(bool),
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
        let url = |interface: Interface| {
            template
                .serves(interface)
                .then(|| template.url(interface))
                .flatten()
                .map(|u| u.for_tenant(tenant.as_deref()))
        };
        entry.endpoints.push(CatalogEndpoint {
            id: fields.id.to_string(),
            tenant_id: tenant.clone(),
            region: fields.region.as_ref().map(|r| r.as_str().to_owned()),
            public_url: fields.public_url.for_tenant(tenant.as_deref()),
            internal_url: url(Interface::Internal),
            admin_url: url(Interface::Admin),
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
        CatalogError::Shared(cause) => {
            matches!(&**cause, CatalogError::Census(c) if c.is_transient())
        }
        _ => false,
    };
    CatalogUnavailable {
        transient,
        cause: Box::new(error),
    }
}
