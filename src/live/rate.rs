//! The per-tenant rate limit, counted on every node. Each node counts its own requests in
//! memory and, every `rate_sync_interval`, adds them to the tenant's shared count in the
//! database and reads the total back. A single node enforces the limit exactly; with N
//! nodes a tenant may overshoot by what the other N-1 nodes serve it in one interval.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::error::{LiveError, Result};
use super::store::limits;
use crate::identity::{TenantGate, TenantId};
use crate::platform::db::{now_millis, Database};
use crate::settings::LiveSettings;

#[derive(Debug, Clone, Copy)]
struct Count {
    window_start: i64,
    /// Every node's requests as last read from the database (ours included).
    shared: i64,
    /// Ours being added to the database right now.
    in_flight: i64,
    /// Ours not sent yet.
    pending: i64,
}

impl Count {
    fn used(&self) -> i64 {
        self.shared + self.in_flight + self.pending
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    database: Database,
    limit: i64,
    window: i64,
    counts: Arc<Mutex<HashMap<i64, Count>>>,
}

/// A tenant's rate: its limit, requests used in this window, and the window's length.
pub struct RateUsage {
    pub limit: i64,
    pub used: i64,
    pub window_hours: f64,
}

impl RateLimiter {
    pub fn new(database: Database, settings: &LiveSettings) -> Self {
        Self {
            database,
            limit: i64::try_from(settings.rate_limit).unwrap_or(i64::MAX),
            window: i64::try_from(settings.rate_window.as_millis())
                .unwrap_or(i64::MAX)
                .max(1000),
            counts: Arc::default(),
        }
    }

    fn window_start(&self, now: i64) -> i64 {
        now - now.rem_euclid(self.window)
    }

    /// Counts a request of `tenant`, or refuses it when the window's allowance is spent.
    pub async fn admit(&self, tenant: TenantId) -> Result<()> {
        let now = now_millis();
        let window_start = self.window_start(now);
        self.load(tenant, window_start).await?;
        let mut counts = self.lock();
        let count = counts.entry(tenant.get()).or_insert(Count {
            window_start,
            shared: 0,
            in_flight: 0,
            pending: 0,
        });
        if count.used() >= self.limit {
            let retry_after = (window_start + self.window - now + 999) / 1000;
            return Err(LiveError::RateLimited {
                limit: u64::try_from(self.limit).unwrap_or(0),
                retry_after: u64::try_from(retry_after).unwrap_or(1).max(1),
            });
        }
        count.pending += 1;
        Ok(())
    }

    pub async fn usage(&self, tenant: TenantId) -> Result<RateUsage> {
        let window_start = self.window_start(now_millis());
        self.load(tenant, window_start).await?;
        let used = self.lock().get(&tenant.get()).map_or(0, Count::used);
        Ok(RateUsage {
            limit: self.limit,
            used,
            window_hours: self.window as f64 / 3_600_000.0,
        })
    }

    /// First request of a tenant in this window on this node: start from the shared count.
    async fn load(&self, tenant: TenantId, window_start: i64) -> Result<()> {
        let current = self
            .lock()
            .get(&tenant.get())
            .is_some_and(|count| count.window_start == window_start);
        if current {
            return Ok(());
        }
        let tenant_id = tenant.get();
        let shared = self
            .database
            .run_write(move |conn| limits::add_requests(conn, tenant_id, window_start, 0))
            .await?;
        let mut counts = self.lock();
        let count = counts.entry(tenant_id).or_insert(Count {
            window_start,
            shared,
            in_flight: 0,
            pending: 0,
        });
        if count.window_start != window_start {
            *count = Count {
                window_start,
                shared,
                in_flight: 0,
                pending: 0,
            };
        }
        Ok(())
    }

    /// Adds this node's new requests to the shared counts and reads every tenant's total.
    pub async fn sync(&self) -> Result<()> {
        let current_window = self.window_start(now_millis());
        let batch: Vec<(i64, i64, i64)> = {
            let mut counts = self.lock();
            counts.retain(|_, count| count.window_start == current_window);
            counts
                .iter_mut()
                .map(|(tenant, count)| {
                    count.in_flight = count.pending;
                    count.pending = 0;
                    (*tenant, count.window_start, count.in_flight)
                })
                .collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        let sent = batch.clone();
        let totals = self
            .database
            .run_write(move |conn| {
                let mut totals = Vec::with_capacity(sent.len());
                for (tenant, window_start, requests) in sent {
                    totals.push(limits::add_requests(conn, tenant, window_start, requests)?);
                }
                limits::forget_windows_before(conn, current_window)?;
                Ok::<_, LiveError>(totals)
            })
            .await;
        let mut counts = self.lock();
        for (index, (tenant, window_start, _)) in batch.iter().enumerate() {
            let Some(count) = counts
                .get_mut(tenant)
                .filter(|c| c.window_start == *window_start)
            else {
                continue;
            };
            match &totals {
                Ok(totals) => count.shared = totals[index],
                // Not sent: they go with the next sync.
                Err(_) => count.pending += count.in_flight,
            }
            count.in_flight = 0;
        }
        totals.map(|_| ())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Count>> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TenantGate for RateLimiter {
    fn admit(
        &self,
        tenant: TenantId,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<(), actix_web::Error>>>> {
        let limiter = self.clone();
        Box::pin(async move {
            RateLimiter::admit(&limiter, tenant)
                .await
                .map_err(Into::into)
        })
    }
}
