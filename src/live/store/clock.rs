//! The registry's clock, by which every deadline is judged (see [`super::watch`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use crate::platform::db::now_millis;
use crate::platform::intake::{IntakeLag, TakingIn};
use crate::platform::lock;

/// The registry's clock as this node keeps it: the wall clock less an offset that follows
/// the largest lag known (this node's now, the registry's at its last stamp). It never
/// moves back: while the lag grows the clock stands still. When a backlog clears, it
/// catches up at a tenth of the wall clock's speed, so a service's timeout never lasts
/// less than 10/11 of its length in wall time (RSR's clients heartbeat at 0.6 to 0.8 of
/// it); a backlog cleared by more than the threshold is caught up at once by a stamp,
/// which then ends a gap and moves the deadlines inside it.
#[derive(Clone)]
pub struct RegistryClock {
    intake: IntakeLag,
    state: Arc<Mutex<ClockState>>,
    /// The registry's lag at this node's last stamp, and until when (wall clock) it holds.
    registry_lag: Arc<AtomicI64>,
    registry_lag_until: Arc<AtomicI64>,
}

struct ClockState {
    /// How far behind the wall clock the registry's clock runs.
    offset: i64,
    /// The wall time up to which catching up has been counted.
    counted: i64,
    /// The last time handed out.
    last: i64,
}

/// The wall clock's milliseconds per millisecond of catching up.
const CATCH_UP: i64 = 10;

impl RegistryClock {
    pub fn new(intake: IntakeLag) -> Self {
        Self {
            intake,
            state: Arc::new(Mutex::new(ClockState {
                offset: 0,
                counted: i64::MIN,
                last: i64::MIN,
            })),
            registry_lag: Arc::default(),
            registry_lag_until: Arc::default(),
        }
    }

    pub fn own_lag(&self) -> i64 {
        self.intake.millis()
    }

    /// How long a request reaching this node now waits to be read, and so how late its
    /// answers leave it: both wait in the same line.
    pub fn unread_lag(&self) -> i64 {
        self.intake.unread_millis()
    }

    /// An answer that left `waited` ms after its commit (see `Watch::answered_after`).
    pub fn answered_after(&self, waited: i64) {
        let waited = std::time::Duration::from_millis(u64::try_from(waited).unwrap_or(0));
        self.intake.record(std::time::Instant::now(), waited);
    }

    /// Work being taken in holds the clock at or before its `arrival` until it is done
    /// (for a late answer's hold, a time ahead: just before the deadline its commit wrote).
    pub fn taking_in(&self, arrival: i64) -> TakingIn {
        self.intake.taking_in(arrival)
    }

    /// The registry's lag a stamp reported, which holds until `until` (wall clock).
    pub fn learn(&self, registry_lag: i64, until: i64) {
        self.registry_lag.store(registry_lag, Ordering::SeqCst);
        self.registry_lag_until.store(until, Ordering::SeqCst);
    }

    fn lag(&self, wall: i64) -> i64 {
        let others = if wall < self.registry_lag_until.load(Ordering::SeqCst) {
            self.registry_lag.load(Ordering::SeqCst)
        } else {
            0
        };
        self.own_lag().max(others)
    }

    pub fn at(&self, wall: i64) -> i64 {
        let lag = self.lag(wall);
        let mut state = self.lock();
        let caught_up = wall.saturating_sub(state.counted).max(0) / CATCH_UP;
        state.counted = if state.counted == i64::MIN {
            wall
        } else {
            state.counted + caught_up * CATCH_UP
        };
        state.offset = lag.max(state.offset.saturating_sub(caught_up));
        state.last = state.last.max(wall.saturating_sub(state.offset));
        state.last
    }

    /// The time of a stamp at `wall`: a backlog cleared by more than `threshold` is
    /// caught up at once.
    pub fn leap(&self, wall: i64, threshold: i64) -> i64 {
        let lag = self.lag(wall);
        {
            let mut state = self.lock();
            if state.offset.saturating_sub(lag) > threshold {
                state.offset = lag;
            }
        }
        self.at(wall)
    }

    pub fn now(&self) -> i64 {
        self.at(now_millis())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        lock(&self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cleared_backlog_is_caught_up_slowly_or_by_a_stamp_at_once() {
        let intake = IntakeLag::default();
        let clock = RegistryClock::new(intake.clone());
        let wall = now_millis();
        let pending = intake.taking_in(wall - 5_000);
        let held = clock.at(wall);
        assert!(held <= wall - 5_000, "held back by the work not taken in");
        drop(pending);
        let later = clock.at(wall + 1_000);
        assert!(
            (wall - 3_920..=wall - 3_900).contains(&later),
            "a tenth of a second caught up in a second: {}",
            later - wall
        );
        assert_eq!(clock.leap(wall + 1_000, 1_000), wall + 1_000);
        assert_eq!(clock.at(wall + 500), wall + 1_000, "never back");
    }
}
