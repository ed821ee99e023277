//! The HP-IDM registered-services API: its data, policies and routes; the handlers, one
//! file per resource, in `services.rs`.

mod services;

use std::sync::Arc;

use actix_web::web;

use super::domain::{PageRequest, ServiceId};
use super::store::ServiceStore;
use crate::identity::{Guarded, Policy, PrivilegeLevel};
use crate::platform::freshness::Freshness;
use crate::platform::http::{RenderCache, Routes};
use crate::platform::metrics::Metrics;
use crate::settings::CacheSettings;

pub const API_BASE: &str = "/v2.0/HP-IDM/v1.0";
const SERVICES_ROUTE: &str = "services";
const SERVICE_ROUTE: &str = "service";

/// The registry's data, for callers the action's policy admits.
type Services<P> = Guarded<P, ServiceData>;

/// What a read asked for: the cache key of its representation (with the format).
#[derive(Hash, PartialEq, Eq)]
enum Read {
    One(ServiceId),
    Page(PageRequest),
}

/// The store, and the representations reads rendered from it: served again until a
/// write moves the registry's epoch (see `crate::platform::freshness`). A page keeps
/// its next marker beside its body, for the `Link` header.
/// Cheap to clone (one reference count): every request's guard clones it.
#[derive(Clone)]
pub struct ServiceData(Arc<Shared>);

struct Shared {
    store: ServiceStore,
    rendered: RenderCache<Read, Option<ServiceId>>,
}

impl ServiceData {
    pub fn new(
        store: ServiceStore,
        freshness: Freshness,
        settings: &CacheSettings,
        metrics: &Metrics,
    ) -> Self {
        Self(Arc::new(Shared {
            store,
            rendered: RenderCache::new(
                super::GENERATION,
                freshness,
                settings.capacity_bytes,
                metrics,
            ),
        }))
    }

    pub fn store(&self) -> &ServiceStore {
        &self.0.store
    }

    fn rendered(&self) -> &RenderCache<Read, Option<ServiceId>> {
        &self.0.rendered
    }
}

pub struct GetService;
pub struct ListServices;
pub struct RegisterService;
pub struct UpdateService;

impl Policy for GetService {
    const ALLOWED: &'static [PrivilegeLevel] = &[PrivilegeLevel::Sa, PrivilegeLevel::Svc];
}

impl Policy for ListServices {
    const ALLOWED: &'static [PrivilegeLevel] = &PrivilegeLevel::ALL;
}

impl Policy for RegisterService {
    const ALLOWED: &'static [PrivilegeLevel] = &[PrivilegeLevel::Sa, PrivilegeLevel::Svc];
}

impl Policy for UpdateService {
    const ALLOWED: &'static [PrivilegeLevel] = &[PrivilegeLevel::Sa, PrivilegeLevel::Svc];
}

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            Routes::at(format!("{API_BASE}/services"))
                .name(SERVICES_ROUTE)
                .get(services::list_services)
                .post(services::register_service),
        )
        .service(
            Routes::at(format!("{API_BASE}/services/{{serviceId}}"))
                .name(SERVICE_ROUTE)
                .get(services::get_service)
                .put(services::update_service),
        );
}
