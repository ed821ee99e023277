//! What can go wrong with registered services. `crate::faults` turns each into a fault.

use crate::platform::db::DbError;
use crate::platform::http::xml::XmlError;
use crate::platform::paging::LimitError;

use super::domain::ServiceId;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A field, parameter or document that breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    #[error("no service has id {0}")]
    NotFound(ServiceId),
    #[error("Marker in request not found: no service has id {0}")]
    MarkerNotFound(ServiceId),
    #[error("a service named '{0}' already exists (names are compared case-insensitively)")]
    NameTaken(String),
    #[error("a service with id {0} already exists")]
    IdTaken(ServiceId),
    #[error(
        "Tried to change release state for 'decommissioned' service: \
         a decommissioned service keeps that state for good"
    )]
    Decommissioned,
    /// A stored row that no write of ours could have produced (edited by hand).
    #[error("stored service {id} is invalid: {reason}")]
    Corrupt { id: i64, reason: String },
    /// A bad `limit`: HP-IDM answers one above its maximum with 413, others with 400.
    #[error(transparent)]
    Limit(#[from] LimitError),
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error(transparent)]
    Storage(#[from] DbError),
}

impl RegistryError {
    pub fn invalid(details: impl Into<String>) -> Self {
        Self::Invalid(details.into())
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// Failures inside a transaction that no caller anticipates (commit, rollback).
impl From<diesel::result::Error> for RegistryError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(error.into())
    }
}
