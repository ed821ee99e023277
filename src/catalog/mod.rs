//! Endpoint templates (`/v2.0/HP-IDM/v1.0/endpointTemplates`), their tenants
//! (`/v2.0/HP-IDM/v1.0/tenants/{id}/endpoints`), and the service catalog built from them
//! for identity's tokens. Services come from the registry, tenants from identity, both
//! through their public APIs.

pub mod domain;
mod error;
mod requests;
mod routes;
mod schema;
mod source;
mod store;
mod views;

use std::collections::HashMap;

use actix_web::web;

pub use error::CatalogError;

use crate::identity::{Caller, Directory, TenantId};
use crate::platform::db::Database;
use crate::registry::domain::{ReleaseState, ServiceId};
use crate::registry::ServiceStore;
use domain::{EndpointTemplate, TemplateId, TemplateRequest, TemplateService};
use error::Result;
use store::{PageQuery, StoredTemplate};

/// The catalog's part of the application. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    database: Database,
    services: ServiceStore,
    directory: Directory,
}

impl Catalog {
    pub fn new(database: Database, services: ServiceStore, directory: Directory) -> Self {
        Self {
            database,
            services,
            directory,
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
        let release_state = request.release_state.unwrap_or(service.release_state);
        let fields = request.fields.clone();
        let name = service.name.as_str().to_owned();
        self.database
            .run_write(move |conn| store::insert(conn, &fields, service_id, &name, release_state))
            .await?;
        self.get(request.fields.id).await
    }

    pub async fn replace(&self, request: TemplateRequest) -> Result<EndpointTemplate> {
        let (service_id, service) = self.service_of(&request).await?;
        let fields = request.fields.clone();
        let release_state = request.release_state;
        let name = service.name.as_str().to_owned();
        self.database
            .run_write(move |conn| store::update(conn, &fields, service_id, &name, release_state))
            .await?;
        self.get(request.fields.id).await
    }

    pub async fn remove(&self, id: TemplateId) -> Result<()> {
        self.database
            .run_write(move |conn| store::delete(conn, id))
            .await
    }

    pub async fn get(&self, id: TemplateId) -> Result<EndpointTemplate> {
        let stored = self.database.run(move |conn| store::find(conn, id)).await?;
        Ok(self.with_services(vec![stored]).await?.remove(0))
    }

    /// A page of templates and whether more follow; `service_name` filters by service.
    pub async fn page(
        &self,
        marker: Option<TemplateId>,
        limit: u16,
        service_name: Option<crate::registry::domain::ServiceName>,
        enabled_only: bool,
    ) -> Result<(Vec<EndpointTemplate>, bool)> {
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
            limit,
            services,
            enabled_only,
        };
        let (stored, more) = self
            .database
            .run(move |conn| store::list(conn, &query))
            .await?;
        Ok((self.with_services(stored).await?, more))
    }

    /// SA acts on any tenant's endpoints; DA (and DU, for reading) only on their own.
    async fn check_tenant(&self, caller: &Caller, tenant: TenantId) -> Result<()> {
        self.directory.find_tenant(tenant).await?;
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
        self.database
            .run_write(move |conn| store::associate(conn, tenant, template))
            .await?;
        self.get(template).await
    }

    pub async fn dissociate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        template: TemplateId,
    ) -> Result<()> {
        self.check_tenant(caller, tenant).await?;
        self.database
            .run_write(move |conn| store::dissociate(conn, tenant, template))
            .await
    }

    pub async fn of_tenant(
        &self,
        caller: &Caller,
        tenant: TenantId,
    ) -> Result<Vec<EndpointTemplate>> {
        self.check_tenant(caller, tenant).await?;
        let stored = self
            .database
            .run(move |conn| store::of_tenant(conn, tenant))
            .await?;
        self.with_services(stored).await
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
                    service,
                })
            })
            .collect()
    }

    /// Templates whose service (or themselves) are decommissioned stay out of catalogs.
    fn in_catalog(template: &EndpointTemplate) -> bool {
        template.service.release_state != ReleaseState::Decommissioned
            && template.release_state != ReleaseState::Decommissioned
    }
}
