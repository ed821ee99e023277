//! The registry's vocabulary: types that can only hold valid values (parse, don't validate).

mod listing;
mod service;

pub use listing::{Page, PageLimit, PageRequest};
pub use service::{
    Description, ReleaseState, Service, ServiceDraft, ServiceId, ServiceName, ServiceType,
    ServiceUpdate, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};
