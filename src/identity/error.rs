//! What can go wrong authenticating a caller or administering principals and tokens.
//! `crate::faults` turns each into a fault.

use super::domain::{describe_levels, PrincipalName, PrincipalStatus, PrivilegeLevel};
use super::tenant::{TenantId, TenantName, TenantRef};
use crate::platform::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("a valid token must be presented in the X-Auth-Token header")]
    MissingToken,
    /// Two headers could name two principals; picking either would make the answer
    /// depend on header order.
    #[error("send exactly one X-Auth-Token header")]
    DuplicateToken,
    #[error("Invalid credentials: the token is unknown, expired or revoked")]
    InvalidToken,
    /// Unknown user, wrong secret, inactive key: one answer, so nothing is learned.
    #[error("Invalid credentials: unknown user or key, or a wrong secret")]
    BadCredentials,
    #[error("the token in the X-Auth-Token header is not the token being rescoped")]
    TokenMismatch,
    #[error("principal '{0}' is not a member of tenant '{1}'")]
    NotAMember(PrincipalName, TenantRef),
    #[error("the token does not belong to tenant {0}")]
    NotInTenant(TenantId),
    /// `belongsTo` named something that is no tenant id (a name, say): Keystone's 401.
    #[error("the token does not belong to tenant '{0}'")]
    NotBelongsTo(String),
    #[error("'{0}' is not a tenant id")]
    NotATenant(String),
    #[error("the X-Tenant-Id header names another tenant than the path")]
    TenantHeaderMismatch,
    #[error("tenant '{0}' is disabled")]
    TenantDisabled(TenantName),
    #[error("too many failed authentications from this address; try again in {retry_after} s")]
    Throttled { retry_after: u64 },
    #[error("principal '{name}' is {status}")]
    Disabled {
        name: PrincipalName,
        status: PrincipalStatus,
    },
    #[error("this operation requires privilege level {}", describe_levels(.0))]
    MissingLevel(&'static [PrivilegeLevel]),
    /// A name, level or lifetime that breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    #[error("principal '{0}' already exists")]
    PrincipalExists(PrincipalName),
    #[error("no principal is named '{0}'")]
    NoSuchPrincipal(PrincipalName),
    #[error("no such token (it may have been revoked already)")]
    NoSuchToken,
    #[error("a tenant named '{0}' already exists (names are compared case-insensitively)")]
    TenantExists(TenantName),
    #[error("a tenant with id {0} already exists")]
    TenantIdTaken(TenantId),
    #[error("no tenant is '{0}'")]
    NoSuchTenant(TenantRef),
    #[error("Could not find user: {0}.")]
    NoSuchUser(i64),
    #[error(
        "Could not find role assignment: user {user} has no role {role} on project {project}."
    )]
    NoSuchAssignment {
        user: i64,
        project: TenantId,
        role: &'static str,
    },
    #[error("Could not find role assignment: user {user} has no role {role} on the system.")]
    NoSuchSystemRole { user: i64, role: &'static str },
    #[error("user {0} holds one level, which it keeps: assign another first")]
    LastLevel(i64),
    #[error("tenant {0} is still referred to (an endpoint template's liveness binding)")]
    TenantInUse(TenantId),
    #[error("no such access key")]
    NoSuchAccessKey,
    /// Another process bootstrapped the same empty database in the same instant.
    #[error("the database was bootstrapped by another process")]
    BootstrappedElsewhere,
    /// A stored row that no write of ours could have produced (edited by hand).
    #[error("stored principal {id} is invalid: {reason}")]
    Corrupt { id: i64, reason: String },
    /// A route asked for data the application never registered: a wiring bug.
    #[error("{0} is not registered with the application")]
    Unconfigured(&'static str),
    #[error(transparent)]
    Catalog(#[from] super::catalog_port::CatalogUnavailable),
    #[error(transparent)]
    Storage(#[from] DbError),
}

impl From<crate::platform::http::xml::XmlError> for IdentityError {
    fn from(error: crate::platform::http::xml::XmlError) -> Self {
        Self::Invalid(error.to_string())
    }
}

impl IdentityError {
    pub fn invalid(details: impl Into<String>) -> Self {
        Self::Invalid(details.into())
    }
}

/// Failures inside a transaction that no caller anticipates (commit, rollback).
impl From<diesel::result::Error> for IdentityError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Storage(error.into())
    }
}

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
