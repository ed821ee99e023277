//! The routes of `/v1.0/{tenantId}`. Every handler reaches the store only through
//! [`InTenant`], which admits callers of the path's tenant and applies its rate limit
//! (to every route but the heartbeat).

mod configuration;
mod events;
mod limits;
mod services;

use std::collections::HashMap;

use actix_web::web;

use super::requests::MAX_BODY_BYTES;
use super::store::LiveStore;
use crate::identity::{InTenant, Unmetered};
use crate::platform::http::{HandlerResult, Routes};

type Store = InTenant<LiveStore>;
/// For heartbeats, which the service limit bounds: outside the rate limit.
type UnmeteredStore = InTenant<LiveStore, Unmetered>;
type Query = web::Query<HashMap<String, String>>;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/v1.0/{tenant_id}")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .service(
                Routes::at("/services")
                    .get(services::list)
                    .post(services::create),
            )
            .service(
                Routes::at("/services/{service_id}")
                    .get(services::get)
                    .put(services::update)
                    .delete(services::remove),
            )
            .service(Routes::at("/services/{service_id}/heartbeat").post(services::heartbeat))
            .service(Routes::at("/events").get(events::list))
            .service(Routes::at("/configuration").get(configuration::list_all))
            .service(
                Routes::at("/configuration/{configuration_id:.*}")
                    .get(configuration::get)
                    .put(configuration::set)
                    .delete(configuration::remove),
            )
            .service(Routes::at("/limits").get(limits::get)),
    );
}

/// The live registry answers everything under `/v1.0`, unknown routes included.
pub fn is_live_path(path: &str) -> bool {
    path.strip_prefix("/v1.0")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Under `/v1.0/{tenantId}/configuration/` a trailing slash is part of the request: it
/// names a namespace to list, or ends an id such as `/prod/`. The edge leaves it there.
pub fn slash_is_significant(path: &str) -> bool {
    path.strip_prefix("/v1.0/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, after_tenant)| after_tenant.starts_with("configuration/"))
}

#[cfg(test)]
mod tests {
    use super::{is_live_path, slash_is_significant};

    #[test]
    fn the_live_registry_owns_v1_0() {
        assert!(is_live_path("/v1.0"));
        assert!(is_live_path("/v1.0/7/nowhere"));
        assert!(!is_live_path("/v1.00"));
        assert!(!is_live_path("/v2.0/tokens"));
    }

    #[test]
    fn only_configuration_paths_keep_their_slash() {
        assert!(slash_is_significant("/v1.0/7/configuration//rsr/python/"));
        assert!(slash_is_significant("/v1.0/7/configuration/rsr/python/"));
        assert!(slash_is_significant("/v1.0/7/configuration/"));
        assert!(!slash_is_significant("/v1.0/7/configuration"));
        assert!(!slash_is_significant("/v1.0/7/services/"));
        assert!(!slash_is_significant("/v2.0/tokens/"));
        assert!(!slash_is_significant("/v1.0/configuration/"));
    }
}
