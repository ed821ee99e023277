//! The one way a test waits: it polls for what it expects, with a bound derived from the
//! settings under test, instead of sleeping for a guess. What must hold for a while
//! (nothing times out before its deadline) is checked throughout that while.

use std::future::Future;
use std::time::{Duration, Instant};

use service_registry::settings::Settings;

use super::Reply;

/// How often a condition is checked again.
const EVERY: Duration = Duration::from_millis(20);

/// Scheduling slack on top of a documented bound: the suite runs six tests at once.
const SLACK: Duration = Duration::from_millis(500);

/// Polls `check` until it yields a value; fails with `what` once `bound` has passed.
pub async fn eventually<T, F, Fut>(what: &str, bound: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let due = Instant::now() + bound;
    eventually_by(&format!("{what} (within {bound:?})"), || due, check).await
}

/// [`eventually`] with a bound the test learns as it goes (a deadline the registry may
/// move): `due` is asked again after each check that fails.
pub async fn eventually_by<T, F, Fut>(
    what: &str,
    mut due: impl FnMut() -> Instant,
    mut check: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < due(),
            "{what}: not in time ({:?} of polling)",
            started.elapsed()
        );
        tokio::time::sleep(EVERY).await;
    }
}

/// [`eventually`] of a condition that yields nothing but whether it holds.
pub async fn until_holds<F, Fut>(what: &str, bound: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually(what, bound, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
}

/// Checks `check` again and again for `window`; fails with `what` the first time it does
/// not hold.
pub async fn throughout<F, Fut>(what: &str, window: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < window {
        assert!(
            check().await,
            "{what}: broken after {:?}",
            started.elapsed()
        );
        tokio::time::sleep(EVERY).await;
    }
    assert!(check().await, "{what}: broken at the end of {window:?}");
}

/// Repeats `request` until it answers `status`; fails if that takes longer than
/// [`auth_change_bound`]. Returns the reply and how long the change took to show.
pub async fn until_status<F, Fut>(status: u16, mut request: F) -> (Reply, Duration)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Reply>,
{
    let started = Instant::now();
    let reply = eventually(&format!("an answer {status}"), auth_change_bound(), || {
        let reply = request();
        async move {
            let reply = reply.await;
            (reply.status.as_u16() == status).then_some(reply)
        }
    })
    .await;
    (reply, started.elapsed())
}

/// How long a change to a token or principal may take to show on every node: the
/// authentication cache's documented bound, plus slack.
pub fn auth_change_bound() -> Duration {
    Settings::default().auth.cache_ttl + SLACK
}

/// How late a long poll may wake after the write it waits for: the documented bound
/// across nodes (`live.feed_poll_interval`; on the writer's own node it is immediate),
/// plus slack.
pub fn feed_wake_bound() -> Duration {
    Settings::default().live.feed_poll_interval + SLACK
}

/// How long after its registration or last heartbeat a silent service of `timeout`
/// seconds may still hold its place: its timeout, then the reaper's next two passes
/// (`live.reaper_interval`), plus slack. Reads hide it from its deadline on.
pub fn reaped_bound(timeout: u64) -> Duration {
    Duration::from_secs(timeout) + 2 * Settings::default().live.reaper_interval + SLACK
}
