//! A tenant's rate limit: so many requests per fixed window, counted on every node.

use std::time::Duration;

/// Requests a tenant may make per window. Heartbeats are not counted (each needs the
/// token the last one returned, so the service limit bounds them already).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatePolicy {
    requests: i64,
    window_ms: i64,
}

impl RatePolicy {
    /// The shortest window: shorter ones would make the shared count a hot row.
    pub const MIN_WINDOW_MS: i64 = 1000;

    pub fn new(requests: i64, window_ms: i64) -> Option<Self> {
        (requests >= 0 && window_ms >= Self::MIN_WINDOW_MS).then_some(Self {
            requests,
            window_ms,
        })
    }

    /// From the settings' `rate_limit` and `rate_window`, clamped into range.
    pub fn from_settings(requests: u64, window: Duration) -> Self {
        Self {
            requests: i64::try_from(requests).unwrap_or(i64::MAX),
            window_ms: i64::try_from(window.as_millis())
                .unwrap_or(i64::MAX)
                .max(Self::MIN_WINDOW_MS),
        }
    }

    /// A tenant's own values where it has them, this policy's elsewhere. Stored values
    /// out of range (written by hand) fall back to this policy's.
    pub fn overridden(self, requests: Option<i64>, window_ms: Option<i64>) -> Self {
        Self::new(
            requests.unwrap_or(self.requests),
            window_ms.unwrap_or(self.window_ms),
        )
        .unwrap_or(self)
    }

    pub fn requests(self) -> i64 {
        self.requests
    }

    pub fn window_ms(self) -> i64 {
        self.window_ms
    }

    /// The start of the window that holds `now` (windows are aligned to the epoch, so
    /// every node agrees on them).
    pub fn window_start(self, now: i64) -> i64 {
        now - now.rem_euclid(self.window_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::RatePolicy;

    #[test]
    fn windows_align_and_overrides_stay_in_range() {
        let daily = RatePolicy::new(50_000, 86_400_000).unwrap();
        assert_eq!(daily.window_start(86_400_000 + 5), 86_400_000);
        assert_eq!(daily.window_start(86_399_999), 0);
        let own = daily.overridden(Some(10), None);
        assert_eq!((own.requests(), own.window_ms()), (10, 86_400_000));
        assert_eq!(
            daily.overridden(None, Some(10)),
            daily,
            "a window under 1 s"
        );
        assert_eq!(daily.overridden(Some(-1), None), daily);
        assert!(
            RatePolicy::new(0, 1000).is_some(),
            "a tenant may be shut off"
        );
    }
}
