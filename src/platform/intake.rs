//! How far behind its own intake this node is: the longer of two waits.
//! - Not yet read: every HTTP worker keeps a wake-up due at a short interval and notes how
//!   late it gets to it. A request that reaches a busy worker waits in the same line (the
//!   sockets and tasks ready before it), and a throttled or starved process serves both
//!   equally late; so that lateness is how long a request may wait before it is read.
//!   A timer's lateness is only a floor of that wait when thousands of connections are
//!   ready at once, so the node also sends itself requests ([`super::probe`]) that wait in
//!   the same line as any other: each one's wait counts, as it goes and once answered.
//! - Answered late: a handler woken by its commit waits in the same line before its
//!   answer leaves; that wait counts as a lateness too ([`IntakeLag::record`]).
//! - Read, not yet done: work a handler declares ([`IntakeLag::taking_in`]) counts from
//!   its arrival until it is finished (committed, refused, or abandoned).
//!
//! The live registry holds its clock back by this lag (see `live::store::watch`): a
//! heartbeat the node has not finished taking in is never judged late because of the
//! node's own backlog.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prometheus::Gauge;

use super::db::now_millis;
use super::lock;

/// How often each worker's wake-up is due.
const TICK: Duration = Duration::from_millis(10);
/// A lateness counts for between one and two of these: long enough to bridge the gaps
/// between wake-ups of a worker too busy to take them, short enough to let go soon after.
const HOLD: Duration = Duration::from_millis(500);

/// This node's intake lag. Cheap to clone; the default measures nothing (a lag of zero:
/// the command line, unit tests).
#[derive(Clone, Default)]
pub struct IntakeLag {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    window: Mutex<Window>,
    /// Work taken in and not finished: arrival (ms since the epoch) → how many.
    pending: Mutex<BTreeMap<i64, usize>>,
    /// Probes sent and not yet answered: slot → when sent.
    probes: Mutex<BTreeMap<usize, Instant>>,
    gauge: Option<Gauge>,
}

#[derive(Default)]
struct Window {
    started: Option<Instant>,
    /// The largest lateness in the window that began at `started`, and in the one before.
    current: Duration,
    previous: Duration,
}

