//! The live registry's storage: queries per resource, run on the blocking pool by
//! [`TenantStore`] (one tenant's registry, what handlers get) and [`LiveStore`] (the
//! reaper and the command line, across tenants). Writes that record events wake this
//! node's long polls once committed.

mod cadence;
pub mod configuration;
mod group_commit;
mod heartbeats;
pub mod limits;
pub mod services;
mod tenant;
mod tenant_writes;
pub mod usage;

pub use cadence::HeartbeatRate;
pub use limits::OwnLimits;
pub use tenant::TenantStore;

use super::domain::RatePolicy;
use super::error::{LiveError, Result};
use crate::identity::{TenantId, TenantScoped};
use crate::live::events::Events;
use crate::platform::db::{now_millis, Database};
use crate::platform::metrics::Metrics;
use crate::platform::workers::Workers;
use crate::settings::LiveSettings;
use cadence::HeartbeatTally;
use group_commit::GroupCommit;
use prometheus::IntCounter;

/// A tenant's resource limits in force.
pub struct ResourceLimits {
    pub services: i64,
    pub configuration_values: i64,
}

/// What a tenant holds now (dead services the reaper has not removed yet included, for
/// a second at most).
pub struct Usage {
    pub services: i64,
    pub configuration_values: i64,
}

#[derive(Clone)]
pub struct LiveStore {
    database: Database,
    events: Events,
    /// Every write of the live registry on this node, committed in batches.
    writes: GroupCommit,
    postgres_writers: usize,
    default_services: i64,
    default_values: i64,
    default_rate: RatePolicy,
    /// Heartbeats accepted and refused.
    heartbeats: [IntCounter; 2],
    /// Heartbeats accepted per tenant, not yet added to the shared counts.
    tally: HeartbeatTally,
}

impl LiveStore {
    pub fn new(
        database: Database,
        events: Events,
        settings: &LiveSettings,
        metrics: &Metrics,
    ) -> Self {
        let writes = GroupCommit::new(
            database.clone(),
            events.clone(),
            settings.write_batch_size,
            settings.write_batch_wait,
            metrics.write_batch_size.clone(),
        );
        Self {
            database,
            events,
            writes,
            postgres_writers: settings.postgres_writers,
            heartbeats: ["accepted", "refused"]
                .map(|outcome| metrics.heartbeats.with_label_values(&[outcome])),
            default_services: i64::from(settings.default_service_limit),
            default_values: i64::from(settings.default_configuration_value_limit),
            default_rate: RatePolicy::from_settings(settings.rate_limit, settings.rate_window),
            tally: HeartbeatTally::new(settings.rate_sync_interval),
        }
    }

    pub(super) fn resource_limits(&self, own: &limits::OwnLimits) -> ResourceLimits {
        ResourceLimits {
            services: own.services.unwrap_or(self.default_services),
            configuration_values: own.configuration_values.unwrap_or(self.default_values),
        }
    }

    /// Removes every dead service of every tenant, each with its timeout event; how many.
    pub async fn reap(&self) -> Result<usize> {
        let now = now_millis();
        let tenants = self
            .database
            .run(move |conn| services::tenants_with_dead(conn, now, 1000))
            .await?;
        let mut reaped = 0;
        for tenant in tenants {
            let tenant = TenantId::new(tenant)
                .ok_or_else(|| LiveError::corrupt("service", format!("tenant id {tenant}")))?;
            reaped += self
                .writes
                .recording(tenant, move |conn, writes| {
                    services::reap(conn, writes, tenant, now)
                })
                .await?;
        }
        Ok(reaped)
    }

    /// Starts this node's writers, which commit the live registry's writes in batches.
    pub fn start_writer(&self, workers: &mut Workers) {
        self.writes.start(workers, self.postgres_writers);
    }

    /// Adds this node's heartbeat counts to every node's (see [`cadence`]).
    pub async fn sync_heartbeat_counts(&self) -> Result<()> {
        self.tally.sync(&self.database, now_millis()).await
    }

    /// Sets a tenant's own limits (the command line's `tenant limits`): those `changes`
    /// gives, keeping the others. Returns the limits in force afterwards.
    pub fn set_limits(
        &self,
        tenant: TenantId,
        changes: &OwnLimits,
    ) -> Result<(ResourceLimits, RatePolicy)> {
        self.database.with_connection(|conn| {
            limits::set_own_limits(conn, tenant, changes)?;
            let own = limits::own_limits(conn, tenant)?;
            Ok((self.resource_limits(&own), own.rate(self.default_rate)))
        })
    }
}

/// A handler admitted in a tenant gets the registry of that tenant only.
impl TenantScoped for LiveStore {
    type Scoped = TenantStore;

    fn in_tenant(&self, tenant: TenantId) -> TenantStore {
        TenantStore {
            live: self.clone(),
            tenant,
        }
    }
}
