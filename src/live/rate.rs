//! The per-tenant rate limit, counted on every node. Each node counts its own requests in
//! memory and, every `rate_sync_interval`, adds them to the tenant's shared count in the
//! database and reads the total back, with the tenant's own limit (`tenant limits
//! --requests --window`) if it has one. A single node enforces the limit exactly; with N
//! nodes a tenant may overshoot by what the other N-1 nodes serve it in one interval. A
//! changed limit applies on every node within one interval.
//!
//! Heartbeats are not counted: each needs the token the last one returned, so the
//! service limit bounds them already, and a tenant at its service limit heartbeating at
//! the clients' cadence would otherwise spend a day's requests in about two hours.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::domain::RatePolicy;
use super::error::{LiveError, Result};
use super::store::limits;
use crate::identity::{TenantGate, TenantId};
use crate::platform::db::{now_millis, Database};
use crate::settings::LiveSettings;

#[derive(Debug, Clone, Copy)]
struct Count {
    policy: RatePolicy,
    window_start: i64,
    /// Every node's requests as last read from the database (ours included).
    shared: i64,
    /// Ours being added to the database right now.
    in_flight: i64,
    /// Ours not sent yet.
    pending: i64,
}

impl Count {
    fn new(policy: RatePolicy, window_start: i64, shared: i64) -> Self {
        Self {
            policy,
            window_start,
            shared,
            in_flight: 0,
            pending: 0,
        }
    }

    fn used(&self) -> i64 {
        self.shared + self.in_flight + self.pending
    }

    fn covers(&self, now: i64) -> bool {
        self.window_start <= now && now < self.window_start + self.policy.window_ms()
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    database: Database,
    default: RatePolicy,
    counts: Arc<Mutex<HashMap<i64, Count>>>,
}

/// A tenant's rate: its limit, requests used in this window, and the window's length.
pub struct RateUsage {
    pub policy: RatePolicy,
    pub used: i64,
}

impl RateLimiter {
    pub fn new(database: Database, settings: &LiveSettings) -> Self {
        Self {
            database,
            default: RatePolicy::from_settings(settings.rate_limit, settings.rate_window),
            counts: Arc::default(),
        }
    }

    /// Counts a request of `tenant`, or refuses it when the window's allowance is spent.
    pub async fn admit(&self, tenant: TenantId) -> Result<()> {
        let now = now_millis();
        let loaded = self.load(tenant, now).await?;
        let mut counts = self.lock();
        let count = counts.entry(tenant.get()).or_insert(loaded);
        if count.used() >= count.policy.requests() {
            let window_end = count.window_start + count.policy.window_ms();
            let retry_after = (window_end - now + 999) / 1000;
            return Err(LiveError::RateLimited {
                limit: u64::try_from(count.policy.requests()).unwrap_or(0),
                retry_after: u64::try_from(retry_after).unwrap_or(1).max(1),
            });
        }
        count.pending += 1;
        Ok(())
    }

    /// The tenant's rate as `GET /limits` shows it: its limit read afresh (so a change
    /// shows at once, and applies here from now on), and this window's requests.
    pub async fn usage(&self, tenant: TenantId) -> Result<RateUsage> {
        let now = now_millis();
        let mut loaded = self.load(tenant, now).await?;
        let default = self.default;
        let policy = self
            .database
            .run(move |conn| limits::rate_policy(conn, tenant, default))
            .await?;
        let window_changed = {
            let mut counts = self.lock();
            let changed = match counts.get_mut(&tenant.get()) {
                Some(count) if count.policy.window_ms() == policy.window_ms() => {
                    count.policy = policy;
                    false
                }
                Some(_) => true,
                None => false,
            };
            if changed {
                counts.remove(&tenant.get());
            }
            changed
        };
        if window_changed {
            loaded = self.load(tenant, now).await?;
        }
        let count = self.lock().get(&tenant.get()).copied().unwrap_or(loaded);
        Ok(RateUsage {
            policy: count.policy,
            used: count.used(),
        })
    }

    /// First request of a tenant in this window on this node: read its limit and start
    /// from the shared count (forgetting its ended windows). Returns the tenant's count as
    /// it stands, for a caller that finds it gone again (a sync at a window's end).
    async fn load(&self, tenant: TenantId, now: i64) -> Result<Count> {
        if let Some(count) = self
            .lock()
            .get(&tenant.get())
            .filter(|count| count.covers(now))
        {
            return Ok(*count);
        }
        let default = self.default;
        let (policy, window_start, shared) = self
            .database
            .run_write(move |conn| {
                let policy = limits::rate_policy(conn, tenant, default)?;
                let window_start = policy.window_start(now);
                let shared = limits::add_requests(conn, tenant.get(), window_start, 0)?;
                limits::forget_windows_before(conn, tenant.get(), window_start)?;
                Ok::<_, LiveError>((policy, window_start, shared))
            })
            .await?;
        let mut counts = self.lock();
        let count = counts
            .entry(tenant.get())
            .or_insert(Count::new(policy, window_start, shared));
        if !count.covers(now) {
            *count = Count::new(policy, window_start, shared);
        }
        Ok(*count)
    }

    /// Adds this node's new requests to the shared counts, and reads every tenant's total
    /// and limit. A tenant whose window length changed starts afresh at its next request.
    pub async fn sync(&self) -> Result<()> {
        let now = now_millis();
        let batch: Vec<(i64, i64, i64)> = {
            let mut counts = self.lock();
            counts.retain(|_, count| count.covers(now));
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
        let default = self.default;
        let totals = self
            .database
            .run_write(move |conn| {
                let mut totals = Vec::with_capacity(sent.len());
                for (tenant, window_start, requests) in sent {
                    let total = limits::add_requests(conn, tenant, window_start, requests)?;
                    let policy = match TenantId::new(tenant) {
                        Some(id) => limits::rate_policy(conn, id, default)?,
                        None => default,
                    };
                    totals.push((total, policy));
                }
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
                Ok(totals) => {
                    let (total, policy) = totals[index];
                    count.shared = total;
                    if policy.window_ms() == count.policy.window_ms() {
                        count.policy = policy;
                    } else {
                        counts.remove(tenant);
                        continue;
                    }
                }
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
