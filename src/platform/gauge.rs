//! A gauge held up while something lasts. Its own module so that the database pool can
//! use it without depending on the metrics registry (which reads the pool's gauges).

use prometheus::IntGauge;

/// Counts one in a gauge while it lives, so an early return or a cancelled future cannot
/// leave the gauge off by one (calls waiting for a connection, long polls).
pub struct GaugeGuard(IntGauge);

impl GaugeGuard {
    pub fn enter(gauge: &IntGauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
