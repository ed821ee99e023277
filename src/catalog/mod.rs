//! Endpoint templates (`/v2.0/HP-IDM/v1.0/endpointTemplates`), their tenants
//! (`/v2.0/HP-IDM/v1.0/tenants/{id}/endpoints`), and the service catalog built from them
//! for identity's tokens. Services come from the registry, tenants from identity, both
//! through their public APIs. [`Catalog`] is what the routes and identity's tokens ask of it.

pub mod domain;
mod endpoints;
mod error;
mod requests;
mod routes;
mod schema;
mod source;
mod store;
mod views;

pub use error::CatalogError;
pub use store::{EndpointChanges, NewRegion, RegionChanges, RegionRecord};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web;

use self::domain::{EndpointTemplate, Liveness, TemplateId, TemplateRequest, TemplateService};
use self::error::Result;
use self::store::{PageQuery, StoredTemplate, TemplateStore};
use crate::identity::{Caller, Directory, TenantId};
use crate::live::LiveStore;
use crate::platform::coalesce::Coalesced;
use crate::platform::db::Database;
use crate::platform::paging::{Page, PageSize};
use crate::registry::domain::{ServiceId, ServiceName};
use crate::registry::ServiceStore;

/// The catalog's part of the application: endpoint templates joined with the registry's
/// services and checked against identity's tenants. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    templates: TemplateStore,
    services: ServiceStore,
    directory: Directory,
    /// Counts the fleets that back bound templates.
    live: LiveStore,
    /// Each bound template's last verdict: whether its fleet had enough alive.
    verdicts: Arc<Mutex<HashMap<TemplateId, Verdict>>>,
    /// The counts under way, shared by the catalogs that ask at once.
    counting: Arc<Coalesced<TemplateId, bool, CatalogError>>,
}

/// Whether a template's fleet had enough alive, for the binding it had then: the count
/// asked for at `asked`.
struct Verdict {
    pub liveness: Liveness,
    pub alive: bool,
    pub asked: Instant,
    /// A new count was started in the background.
    pub renewing: bool,
}

/// How long a fleet's count answers catalogs: half the second within which a template
/// must leave every catalog after its fleet's deadline (or come back after a create),
/// leaving the other half to the registry's clock and the read itself.
const FLEET_ANSWER_TTL: Duration = Duration::from_millis(500);

impl Catalog {
    pub fn new(
        database: Database,
        services: ServiceStore,
        directory: Directory,
        live: LiveStore,
    ) -> Self {
        Self {
            templates: TemplateStore::new(database),
            services,
            directory,
            live,
            verdicts: Arc::default(),
            counting: Arc::default(),
        }
    }

    /// How many services of the template's fleet are alive (counting no further than
    /// `at_most`); `None` for an unbound template.
    async fn alive(
        &self,
        fields: &self::domain::TemplateFields,
        at_most: Option<u16>,
    ) -> Result<Option<u64>> {
        let Some(liveness) = &fields.liveness else {
            return Ok(None);
        };
        self.live
            .alive_with_tag(liveness.tenant, liveness.tag.clone(), at_most)
            .await
            .map(Some)
            .map_err(CatalogError::Census)
    }

