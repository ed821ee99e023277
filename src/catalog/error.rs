//! What can go wrong with endpoint templates and their tenants. `crate::faults` maps each.

use super::domain::TemplateId;
use crate::identity::{IdentityError, TenantId};
use crate::platform::db::DbError;
use crate::platform::http::xml::XmlError;
use crate::platform::paging::LimitError;
use crate::registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A field, parameter or document that breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    /// A bad `limit`: HP-IDM answers one above its maximum with 413, others with 400.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A malformed XML document.
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("no endpoint template has id {0}")]
    NotFound(TemplateId),
    #[error("Marker in request not found: no endpoint template has id {0}")]
    MarkerNotFound(TemplateId),
    #[error("an endpoint template with id {0} already exists")]
    IdTaken(TemplateId),
    #[error("service '{service}' already has an endpoint template {region}")]
    RegionTaken { service: String, region: String },
    #[error("endpoint template {template} is already associated with tenant {tenant}")]
    AlreadyAssociated {
        tenant: TenantId,
        template: TemplateId,
    },
    #[error("endpoint template {template} is not associated with tenant {tenant}")]
    NotAssociated {
        tenant: TenantId,
        template: TemplateId,
    },
    #[error("Could not find region: {0}.")]
    NoSuchRegion(String),
    #[error("Duplicate entry: a region with id '{0}' already exists")]
    RegionExists(String),
    #[error("region '{0}' does not exist: create it first, or name it by `region`")]
    UnknownRegion(String),
    #[error("region '{region}' is still referred to by {by}")]
    RegionInUse { region: String, by: &'static str },
    #[error(
        "Conflict occurred attempting to store endpoint: service '{service}' already has a \
         {interface} endpoint {}",
        region.as_deref().map_or("without a region".to_owned(), |r| format!("in region '{r}'"))
    )]
    EndpointExists {
        service: String,
        region: Option<String>,
        interface: super::domain::Interface,
    },
    #[error(
        "the public endpoint of template {template} goes last: delete its {others} \
         endpoint first"
    )]
    PublicEndpointLast {
        template: TemplateId,
        others: String,
    },
    #[error("the caller may not manage the endpoints of tenant {0}")]
    NotYourTenant(TenantId),
    /// A stored row that no write of ours could have produced (edited by hand).
    #[error("stored endpoint template {id} is invalid: {reason}")]
    Corrupt { id: i64, reason: String },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Storage(#[from] DbError),
    /// The live registry could not count a template's fleet.
    #[error("the live registry could not count a fleet")]
    Census(#[source] crate::live::LiveError),
    /// A count shared by the catalogs read at one moment failed.
    #[error("a fleet's shared count failed")]
    Shared(#[source] std::sync::Arc<CatalogError>),
}

impl CatalogError {
    pub fn invalid(details: impl Into<String>) -> Self {
        Self::Invalid(details.into())
    }
}

impl From<diesel::result::Error> for CatalogError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(error.into())
    }
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
