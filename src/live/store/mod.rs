//! The live registry's storage: queries per resource, run by [`LiveStore`] on the
//! blocking pool. Writes that record events wake this node's long polls once committed.

pub mod configuration;
pub mod limits;
pub mod services;
pub mod usage;

pub use limits::OwnLimits;

use super::domain::{
    ConfigurationId, ConfigurationValue, HeartbeatToken, Namespace, RatePolicy, Service, ServiceId,
};
use super::error::{LiveError, Result};
use super::requests::{NewService, ServiceChanges};
use crate::events::Events;
use crate::identity::TenantId;
use crate::platform::db::{now_millis, Database};
use crate::platform::metrics::Metrics;
use crate::settings::LiveSettings;
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
    default_services: i64,
    default_values: i64,
    default_rate: RatePolicy,
    /// Heartbeats accepted and refused.
    heartbeats: [IntCounter; 2],
}

impl LiveStore {
    pub fn new(
        database: Database,
        events: Events,
        settings: &LiveSettings,
        metrics: &Metrics,
    ) -> Self {
        Self {
            database,
            events,
            heartbeats: ["accepted", "refused"]
                .map(|outcome| metrics.heartbeats.with_label_values(&[outcome])),
            default_services: i64::from(settings.default_service_limit),
            default_values: i64::from(settings.default_configuration_value_limit),
            default_rate: RatePolicy::from_settings(settings.rate_limit, settings.rate_window),
        }
    }

    pub fn events(&self) -> &Events {
        &self.events
    }

    pub async fn limits(&self, tenant: TenantId) -> Result<ResourceLimits> {
        let own = self
            .database
            .run(move |conn| limits::own_limits(conn, tenant))
            .await?;
        Ok(self.resource_limits(&own))
    }

    fn resource_limits(&self, own: &limits::OwnLimits) -> ResourceLimits {
        ResourceLimits {
            services: own.services.unwrap_or(self.default_services),
            configuration_values: own.configuration_values.unwrap_or(self.default_values),
        }
    }

    pub async fn usage(&self, tenant: TenantId) -> Result<Usage> {
        let (services, configuration_values) = self
            .database
            .run(move |conn| usage::current(conn, tenant))
            .await?;
        Ok(Usage {
            services,
            configuration_values,
        })
    }

    pub async fn create_service(
        &self,
        tenant: TenantId,
        new: NewService,
    ) -> Result<HeartbeatToken> {
        let limit = self.limits(tenant).await?.services;
        let (token, appended) = self
            .database
            .run_write(move |conn| services::create(conn, tenant, &new, limit, now_millis()))
            .await?;
        self.events.appended(tenant, &appended);
        Ok(token)
    }

    pub async fn service(&self, tenant: TenantId, id: ServiceId) -> Result<Service> {
        self.database
            .run(move |conn| services::find(conn, tenant, &id, now_millis()))
            .await
    }

    pub async fn services(
        &self,
        tenant: TenantId,
        tag: Option<String>,
        marker: Option<String>,
        limit: usize,
    ) -> Result<Vec<Service>> {
        self.database
            .run(move |conn| {
                services::list(
                    conn,
                    tenant,
                    tag.as_deref(),
                    marker.as_deref(),
                    to_i64(limit),
                    now_millis(),
                )
            })
            .await
    }

    pub async fn update_service(
        &self,
        tenant: TenantId,
        id: ServiceId,
        changes: ServiceChanges,
    ) -> Result<()> {
        self.database
            .run_write(move |conn| services::update(conn, tenant, &id, &changes, now_millis()))
            .await
    }

    pub async fn remove_service(&self, tenant: TenantId, id: ServiceId) -> Result<()> {
        let appended = self
            .database
            .run_write(move |conn| services::remove(conn, tenant, &id, now_millis()))
            .await?;
        self.events.appended(tenant, &appended);
        Ok(())
    }

    /// The next token, or 404 naming what was not found (the service, or the token).
    pub async fn heartbeat(
        &self,
        tenant: TenantId,
        id: ServiceId,
        token: HeartbeatToken,
    ) -> Result<HeartbeatToken> {
        let service = id.clone();
        let outcome = self
            .database
            .run_write(move |conn| {
                services::heartbeat(conn, tenant, &service, &token, now_millis())
            })
            .await?;
        self.heartbeats[usize::from(outcome.is_err())].inc();
        outcome.map_err(|refused| match refused {
            services::Refused::NoService => LiveError::not_found("Service", &id),
            services::Refused::BadToken => LiveError::not_found("HeartbeatMarker", token),
        })
    }

    pub async fn set_value(
        &self,
        tenant: TenantId,
        id: ConfigurationId,
        value: ConfigurationValue,
    ) -> Result<()> {
        let limit = self.limits(tenant).await?.configuration_values;
        let appended = self
            .database
            .run_write(move |conn| {
                configuration::set(conn, tenant, &id, &value, limit, now_millis())
            })
            .await?;
        self.events.appended(tenant, &appended);
        Ok(())
    }

    pub async fn value(&self, tenant: TenantId, id: ConfigurationId) -> Result<String> {
        self.database
            .run(move |conn| configuration::get(conn, tenant, &id))
            .await
    }

    pub async fn remove_value(&self, tenant: TenantId, id: ConfigurationId) -> Result<()> {
        let appended = self
            .database
            .run_write(move |conn| configuration::remove(conn, tenant, &id, now_millis()))
            .await?;
        self.events.appended(tenant, &appended);
        Ok(())
    }

    pub async fn values(
        &self,
        tenant: TenantId,
        namespace: Option<Namespace>,
        marker: Option<String>,
        limit: usize,
    ) -> Result<Vec<(String, String)>> {
        self.database
            .run(move |conn| {
                configuration::list(
                    conn,
                    tenant,
                    namespace.as_ref(),
                    marker.as_deref(),
                    to_i64(limit),
                )
            })
            .await
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
            let appended = self
                .database
                .run_write(move |conn| services::reap(conn, tenant, now))
                .await?;
            reaped += appended.len();
            self.events.appended(tenant, &appended);
        }
        Ok(reaped)
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
            let rate = self
                .default_rate
                .overridden(own.requests, own.rate_window_ms);
            Ok((self.resource_limits(&own), rate))
        })
    }
}

fn to_i64(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}
