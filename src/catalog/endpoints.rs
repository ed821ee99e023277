//! Keystone v3's writes to the catalog: regions, and endpoints (one interface of a
//! template each). The service an endpoint names is the registry's, found through its
//! public API.

use super::domain::{EndpointTemplate, EndpointUrl, Interface, Region, TemplateId};
use super::error::{CatalogError, Result};
use super::store::{EndpointChanges, NewEndpoint, NewRegion, RegionChanges, RegionRecord};
use super::Catalog;
use crate::registry::domain::{ReleaseState, ServiceId};
use crate::registry::RegistryError;

impl Catalog {
    /// Every region, or the children of `parent`.
    pub async fn regions(&self, parent: Option<Region>) -> Result<Vec<RegionRecord>> {
        self.templates.regions(parent).await
    }

    pub async fn region(&self, id: Region) -> Result<RegionRecord> {
        self.templates.region(id).await
    }

    pub async fn create_region(&self, new: NewRegion) -> Result<RegionRecord> {
        self.templates.create_region(new).await
    }

    pub async fn update_region(&self, id: Region, changes: RegionChanges) -> Result<RegionRecord> {
        self.templates.update_region(id, changes).await
    }

    /// The region exists afterwards (Keystone's legacy `region` attribute creates it).
    pub async fn ensure_region(&self, id: Region) -> Result<()> {
        self.templates.ensure_region(id).await
    }

    pub async fn delete_region(&self, id: Region) -> Result<()> {
        self.templates.delete_region(id).await
    }

    /// A new endpoint of a registered service that is not decommissioned; the template
    /// that holds it afterwards.
    pub async fn create_endpoint(
        &self,
        service: ServiceId,
        region: Option<Region>,
        interface: Interface,
        url: EndpointUrl,
        enabled: bool,
    ) -> Result<EndpointTemplate> {
        let found = match self.services.find(service).await {
            Ok(found) if found.release_state != ReleaseState::Decommissioned => found,
            Ok(_) | Err(RegistryError::NotFound(_)) => {
                return Err(CatalogError::invalid(format!(
                    "service_id {service} names no service"
                )))
            }
            Err(other) => return Err(other.into()),
        };
        let new = NewEndpoint {
            service,
            service_name: found.name.as_str().to_owned(),
            release_state: found.release_state,
            region,
            interface,
            url,
            enabled,
        };
        let template = self.templates.create_endpoint(new).await?;
        self.get(template).await
    }

    pub async fn set_endpoint(
        &self,
        template: TemplateId,
        interface: Interface,
        changes: EndpointChanges,
    ) -> Result<EndpointTemplate> {
        self.templates
            .set_endpoint(template, interface, changes)
            .await?;
        self.get(template).await
    }

    pub async fn delete_endpoint(&self, template: TemplateId, interface: Interface) -> Result<()> {
        self.templates.delete_endpoint(template, interface).await
    }
}
