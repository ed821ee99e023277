//! What can go wrong on Keystone v3's routes beyond the subsystems' own errors, which are
//! kept as their cause. `crate::faults` maps each to Keystone's status.

use crate::catalog::CatalogError;
use crate::identity::IdentityError;
use crate::platform::http::HttpError;
use crate::registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum KeystoneError {
    /// A body or query that breaks v3's shape (Keystone's `ValidationError`, 400).
    #[error("{0}")]
    Invalid(String),
    /// Authentication refused for a reason v2.0 has no word for (an unsupported method,
    /// a domain other than the registry's one).
    #[error("The request you have made requires authentication: {0}")]
    Unauthenticated(String),
    /// The caller may use the route, but not on this object (another principal's).
    #[error("You are not authorized to perform the requested action: {0}")]
    Forbidden(&'static str),
    #[error("Could not find {kind}: {id}.")]
    NotFound { kind: &'static str, id: String },
    #[error("the X-Subject-Token header must name the token to act on")]
    MissingSubjectToken,
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl KeystoneError {
    pub fn invalid(details: impl Into<String>) -> Self {
        Self::Invalid(details.into())
    }

    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            id: id.into(),
        }
    }
}

pub type Result<T, E = KeystoneError> = std::result::Result<T, E>;
