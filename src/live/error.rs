//! What can go wrong in the live registry, each carrying what RSR's fault says;
//! `crate::faults` renders them.

use crate::platform::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("Unsupported content type: {0}")]
    UnsupportedContentType(String),
    #[error("Failed to parse request body: {0}")]
    UnparsableBody(String),
    /// A body field that breaks its rule: the key, and the rule.
    #[error("Validation error for key '{key}'")]
    InvalidBody { key: String, rule: String },
    /// A path segment or query parameter that breaks its rule.
    #[error("Invalid value for '{param}' query string parameter")]
    InvalidParameter { param: &'static str, rule: String },
    #[error("{0}")]
    InvalidLimit(String),
    #[error("Invalid type: {0}. Valid types are: {1}")]
    InvalidType(String, String),
    #[error("Service with id {0} already exists.")]
    ServiceExists(String),
    #[error("Limit for resource {resource} has been reached. Maximum allowed objects: {max}")]
    LimitReached { resource: &'static str, max: i64 },
    #[error("Rate limit has been reached.")]
    RateLimited { limit: u64, retry_after: u64 },
    #[error("Object \"{object}\" with key \"{key}\" does not exist")]
    NotFound { object: &'static str, key: String },
    /// A stored row that no write of ours could have produced (edited by hand).
    #[error("stored {what} is invalid: {reason}")]
    Corrupt { what: String, reason: String },
    #[error(transparent)]
    Storage(#[from] DbError),
    /// The outcome of a read shared by several requests (long polls woken together).
    #[error(transparent)]
    Shared(std::sync::Arc<LiveError>),
}

impl From<diesel::result::Error> for LiveError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(DbError::from(error))
    }
}

impl LiveError {
    /// The registry could not do it now (the database down, slow or overloaded): the
    /// client may retry, and its request said nothing wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Storage(error) => error.is_transient(),
            Self::Shared(error) => error.is_transient(),
            _ => false,
        }
    }

    pub fn not_found(object: &'static str, key: impl ToString) -> Self {
        Self::NotFound {
            object,
            key: key.to_string(),
        }
    }

    pub fn invalid_parameter(param: &'static str, rule: impl ToString) -> Self {
        Self::InvalidParameter {
            param,
            rule: rule.to_string(),
        }
    }

    pub fn corrupt(what: impl ToString, reason: impl ToString) -> Self {
        Self::Corrupt {
            what: what.to_string(),
            reason: reason.to_string(),
        }
    }
}

pub type Result<T, E = LiveError> = std::result::Result<T, E>;
