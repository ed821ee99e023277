//! The application's Prometheus metrics: one registry per application (so several nodes
//! in one test process never share counters), handed to every subsystem, which registers
//! what it counts itself; served as text by the admin listener (see `crate::app`). The
//! platform's own: requests and their latency, the pool, the read cache.

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
    pub read_cache: IntCounterVec,
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
        let read_cache = counter_vec(
            &registry,
            "read_cache_lookups_total",
            "Reads of cached representations: hit, miss (rendered from the database) or bypass (freshness unknown)",
            &["cache", "result"],
        );
        Self {
            inner: Arc::new(Families {
                registry,
                database,
                http_requests,
                http_latency,
                pool_connections,
                pool_max,
                read_cache,
            }),
        }
    }

    /// A counter of a subsystem's own, with labels, registered with the others.
    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
        counter_vec(&self.registry, name, help, labels)
    }

    /// A histogram of a subsystem's own, with its buckets.
    pub fn histogram(&self, name: &str, help: &str, buckets: &[f64]) -> Histogram {
        register(
            &self.registry,
            Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
                .expect("a valid metric"),
        )
    }

    /// A gauge of whole values (waiters, sizes) of a subsystem's own.
    pub fn int_gauge(&self, name: &str, help: &str) -> IntGauge {
        register(
            &self.registry,
            IntGauge::new(name, help).expect("a valid metric"),
        )
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