    /// A binding's tenant must exist: a fleet of no tenant would never be alive.
    async fn check_binding(&self, request: &TemplateRequest) -> Result<()> {
        let Some(liveness) = &request.fields.liveness else {
            return Ok(());
        };
        match self.directory.tenant(liveness.tenant).await {
            Ok(_) => Ok(()),
            Err(crate::identity::IdentityError::NoSuchTenant(_)) => Err(CatalogError::invalid(
                format!("liveness tenantId {} names no tenant", liveness.tenant),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// The catalog goes in as plain app data: handlers reach it only through a guard.
    pub fn configure(&self, config: &mut web::ServiceConfig) {
        config.app_data(self.clone());
        routes::configure(config);
    }

    /// The registered service a request names: it must exist and have the given type.
    async fn service_of(&self, request: &TemplateRequest) -> Result<(ServiceId, TemplateService)> {
        let service = self
            .services
            .find_by_name(request.name.clone())
            .await?
            .ok_or_else(|| {
                CatalogError::invalid(format!(
                    "no registered service is named '{}'",
                    request.name.as_str()
                ))
            })?;
        if service.service_type != request.service_type {
            return Err(CatalogError::invalid(format!(
                "type '{}' is not the type of service '{}', which is '{}'",
                request.service_type.as_str(),
                service.name.as_str(),
                service.service_type.as_str()
            )));
        }
        Ok((service.id, TemplateService::from(&service)))
    }

    pub async fn add(&self, request: TemplateRequest) -> Result<EndpointTemplate> {
        let (service_id, service) = self.service_of(&request).await?;
        self.check_binding(&request).await?;
        let release_state = request.release_state.unwrap_or(service.release_state);
        let name = service.name.as_str().to_owned();
        self.templates
            .insert(request.fields.clone(), service_id, name, release_state)
            .await?;
        self.get(request.fields.id).await
    }

    pub async fn replace(&self, request: TemplateRequest) -> Result<EndpointTemplate> {
        let (service_id, service) = self.service_of(&request).await?;
        self.check_binding(&request).await?;
        let name = service.name.as_str().to_owned();
        self.templates
            .update(
                request.fields.clone(),
                service_id,
                name,
                request.release_state,
            )
            .await?;
        self.get(request.fields.id).await
    }

    pub async fn remove(&self, id: TemplateId) -> Result<()> {
        self.templates.delete(id).await
    }

    pub async fn get(&self, id: TemplateId) -> Result<EndpointTemplate> {
        let stored = self.templates.find(id).await?;
        Ok(self.with_services_counted(vec![stored]).await?.remove(0))
    }

    /// A page of templates after `marker`; `service_name` filters by service.
    pub async fn page(
        &self,
        marker: Option<TemplateId>,
        size: PageSize,
        service_name: Option<ServiceName>,
        enabled_only: bool,
    ) -> Result<Page<EndpointTemplate, TemplateId>> {
        let services = match service_name {
            Some(name) => Some(
                self.services
                    .find_by_name(name)
                    .await?
                    .map(|service| vec![service.id])
                    .unwrap_or_default(),
            ),
            None => None,
        };
        let query = PageQuery {
            marker,
            size,
            services,
            enabled_only,
        };
        let page = self.templates.list(query).await?;
        Ok(Page {
            items: self.with_services_counted(page.items).await?,
            next: page.next,
        })
    }

    /// SA acts on any tenant's endpoints; DA (and DU, for reading) only on their own.
    async fn check_tenant(&self, caller: &Caller, tenant: TenantId) -> Result<()> {
        self.directory.tenant(tenant).await?;
        if caller.acts_in_any_tenant() || self.directory.is_member(caller.id, tenant).await? {
            Ok(())
        } else {
            Err(CatalogError::NotYourTenant(tenant))
        }
    }

    pub async fn associate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        template: TemplateId,
    ) -> Result<EndpointTemplate> {
        self.check_tenant(caller, tenant).await?;
        self.templates.associate(tenant, template).await?;
        self.get(template).await
    }

    pub async fn dissociate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        template: TemplateId,
    ) -> Result<()> {
        self.check_tenant(caller, tenant).await?;
        self.templates.dissociate(tenant, template).await
    }

    pub async fn of_tenant(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<EndpointTemplate>> {
        self.check_tenant(caller, tenant).await?;
        let stored = self.templates.of_tenant(tenant).await?;
        self.with_services_counted(stored).await
    }

    /// [`Self::with_services`], with each bound template's count of live services: what
    /// every read of a template shows.
    async fn with_services_counted(
        &self,
        stored: Vec<StoredTemplate>,
    ) -> Result<Vec<EndpointTemplate>> {
        let mut templates = self.with_services(stored).await?;
        for template in &mut templates {
            template.alive = self.alive(&template.fields, None).await?;
        }
        Ok(templates)
    }

    /// Joins stored templates with their services as the registry has them now. A
    /// template's service always exists (services are never deleted).
    async fn with_services(&self, stored: Vec<StoredTemplate>) -> Result<Vec<EndpointTemplate>> {
        let mut ids: Vec<ServiceId> = stored.iter().map(|t| t.service_id).collect();
        ids.sort();
        ids.dedup();
        let services: HashMap<ServiceId, TemplateService> = self
            .services
            .find_many(ids)
            .await?
            .iter()
            .map(|service| (service.id, TemplateService::from(service)))
            .collect();
        stored
            .into_iter()
            .map(|template| {
                let service = services.get(&template.service_id).cloned().ok_or_else(|| {
                    CatalogError::Corrupt {
                        id: template.fields.id.get(),
                        reason: format!("its service {} does not exist", template.service_id),
                    }
                })?;
                Ok(EndpointTemplate {
                    fields: template.fields,
                    service_id: template.service_id,
                    release_state: template.release_state,
                    switches: template.switches,
                    service,
                    alive: None,
                })
            })
            .collect()
    }

    /// Every template with its service, by id (Keystone v3's endpoint list).
    pub async fn all_templates(&self) -> Result<Vec<EndpointTemplate>> {
        let size = crate::platform::paging::HP_IDM.limit(None)?;
        let mut all = Vec::new();
        let mut marker = None;
        loop {
            let page = self.page(marker, size, None, false).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => marker = Some(next),
                None => return Ok(all),
            }
        }
    }
}
