//! The registry's vocabulary: types that can only hold valid values (parse, don't validate).

mod draft;
mod listing;
mod service;

pub use draft::{ServiceDraft, ServiceUpdate};
pub use listing::PageRequest;
pub use service::{
    Description, ReleaseState, Service, ServiceId, ServiceName, ServiceType, MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS,
};
