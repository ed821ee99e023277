//! The application's Prometheus metrics: one registry per application (so several nodes
//! in one test process never share counters), handed to every subsystem that counts
//! something, and served as text by the admin listener (see `crate::app`).

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::{Method, StatusCode};

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::platform::db::Database;

/// Request latencies: from half a millisecond to a long poll's minute.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// From a deadline to the commit of its timeout event: the reaper runs every 250 ms.
const LAG_BUCKETS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0];

/// Every metric of one application. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Families>,
}

pub struct Families {
    registry: Registry,
    database: Database,
    http_requests: IntCounterVec,
    http_latency: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_max: IntGauge,
    pub auth_cache: IntCounterVec,
    pub read_cache: IntCounterVec,
    pub heartbeats: IntCounterVec,
    pub service_timeouts: IntCounter,
    pub reaper_lag: Histogram,
    pub events_appended: IntCounterVec,
    pub long_poll_waiters: IntGauge,
    pub write_batch_size: Histogram,
}

impl std::ops::Deref for Metrics {
    type Target = Families;

    fn deref(&self) -> &Families {
        &self.inner
    }
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

fn register<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

impl Metrics {
    pub fn new(database: Database) -> Self {
        let registry = Registry::new();
        let http_requests = counter_vec(
            &registry,
            "http_requests_total",
            "HTTP requests answered, by route template, method and status",
            &["route", "method", "status"],
        );
        let http_latency = register(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time from a request's arrival to its response, by route template and method",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["route", "method"],
            )
            .expect("a valid metric"),
        );
        let pool_connections = register(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "db_pool_connections",
                    "Database connections of the pool, in use or idle",
                ),
                &["state"],
            )
            .expect("a valid metric"),
        );
        let pool_max = register(
            &registry,
            IntGauge::new("db_pool_max_connections", "The pool's size").expect("a valid metric"),
        );
        let pool = database.pool_metrics();
        register(&registry, pool.waiting.clone());
        register(&registry, pool.in_flight.clone());
        register(&registry, pool.checkout_timeouts.clone());
        register(&registry, pool.calls.clone());
        let auth_cache = counter_vec(
            &registry,
            "auth_cache_lookups_total",
            "Token lookups by whether the authentication cache answered (hit) or the database (miss)",
            &["result"],
        );
        let read_cache = counter_vec(
            &registry,
            "read_cache_lookups_total",
            "Reads of cached representations: hit, miss (rendered from the database) or bypass (freshness unknown)",
            &["cache", "result"],
        );
        let heartbeats = counter_vec(
            &registry,
            "live_heartbeats_total",
            "Heartbeats of the live registry: accepted, or refused (stale token, unknown or timed-out service)",
            &["outcome"],
        );
        let service_timeouts = register(
            &registry,
            IntCounter::new(
                "live_service_timeouts_total",
                "Live services this node's reaper timed out",
            )
            .expect("a valid metric"),
        );
        let reaper_lag = register(
            &registry,
            Histogram::with_opts(
                HistogramOpts::new(
                    "live_reaper_lag_seconds",
                    "From a service's deadline to the commit of its timeout by this node",
                )
                .buckets(LAG_BUCKETS.to_vec()),
            )
            .expect("a valid metric"),
        );
        let events_appended = counter_vec(
            &registry,
            "events_appended_total",
            "Events this node appended to tenants' feeds, by type",
            &["type"],
        );
        let long_poll_waiters = register(
            &registry,
            IntGauge::new(
                "events_long_poll_waiters",
                "Requests waiting on this node for an event (GET /events?wait=)",
            )
            .expect("a valid metric"),
        );
        let write_batch_size = register(
            &registry,
            Histogram::with_opts(
                HistogramOpts::new(
                    "live_write_batch_size",
                    "Writes of the live registry committed together in one transaction",
                )
                .buckets(vec![
                    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
                ]),
            )
            .expect("a valid metric"),
        );
        Self {
            inner: Arc::new(Families {
                registry,
                database,
                http_requests,
                http_latency,
                pool_connections,
                pool_max,
                auth_cache,
                read_cache,
                heartbeats,
                service_timeouts,
                reaper_lag,
                events_appended,
                long_poll_waiters,
                write_batch_size,
            }),
        }
    }

    /// A counter of a subsystem's own, registered with the others.
    pub fn counter(&self, name: &str, help: &str) -> IntCounter {
        register(
            &self.registry,
            IntCounter::new(name, help).expect("a valid metric"),
        )
    }

    /// A gauge of fractional values (seconds, ratios), registered under `name`.
    pub fn gauge(&self, name: &str, help: &str) -> Gauge {
        register(
            &self.registry,
            Gauge::new(name, help).expect("a valid metric"),
        )
    }

    /// One answered request. `route` is the matched route's template (`None`: no route
    /// matched, counted as `unmatched`, so ids in paths never multiply the series).
    pub fn observe_request(
        &self,
        route: Option<&str>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) {
        let route = route.unwrap_or("unmatched");
        self.http_requests
            .with_label_values(&[route, method.as_str(), status.as_str()])
            .inc();
        self.http_latency
            .with_label_values(&[route, method.as_str()])
            .observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition of every metric, with the pool's state read now.
    pub fn render(&self) -> Vec<u8> {
        let state = self.database.pool_state();
        let idle = i64::from(state.idle_connections);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(state.connections) - idle);
        self.pool_max.set(i64::from(self.database.pool_max_size()));
        let mut out = Vec::with_capacity(16 * 1024);
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("writing to a Vec cannot fail");
        out
    }
}

/// The text exposition's media type.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
