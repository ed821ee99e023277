//! The live registry of one tenant: every request a handler admitted in that tenant makes.
//! The tenant is fixed when [`InTenant`](crate::identity::InTenant) admits the caller, so no
//! handler can ask for another tenant's data.

use super::heartbeats::Renewed;
use super::reprieve::{LateAnswer, LATE_ANSWER};
use super::{
    configuration, heartbeats, limits, services, usage, HeartbeatRate, LiveStore, ResourceLimits,
    Usage,
};
use crate::identity::TenantId;
use crate::live::domain::{
    ConfigurationId, ConfigurationValue, HeartbeatToken, Namespace, NewService, Service,
    ServiceChanges, ServiceId,
};
use crate::live::error::{LiveError, Result};
use crate::live::events::{Event, FeedQuery};
use crate::platform::db::now_millis;
use crate::platform::paging::{Page, PageSize, RSR};

#[derive(Clone)]
pub struct TenantStore {
    pub(super) live: LiveStore,
    pub(super) tenant: TenantId,
}

impl TenantStore {
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    /// A page of the tenant's events feed, waiting for one if the query says so.
    /// Every timeout due before the read began is in the page, whichever node records it.
    pub async fn events(&self, query: FeedQuery) -> Result<Page<Event, String>> {
        let (live, tenant) = (&self.live, self.tenant);
        live.events
            .read(tenant, query, || async move {
                let now = live.watch.now().await?;
                live.reap_tenant(tenant, now).await
            })
            .await
    }

    pub async fn limits(&self) -> Result<ResourceLimits> {
        let tenant = self.tenant;
        let own = self
            .live
            .database
            .run(move |conn| limits::own_limits(conn, tenant))
            .await?;
        Ok(self.live.resource_limits(&own))
    }

    pub async fn usage(&self) -> Result<Usage> {
        let tenant = self.tenant;
        let (services, configuration_values) = self
            .live
            .database
            .run(move |conn| usage::current(conn, tenant))
            .await?;
        Ok(Usage {
            services,
            configuration_values,
        })
    }

    /// Every node's heartbeats of the tenant in the last complete minute, against what its
    /// live services need.
    pub async fn heartbeat_rate(&self) -> Result<HeartbeatRate> {
        let (tenant, tally) = (self.tenant, self.live.tally.clone());
        self.live
            .database
            .run(move |conn| tally.rate(conn, tenant, now_millis()))
            .await
    }

    pub async fn create_service(&self, new: NewService) -> Result<HeartbeatToken> {
        let tenant = self.tenant;
        let limit = self.limits().await?.services;
        let now = self.live.watch.now().await?;
        self.live
            .writes
            .recording(tenant, move |conn, writes| {
                services::create(conn, writes, tenant, &new, limit, now)
            })
            .await
    }

    pub async fn service(&self, id: ServiceId) -> Result<Service> {
        let (tenant, now) = (self.tenant, self.live.watch.now().await?);
        self.live
            .database
            .run(move |conn| services::find(conn, tenant, &id, now))
            .await
    }

    /// A page of live services from `marker` (inclusive), with tag `tag` if given.
    pub async fn services(
        &self,
        tag: Option<String>,
        marker: Option<String>,
        size: PageSize,
    ) -> Result<Page<Service, String>> {
        let (tenant, now) = (self.tenant, self.live.watch.now().await?);
        let rows = self
            .live
            .database
            .run(move |conn| {
                services::list(
                    conn,
                    tenant,
                    tag.as_deref(),
                    marker.as_deref(),
                    size.rows_to_fetch(),
                    now,
                )
            })
            .await?;
        Ok(RSR.page(rows, size, |service| service.id.to_string()))
    }

    pub async fn update_service(&self, id: ServiceId, changes: ServiceChanges) -> Result<()> {
        let tenant = self.tenant;
        let now = self.live.watch.now().await?;
        self.live
            .writes
            .write(move |conn| services::update(conn, tenant, &id, &changes, now))
            .await
    }

    pub async fn remove_service(&self, id: ServiceId) -> Result<()> {
        let tenant = self.tenant;
        let now = self.live.watch.now().await?;
        self.live
            .writes
            .recording(tenant, move |conn, writes| {
                services::remove(conn, writes, tenant, &id, now)
            })
            .await
    }

