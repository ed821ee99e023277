//! The live registry (`/v1.0/{tenantId}`, RSR's API): services that register themselves,
//! heartbeat with one-time tokens and time out; configuration values; per-tenant limits.
//! Every change lands in the tenant's events feed (`events`) in the same
//! transaction. Callers are admitted by identity's [`crate::identity::InTenant`].

mod domain;
mod error;
mod events;
mod rate;
mod requests;
mod routes;
mod schema;
mod store;
mod views;

use std::sync::Arc;

use actix_web::web;

pub use domain::RatePolicy;
pub use error::LiveError;
pub use events::EventId;
pub use store::{LiveStore, OwnLimits, ResourceLimits};

use crate::identity::TenantGate;
use crate::platform::db::Database;
use crate::platform::http::{Dialect, PathRules};
use crate::platform::intake::IntakeLag;
use crate::platform::metrics::Metrics;
use crate::platform::workers::{Did, Workers};
use crate::settings::LiveSettings;
use events::Events;
use rate::RateLimiter;

#[derive(Clone)]
pub struct Live {
    store: LiveStore,
    events: Events,
    rate: RateLimiter,
    settings: LiveSettings,
}

impl Live {
    pub fn new(
        database: Database,
        settings: &LiveSettings,
        metrics: &Metrics,
        intake: IntakeLag,
    ) -> Self {
        if settings.outage_threshold < 2 * settings.reaper_interval {
            log::warn!(
                "live.outage_threshold ({:?}) is under two reaper runs ({:?} each): every \
                 gap between runs will count as an outage and delay timeouts by one timeout",
                settings.outage_threshold,
                settings.reaper_interval
            );
        }
        let events = Events::new(database.clone(), settings, metrics);
        Self {
            store: LiveStore::new(database.clone(), events.clone(), settings, metrics, intake),
            events,
            rate: RateLimiter::new(database, settings),
            settings: settings.clone(),
        }
    }

    /// The events feed, for the jobs a test runs at once.
    pub fn events(&self) -> Events {
        self.events.clone()
    }

    pub fn store(&self) -> LiveStore {
        self.store.clone()
    }

    /// The rate limit's sync, as its worker runs it every `rate_sync_interval`: adds this
    /// node's request counts to every node's and reads the totals back.
    pub async fn sync_request_counts(&self) -> Result<(), LiveError> {
        self.rate.sync().await
    }

    pub fn configure(&self, config: &mut web::ServiceConfig) {
        let gate: Arc<dyn TenantGate> = Arc::new(self.rate.clone());
        config
            .app_data(self.store.clone())
            .app_data(gate)
            .app_data(web::Data::new(self.rate.clone()));
        routes::configure(config);
    }

    /// What the edge must know of `/v1.0` before routing: RSR's fault dialect, and the
    /// configuration paths whose trailing slash is significant.
    pub fn path_rules(&self, rules: PathRules) -> PathRules {
        rules
            .speaks(routes::is_live_path, Dialect::Rsr)
            .keeps_trailing_slash(routes::slash_is_significant)
    }

    /// On every node: the writer (group commit of every live write), the reaper (dead
    /// services out, each with its one timeout event), the rate limit's sync of request
    /// counts and the sync of heartbeat counts.
    pub fn start_workers(&self, workers: &mut Workers) {
        self.store.start_writer(workers);
        self.events.start_workers(workers);
        workers.every("reaper", self.settings.reaper_interval).run(
            self.store.clone(),
            |store| async move {
                let reaped = store.reap().await;
                reaped.map(|count| Did(count, "service(s) timed out"))
            },
        );
        workers
            .every("request count sync", self.settings.rate_sync_interval)
            .run(self.clone(), |live| async move {
                live.sync_request_counts().await
            });
        workers
            .every("heartbeat count sync", self.settings.rate_sync_interval)
            .and_at_stop()
            .run(self.store.clone(), |store| async move {
                store.sync_heartbeat_counts().await
            });
    }
}
