//! The live registry's storage: queries per resource, run on the blocking pool by
//! [`TenantStore`] (one tenant's registry, what handlers get) and [`LiveStore`] (the
//! reaper and the command line, across tenants). Writes that record events wake this
//! node's long polls once committed.

mod cadence;
mod clock;
pub mod configuration;
pub mod counts;
mod group_commit;
mod heartbeats;
pub mod limits;
mod reprieve;
pub mod services;
mod stamp;
mod tenant;
mod tenant_writes;
#[cfg(test)]
pub(crate) mod testing;
pub mod usage;
mod watch;

pub use cadence::HeartbeatRate;
pub use limits::OwnLimits;
pub use tenant::TenantStore;

use super::domain::RatePolicy;
use super::error::{LiveError, Result};
use crate::identity::{TenantId, TenantScoped};
use crate::live::events::Events;
use crate::platform::db::{now_millis, Database};
use crate::platform::intake::IntakeLag;
use crate::platform::metrics::Metrics;
use crate::platform::workers::Workers;
use crate::settings::LiveSettings;
use cadence::HeartbeatTally;
use group_commit::GroupCommit;
use prometheus::IntCounter;
use reprieve::Reprieves;
use watch::Watch;

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
    /// The registry's watch over its own deadlines: its outages move them.
    watch: Watch,
    /// Heartbeats refused for a moment (503) or answered late, to be written as reprieves.
    reprieves: Reprieves,
}

impl LiveStore {
    pub fn new(
        database: Database,
        events: Events,
        settings: &LiveSettings,
        metrics: &Metrics,
        intake: IntakeLag,
    ) -> Self {
        let writes = GroupCommit::new(database.clone(), events.clone(), settings, metrics);
        let heartbeats = metrics.counter_vec(
            "live_heartbeats_total",
            "Heartbeats of the live registry: accepted, or refused (stale token, unknown or timed-out service)",
            &["outcome"],
        );
        Self {
            database: database.clone(),
            events,
            writes,
            postgres_writers: settings.postgres_writers,
            heartbeats: ["accepted", "refused"]
                .map(|outcome| heartbeats.with_label_values(&[outcome])),
            default_services: i64::from(settings.default_service_limit),
            default_values: i64::from(settings.default_configuration_value_limit),
            default_rate: RatePolicy::from_settings(settings.rate_limit, settings.rate_window),
            tally: HeartbeatTally::new(settings.rate_sync_interval),
            watch: Watch::new(
                database,
                settings.outage_threshold,
                metrics.counter(
                    "live_registry_outages_total",
                    "Outages of the registry (no node judged deadlines for longer than \
                     live.outage_threshold) after which this node moved the deadlines",
                ),
                intake,
            ),
            reprieves: Reprieves::new(
                metrics.counter(
                    "live_heartbeat_reprieves_total",
                    "Deadlines moved by heartbeats this node refused for a moment (503)",
                ),
                metrics.counter(
                    "live_heartbeat_late_answers_total",
                    "Deadlines moved because this node answered a committed heartbeat later \
                     than its commit credited",
                ),
            ),
        }
    }

    /// How many live services of `tenant` carry `tag` and are alive now, on the registry's
    /// clock (what every read judges by); counting stops at `at_most` when given.
    pub async fn alive_with_tag(
        &self,
        tenant: TenantId,
        tag: String,
        at_most: Option<u16>,
    ) -> Result<u64> {
        let now = self.watch.now().await?;
        let count = self
            .database
            .run(move |conn| {
                services::count_alive_with_tag(conn, tenant, &tag, now, at_most.map(i64::from))
            })
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub(super) fn resource_limits(&self, own: &limits::OwnLimits) -> ResourceLimits {
        ResourceLimits {
            services: own.services.unwrap_or(self.default_services),
            configuration_values: own.configuration_values.unwrap_or(self.default_values),
        }
    }

    /// The reaper's run: stamps the registry's watch (moving the deadlines an outage
    /// covered, if it ends one), writes the reprieves of heartbeats not committed at once, then
    /// removes every dead service of every tenant, each with its timeout event; how many.
    pub async fn reap(&self) -> Result<usize> {
        // Judged by the stamp's time, never a later one: a node frozen after its stamp
        // must not time out what died while it was frozen (its next stamp moves those).
        let now = self.watch.stamp().await?;
        // A reprieve that could not be written holds the clock (and so `now`) at its
        // arrival: reaping may go on without it.
        if let Err(error) = self.reprieves.grant(&self.database).await {
            log::warn!(
                "writing reprieves of delayed heartbeats failed: {}",
                crate::platform::error_chain(&error)
            );
        }
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

    /// Times out `tenant`'s services whose deadline is before `now`, unless another writer
    /// has: a reader of the feed then sees every timeout due before its read began.
    /// Nothing is written (one indexed probe) when none is due.
    async fn reap_tenant(&self, tenant: TenantId, now: i64) -> Result<()> {
        let due = self
            .database
            .run(move |conn| services::has_dead(conn, tenant, now))
            .await?;
        if due {
            self.writes
                .recording(tenant, move |conn, writes| {
                    services::reap(conn, writes, tenant, now)
                })
                .await?;
        }
        Ok(())
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
