//! The per-tenant rate limit, counted on every node. Each node counts its own requests in
//! memory and, every `rate_sync_interval`, adds them to the tenant's shared count in the
//! database and reads the total back (`store::counts`, the mechanism the heartbeat counts
//! share), then the tenant's own limit (`tenant limits --requests --window`) if it has
//! one. A single node enforces the limit exactly; with N nodes a tenant may overshoot by
//! what the other N-1 nodes serve it in one interval. A changed limit applies on every
//! node within one interval.
//!
//! Heartbeats are not counted: each needs the token the last one returned, so the
//! service limit bounds them already, and a tenant at its service limit heartbeating at
//! the clients' cadence would otherwise spend a day's requests in about two hours.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::domain::RatePolicy;
use super::error::{LiveError, Result};
use super::store::counts::{self, CountKey, Counted, NodeCounts};
use super::store::limits;
use crate::identity::{TenantGate, TenantId};
use crate::platform::db::{now_millis, Database};
use crate::settings::LiveSettings;

/// A tenant's current window and the limit in force in it.
#[derive(Debug, Clone, Copy)]
struct Window {
    policy: RatePolicy,
    start: i64,
}

impl Window {
    fn covers(&self, now: i64) -> bool {
        self.start <= now && now < self.start + self.policy.window_ms()
    }

    fn key(&self, tenant: TenantId) -> CountKey {
        (tenant.get(), self.start)
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    database: Database,
    default: RatePolicy,
    windows: Arc<Mutex<HashMap<i64, Window>>>,
    requests: NodeCounts,
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
            windows: Arc::default(),
            requests: NodeCounts::new(Counted::Requests),
        }
    }

    /// Counts a request of `tenant`, or refuses it when the window's allowance is spent.
    pub async fn admit(&self, tenant: TenantId) -> Result<()> {
        let now = now_millis();
        let window = self.window(tenant, now).await?;
        if self
            .requests
            .count_within(window.key(tenant), window.policy.requests())
        {
            return Ok(());
        }
        let window_end = window.start + window.policy.window_ms();
        let retry_after = (window_end - now + 999) / 1000;
        Err(LiveError::RateLimited {
            limit: u64::try_from(window.policy.requests()).unwrap_or(0),
            retry_after: u64::try_from(retry_after).unwrap_or(1).max(1),
        })
    }

    /// The tenant's rate as `GET /limits` shows it: its limit read afresh (so a change
    /// shows at once, and applies here from now on), and this window's requests.
    pub async fn usage(&self, tenant: TenantId) -> Result<RateUsage> {
        let now = now_millis();
        let default = self.default;
        let policy = self
            .database
            .run(move |conn| limits::rate_policy(conn, tenant, default))
            .await?;
        let window = self.window(tenant, now).await?;
        let window = if window.policy.window_ms() == policy.window_ms() {
            self.set_policy(tenant, policy);
            Window { policy, ..window }
        } else {
            self.lock().remove(&tenant.get());
            self.window(tenant, now).await?
        };
        Ok(RateUsage {
            policy: window.policy,
            used: self.requests.used(window.key(tenant)),
        })
    }

    /// The tenant's window now. At its first request in a window on this node: its
    /// limit, and every node's count so far (forgetting its ended windows).
    async fn window(&self, tenant: TenantId, now: i64) -> Result<Window> {
        if let Some(window) = self
            .lock()
            .get(&tenant.get())
            .filter(|window| window.covers(now))
        {
            return Ok(*window);
        }
        let default = self.default;
        let (window, shared) = self
            .database
            .run_write(move |conn| {
                let policy = limits::rate_policy(conn, tenant, default)?;
                let window = Window {
                    policy,
                    start: policy.window_start(now),
                };
                let shared = counts::add(conn, Counted::Requests, window.key(tenant), 0)?;
                limits::forget_windows_before(conn, tenant.get(), window.start)?;
                Ok::<_, LiveError>((window, shared))
            })
            .await?;
        match self.lock().entry(tenant.get()) {
            // Another request loaded it meanwhile: the count it learned stands.
            Entry::Occupied(current) if current.get().covers(now) => return Ok(*current.get()),
            Entry::Occupied(mut ended) => {
                ended.insert(window);
            }
            Entry::Vacant(vacant) => {
                vacant.insert(window);
            }
        }
        self.requests.learn(window.key(tenant), shared);
        Ok(window)
    }

    fn set_policy(&self, tenant: TenantId, policy: RatePolicy) {
        if let Some(window) = self.lock().get_mut(&tenant.get()) {
            window.policy = policy;
        }
    }

    /// Adds this node's new requests to the shared counts, and reads every tenant's total
    /// and limit. A tenant whose window length changed starts afresh at its next request.
    pub async fn sync(&self) -> Result<()> {
        let now = now_millis();
        let current: HashSet<CountKey> = {
            let mut windows = self.lock();
            windows.retain(|_, window| window.covers(now));
            windows
                .iter()
                .map(|(tenant, window)| (*tenant, window.start))
                .collect()
        };
        self.requests
            .sync(
                &self.database,
                current.iter().copied(),
                |key| current.contains(&key),
                |_, _| Ok(()),
            )
            .await?;
        let tenants: Vec<i64> = current.iter().map(|(tenant, _)| *tenant).collect();
        let default = self.default;
        let policies = self
            .database
            .run(move |conn| {
                tenants
                    .into_iter()
                    .filter_map(TenantId::new)
                    .map(|tenant| Ok((tenant, limits::rate_policy(conn, tenant, default)?)))
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        let mut windows = self.lock();
        for (tenant, policy) in policies {
            match windows.get_mut(&tenant.get()) {
                Some(window) if window.policy.window_ms() == policy.window_ms() => {
                    window.policy = policy;
                }
                Some(_) => {
                    windows.remove(&tenant.get());
                }
                None => {}
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Window>> {
        self.windows
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
