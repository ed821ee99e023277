//! The client's one retry policy, for every loop that waits after a failure (a heartbeat
//! that did not arrive, an events poll that failed, a create waiting for a dead holder of
//! its id to time out): exponential backoff (backon) from 250 ms, doubling, at most 5 s.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

pub(crate) const FIRST_DELAY: Duration = Duration::from_millis(250);
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(5);

/// The delays before each retry, without end; a new series after every success.
pub(crate) fn delays() -> ExponentialBackoff {
    ExponentialBuilder::default()
        .with_min_delay(FIRST_DELAY)
        .with_factor(2.0)
        .with_max_delay(MAX_DELAY)
        .without_max_times()
        .build()
}

/// The next delay of `series` (the longest once a series could end).
pub(crate) fn next(series: &mut ExponentialBackoff) -> Duration {
    series.next().unwrap_or(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_the_first_delay_to_the_cap() {
        let mut series = delays();
        let seen: Vec<Duration> = (0..7).map(|_| next(&mut series)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(
            seen,
            [
                ms(250),
                ms(500),
                ms(1000),
                ms(2000),
                ms(4000),
                ms(5000),
                ms(5000)
            ]
        );
    }
}