thread_local! {
    /// Whether this thread's worker already watches its lateness.
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

impl IntakeLag {
    /// A lag shown as `gauge` (seconds).
    pub fn new(gauge: Gauge) -> Self {
        Self {
            inner: Arc::new(Inner {
                window: Mutex::default(),
                pending: Mutex::default(),
                probes: Mutex::default(),
                gauge: Some(gauge),
            }),
        }
    }

    /// How long a request that reaches the node now may wait to be read: the largest
    /// lateness of the last half second to second, or the wait of a probe not yet
    /// answered, in milliseconds.
    pub fn unread_millis(&self) -> i64 {
        let late = {
            let window = self.lock();
            window.current.max(window.previous)
        };
        let probing = lock(&self.inner.probes)
            .values()
            .min()
            .map(Instant::elapsed);
        let late = probing.map_or(late, |waited| late.max(waited));
        i64::try_from(late.as_millis()).unwrap_or(i64::MAX)
    }

    /// A probe of `slot` sent now: its wait counts until [`Self::probe_answered`] (or
    /// [`Self::probe_lost`]).
    pub fn probe_sent(&self, slot: usize) {
        lock(&self.inner.probes).insert(slot, Instant::now());
    }

    /// The probe of `slot` answered: its whole wait is a lateness.
    pub fn probe_answered(&self, slot: usize) {
        let sent = lock(&self.inner.probes).remove(&slot);
        if let Some(sent) = sent {
            let now = Instant::now();
            self.record(now, now.saturating_duration_since(sent));
        }
    }

    /// The probe of `slot` failed (its connection closed): it tells nothing.
    pub fn probe_lost(&self, slot: usize) {
        lock(&self.inner.probes).remove(&slot);
    }

    /// The lag now, in milliseconds: [`Self::unread_millis`], or the age of the oldest
    /// work not finished, whichever is longer.
    pub fn millis(&self) -> i64 {
        let unread = self.unread_millis();
        let oldest = lock(&self.inner.pending).keys().next().copied();
        oldest.map_or(unread, |arrival| {
            unread.max(now_millis().saturating_sub(arrival))
        })
    }

    /// Counts work as taken in at `arrival` (ms since the epoch) and not finished, until
    /// the guard is dropped: the lag is at least its age. Usually when a request arrived;
    /// a hold that must keep the clock before some time passes that time, which may still
    /// lie ahead (its age counts from when it comes).
    pub fn taking_in(&self, arrival: i64) -> TakingIn {
        *lock(&self.inner.pending).entry(arrival).or_default() += 1;
        TakingIn {
            lag: self.clone(),
            arrival,
        }
    }

    /// Starts watching the lateness of the worker this is called on, once per thread (an
    /// HTTP worker builds its application on its own thread; the task ends with it).
    pub fn watch_this_worker(&self) {
        if WATCHED.with(|watched| watched.replace(true)) {
            return;
        }
        let lag = self.clone();
        actix_web::rt::spawn(async move {
            let mut due = Instant::now() + TICK;
            loop {
                tokio::time::sleep_until(due.into()).await;
                let now = Instant::now();
                lag.record(now, now.saturating_duration_since(due));
                due = now + TICK;
            }
        });
    }

    /// Notes that a wake-up due `late` ago was served `at`.
    pub fn record(&self, at: Instant, late: Duration) {
        let mut window = self.lock();
        match window.started {
            Some(started) if at.saturating_duration_since(started) < HOLD => {
                window.current = window.current.max(late);
            }
            Some(started) if at.saturating_duration_since(started) < 2 * HOLD => {
                window.previous = window.current;
                window.current = late;
                window.started = Some(started + HOLD);
            }
            // The first wake-up, or one after a silence longer than a window: nothing
            // older than this lateness itself is known.
            _ => {
                window.previous = late;
                window.current = late;
                window.started = Some(at);
            }
        }
        drop(window);
        if let Some(gauge) = &self.inner.gauge {
            gauge.set(self.millis() as f64 / 1000.0);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        lock(&self.inner.window)
    }
}

/// Work being taken in (see [`IntakeLag::taking_in`]).
pub struct TakingIn {
    lag: IntakeLag,
    arrival: i64,
}

impl Drop for TakingIn {
    fn drop(&mut self) {
        let mut pending = lock(&self.lag.inner.pending);
        if let Some(count) = pending.get_mut(&self.arrival) {
            *count -= 1;
            if *count == 0 {
                pending.remove(&self.arrival);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lateness_holds_for_one_to_two_windows() {
        let lag = IntakeLag::default();
        assert_eq!(lag.millis(), 0, "nothing measured, no lag");
        let start = Instant::now();
        lag.record(start, Duration::from_millis(2));
        lag.record(start + HOLD / 2, Duration::from_millis(700));
        assert_eq!(lag.millis(), 700);
        lag.record(start + HOLD + HOLD / 2, Duration::from_millis(3));
        assert_eq!(lag.millis(), 700, "the window before still counts");
        lag.record(start + 2 * HOLD + HOLD / 2, Duration::from_millis(4));
        assert_eq!(lag.millis(), 4, "let go after two windows");
        lag.record(start + 10 * HOLD, Duration::from_millis(1));
        assert_eq!(lag.millis(), 1, "after a silence only the last counts");
    }

    #[test]
    fn work_not_finished_counts_from_its_arrival() {
        let lag = IntakeLag::default();
        let now = now_millis();
        let older = lag.taking_in(now - 4_000);
        let newer = lag.taking_in(now - 1_000);
        let twin = lag.taking_in(now - 4_000);
        assert!(lag.millis() >= 4_000);
        drop(older);
        assert!(lag.millis() >= 4_000, "its twin is still pending");
        drop(twin);
        let lagging = lag.millis();
        assert!((1_000..4_000).contains(&lagging), "{lagging}");
        drop(newer);
        assert_eq!(lag.millis(), 0);
    }

    #[test]
    fn a_probe_counts_while_it_waits_and_once_answered() {
        let lag = IntakeLag::default();
        lag.probe_sent(0);
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            lag.unread_millis() >= 30,
            "waiting: {}",
            lag.unread_millis()
        );
        lag.probe_answered(0);
        assert!(
            lag.unread_millis() >= 30,
            "answered: {}",
            lag.unread_millis()
        );
        lag.probe_sent(1);
        lag.probe_lost(1);
        lag.probe_answered(1);
        assert!(lag.unread_millis() < 1_000, "a lost probe tells nothing");
    }

    #[actix_web::test]
    async fn a_worker_kept_busy_is_measured_as_late() {
        let lag = IntakeLag::default();
        lag.watch_this_worker();
        // One wake-up served on time, then the worker is held for far longer than a tick:
        // the next wake-up is late by about that long.
        tokio::time::sleep(TICK * 3).await;
        let held = Duration::from_millis(300);
        std::thread::sleep(held);
        // Polled until the late wake-up is counted (the first tick after the hold).
        let late = i64::try_from((held - TICK).as_millis()).unwrap();
        for _ in 0..100 {
            if lag.millis() >= late {
                break;
            }
            tokio::time::sleep(TICK).await;
        }
        assert!(lag.millis() >= late, "{} ms", lag.millis());
    }
}
