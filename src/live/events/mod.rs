//! The events feed of the live registry: every join, timeout, removal and configuration
//! change of a tenant, in one order that every reader on every node sees, kept for the
//! retention period. Writers append inside their own transactions through [`FeedLock`];
//! readers page by id and may wait (long poll) for what comes next.

mod domain;
mod recent;
mod schema;
mod signal;
mod store;
#[cfg(test)]
mod tests;
mod views;

use std::sync::Arc;
use std::time::Duration;

use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge};

pub use domain::{Event, EventId, EventKind, NewEvent};
pub use store::{Appended, FeedLock};
pub use views::EventView;

use recent::RecentEnds;
use signal::FeedSignal;

use crate::identity::TenantId;
use crate::live::error::LiveError;
use crate::platform::coalesce::Coalesced;
use crate::platform::db::{now_millis, Database};
use crate::platform::gauge::GaugeGuard;
use crate::platform::metrics::Metrics;
use crate::platform::paging::{Page, PageSize, RSR};
use crate::platform::workers::{Did, Workers};
use crate::settings::LiveSettings;

/// What a reader asks of the feed.
#[derive(Debug, Clone)]
pub struct FeedQuery {
    /// First id of the page (inclusive): the marker, or where a feed without one starts.
    pub start: EventId,
    /// The marker given, if any: a long poll waits for an event after it.
    pub marker: Option<EventId>,
    pub kind: Option<EventKind>,
    /// Events wanted; one more is read to find the next page's first.
    pub size: PageSize,
    /// How long to wait for news when there is none (zero: answer at once).
    pub wait: Duration,
}

/// A page read: (tenant, first id, kind, rows).
type PageKey = (TenantId, EventId, Option<EventKind>, i64);

/// From a deadline to the commit of its timeout event: the reaper runs every 250 ms.
const LAG_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0];

/// What the feed counts on this node.
#[derive(Clone)]
struct FeedMetrics {
    appended: IntCounterVec,
    service_timeouts: IntCounter,
    reaper_lag: Histogram,
    long_poll_waiters: IntGauge,
}

impl FeedMetrics {
    fn new(metrics: &Metrics) -> Self {
        Self {
            appended: metrics.counter_vec(
                "events_appended_total",
                "Events this node appended to tenants' feeds, by type",
                &["type"],
            ),
            service_timeouts: metrics.counter(
                "live_service_timeouts_total",
                "Live services this node's reaper timed out",
            ),
            reaper_lag: metrics.histogram(
                "live_reaper_lag_seconds",
                "From a service's deadline to the commit of its timeout by this node",
                LAG_BUCKETS,
            ),
            long_poll_waiters: metrics.int_gauge(
                "events_long_poll_waiters",
                "Requests waiting on this node for an event (GET /events?wait=)",
            ),
        }
    }
}

#[derive(Clone)]
pub struct Events {
    database: Database,
    signal: FeedSignal,
    reads: Arc<Coalesced<PageKey, Vec<Event>, LiveError>>,
    ends: Arc<RecentEnds<PageKey>>,
    settings: LiveSettings,
    metrics: FeedMetrics,
}

impl Events {
    pub fn new(database: Database, settings: &LiveSettings, metrics: &Metrics) -> Self {
        Self {
            database,
            signal: FeedSignal::default(),
            reads: Arc::default(),
            ends: Arc::new(RecentEnds::new(settings.feed_poll_interval)),
            settings: settings.clone(),
            metrics: FeedMetrics::new(metrics),
        }
    }

    /// A writer on this node committed `appended` to `tenant`'s feed: wake its long polls
    /// now, and count the events (a timeout's lag from its deadline too).
    pub fn appended(&self, tenant: TenantId, appended: &[Appended]) {
        if appended.is_empty() {
            return;
        }
        self.signal.appended(tenant);
        let now = now_millis();
        for event in appended {
            self.metrics
                .appended
                .with_label_values(&[event.kind.as_str()])
                .inc();
            if event.kind == EventKind::ServiceTimeout {
                self.metrics.service_timeouts.inc();
                let lag = now.saturating_sub(event.occurred_at).max(0);
                self.metrics.reaper_lag.observe(lag as f64 / 1000.0);
            }
        }
    }

