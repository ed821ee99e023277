//! The registry's vocabulary: types that can only hold valid values (parse, don't validate).

pub mod listing;
pub mod principal;
pub mod service;

pub use listing::{Page, PageLimit, PageRequest};
pub use principal::{
    Caller, Operation, PrincipalName, PrincipalStatus, PrivilegeLevel, Token, TokenHash,
};
pub use service::{
    Description, ReleaseState, Service, ServiceDraft, ServiceId, ServiceName, ServiceType,
    ServiceUpdate,
};