    /// The next token, or 404 naming what was not found (the service, or the token).
    /// A heartbeat counts from its arrival: one that arrived before the deadline keeps
    /// the service alive however long it waited for its batch, unless a reaper removed
    /// the service first (the conditional statements give exactly one of them the row).
    ///
    /// The node's slowness never costs the service its life: while the heartbeat waits
    /// (to be read, for its batch) the registry's clock waits for it ([`super::watch`]),
    /// one refused for a moment (503) earns a reprieve, and so does one answered late
    /// ([`super::reprieve`]).
    ///
    /// It arrived when the node's edge first saw it (`arrival`), credited with up to
    /// `live.outage_threshold` of the node's own delay in serving it (see
    /// [`super::watch::Watch::arrival`]).
    pub async fn heartbeat(
        &self,
        id: ServiceId,
        token: HeartbeatToken,
        arrival: Option<i64>,
    ) -> Result<HeartbeatToken> {
        let taking_in = self.live.watch.taking_in(arrival);
        let now = self.live.watch.arrival(arrival).await?;
        let delivery = self.live.watch.delivery();
        let swap = self.live.writes.heartbeat(heartbeats::Swap {
            tenant: self.tenant,
            id: id.clone(),
            presented: token,
            next: HeartbeatToken::generate(),
            now,
            delivery,
        });
        let outcome = match swap.await {
            Err(error) if error.is_transient() => {
                // The reprieve holds the clock where the heartbeat was judged, taken
                // before the heartbeat lets go of its own hold.
                let holding = self.live.watch.taking_in(Some(now));
                let reprieves = &self.live.reprieves;
                reprieves.keep(self.tenant, id.clone(), &token, now, holding);
                drop(taking_in);
                return Err(error);
            }
            outcome => outcome?,
        };
        self.live.heartbeats[usize::from(outcome.is_err())].inc();
        if let Ok(renewed) = &outcome {
            self.live.tally.count(self.tenant, now);
            self.answering(&id, now, delivery, renewed);
        }
        drop(taking_in);
        outcome
            .map(|renewed| renewed.next)
            .map_err(|refused| match refused {
                heartbeats::Refused::NoService => LiveError::not_found("Service", &id),
                heartbeats::Refused::BadToken => LiveError::not_found("HeartbeatMarker", token),
            })
    }

    /// A heartbeat that arrived at `arrival` committed, and its answer leaves as this
    /// handler goes on: its wait since the commit is credited to the next commits, and
    /// later than its commit credited, its deadline counts from now.
    fn answering(&self, id: &ServiceId, arrival: i64, delivery: i64, renewed: &Renewed) {
        let (answered, deadline) = (now_millis(), renewed.deadline);
        let committed = deadline.counted_from.saturating_sub(delivery);
        let watch = &self.live.watch;
        watch.answered_after(answered.saturating_sub(committed));
        let reprieves = &self.live.reprieves;
        reprieves.renewed(self.tenant, id);
        if answered > deadline.counted_from.saturating_add(LATE_ANSWER) {
            let holding = watch.taking_in(Some(deadline.at.saturating_sub(1)));
            let late = LateAnswer {
                next: renewed.next,
                arrival,
                answered,
                deadline: deadline.at,
            };
            reprieves.keep_answered_late(self.tenant, id.clone(), late, holding);
        }
    }

    pub async fn set_value(&self, id: ConfigurationId, value: ConfigurationValue) -> Result<()> {
        let tenant = self.tenant;
        // The common unchanged case writes nothing at all, not even the feed lock's row.
        let (unchanged_id, unchanged_value) = (id.clone(), value.clone());
        let unchanged = self
            .live
            .database
            .run(move |conn| configuration::holds(conn, tenant, &unchanged_id, &unchanged_value))
            .await?;
        if unchanged {
            return Ok(());
        }
        let limit = self.limits().await?.configuration_values;
        let now = now_millis();
        self.live
            .writes
            .recording_under_lock(tenant, move |conn, writes| {
                configuration::set(conn, writes, tenant, &id, &value, limit, now)
            })
            .await
    }

    pub async fn value(&self, id: ConfigurationId) -> Result<String> {
        let tenant = self.tenant;
        self.live
            .database
            .run(move |conn| configuration::get(conn, tenant, &id))
            .await
    }

    /// Under the feed lock: the event records the value removed.
    pub async fn remove_value(&self, id: ConfigurationId) -> Result<()> {
        let (tenant, now) = (self.tenant, now_millis());
        let remove = move |conn: &mut _, writes: &mut _| {
            configuration::remove(conn, writes, tenant, &id, now)
        };
        self.live.writes.recording_under_lock(tenant, remove).await
    }

    /// A page of `(id, value)` from `marker` (inclusive), inside `namespace` if given.
    pub async fn values(
        &self,
        namespace: Option<Namespace>,
        marker: Option<String>,
        size: PageSize,
    ) -> Result<Page<(String, String), String>> {
        let tenant = self.tenant;
        let rows = self
            .live
            .database
            .run(move |conn| {
                configuration::list(
                    conn,
                    tenant,
                    namespace.as_ref(),
                    marker.as_deref(),
                    size.rows_to_fetch(),
                )
            })
            .await?;
        Ok(RSR.page(rows, size, |(id, _)| id.clone()))
    }
}