    /// A page of `tenant`'s feed. With a wait, it answers as soon as the page holds an
    /// event after the marker (any event, without one) or when the wait is over.
    /// `catch_up` runs before each read of the database (the live registry records the
    /// timeouts already due there, so the page is never behind what other reads show);
    /// while a long poll waits, nothing runs. Readers of the same page share one catch-up
    /// and one read begun after they asked: a write that wakes ten thousand long polls
    /// costs a read or two, not ten thousand.
    ///
    /// A long poll that comes back while a read of its page that found nothing after its
    /// marker is fresh (begun within `live.feed_poll_interval`) and the feed has not moved
    /// since, as this node knows it, waits at once as if it had asked before that read: it
    /// reads when the feed moves, when the read goes stale, or when its wait is over, and
    /// only such a read answers it. What it may miss meanwhile (another node's append, a
    /// timeout not yet recorded) reaches it within that interval, as it reaches the polls
    /// already waiting: the re-polls after a write cost a few reads, not hundreds.
    pub async fn read<F, Fut>(
        &self,
        tenant: TenantId,
        query: FeedQuery,
        catch_up: F,
    ) -> Result<Page<Event, String>, LiveError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), LiveError>>,
    {
        let deadline = tokio::time::Instant::now() + query.wait;
        let marker = query.marker.map(|marker| marker.to_string());
        let _waiting =
            (!query.wait.is_zero()).then(|| GaugeGuard::enter(&self.metrics.long_poll_waiters));
        let key: PageKey = (tenant, query.start, query.kind, query.size.rows_to_fetch());
        let mut joined = false;
        loop {
            let mut changed = self.signal.subscribe(tenant);
            let generation = changed.generation();
            if !joined && !query.wait.is_zero() {
                if let Some(fresh_until) = self.ends.joinable(&key, generation) {
                    joined = true;
                    let _ =
                        tokio::time::timeout_at(fresh_until.min(deadline), changed.changed()).await;
                    continue;
                }
            }
            let asked = tokio::time::Instant::now();
            let (tenant, start, kind, rows) = key;
            let events = self
                .reads
                .run(key, || async {
                    catch_up().await?;
                    let database = self.database.clone();
                    database
                        .run(move |conn| store::page(conn, tenant, start, kind, rows))
                        .await
                        .map_err(LiveError::from)
                })
                .await
                .map_err(LiveError::Shared)?;
            let events: Vec<Event> = events.as_ref().clone();
            let news = events
                .iter()
                .any(|event| Some(&event.id) != marker.as_ref());
            if news || tokio::time::Instant::now() >= deadline {
                return Ok(RSR.page(events, query.size, |event| event.id.clone()));
            }
            self.ends.found_end(key, generation, asked);
            // Either the feed moved or the wait is over: read once more and answer.
            let _ = tokio::time::timeout_at(deadline, changed.changed()).await;
        }
    }

    /// Deletes the events past `live.event_retention`; how many.
    pub async fn purge(&self) -> Result<usize, LiveError> {
        let retention =
            i64::try_from(self.settings.event_retention.as_millis()).unwrap_or(i64::MAX);
        let before = now_millis().saturating_sub(retention);
        Ok(self
            .database
            .run_write(move |conn| store::purge(conn, before))
            .await?)
    }

    /// Reads the last id of every feed someone on this node waits on, and wakes the
    /// waiters of each that moved.
    pub async fn watch_feeds(&self) -> Result<(), LiveError> {
        let watched = self.signal.watched();
        if watched.is_empty() {
            return Ok(());
        }
        let last_ids = self
            .database
            .run(move |conn| store::last_ids(conn, &watched))
            .await?;
        self.signal.observed(last_ids);
        Ok(())
    }

    /// Background work on every node: the retention purge, and the watcher that wakes long
    /// polls for events other nodes append.
    pub fn start_workers(&self, workers: &mut Workers) {
        workers
            .every("event purge", self.settings.event_purge_interval)
            .run(self.clone(), |events| async move {
                let purged = events.purge().await;
                purged.map(|count| Did(count, "event(s) past retention purged"))
            });
        workers
            .every("feed watcher", self.settings.feed_poll_interval)
            .run(
                self.clone(),
                |events| async move { events.watch_feeds().await },
            );
    }
}
