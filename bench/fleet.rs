//! A fleet of services renewing at a client's cadence, against the registry's nodes or a
//! peer (rnacos): one round's figures. Included by bench-heartbeat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::common::{now_ms, percentile, Servers};
use crate::target::{Dying, Target, Watch};

/// How a client renews, for a timeout of T seconds. RSR's: every 0.8 × T, less up to T/10
/// of jitter (24 s less up to 3 s for 30 s); real runs keep RSR's 30 s, a smoke run takes
/// a short one so that its short window sees the fleet heartbeat. etcd's Go client's:
/// every T/3. A Nacos client's: a beat every 5 s (the interval its server sets), whatever
/// the deadline.
#[derive(Clone, Copy, PartialEq)]
pub enum Cadence {
    Rsr,
    Etcd,
    Nacos,
}

/// The heartbeat p99 a fleet must keep to count as kept by a ramp.
pub const P99_BOUND: Duration = Duration::from_millis(250);

/// A Nacos client's beat interval.
const NACOS_BEAT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy)]
pub struct ClientCadence {
    pub timeout_secs: u64,
    pub in_flight: usize,
    /// Whether `in_flight` grows with the fleet's rate (`--in-flight-for-rate`).
    pub in_flight_for_rate: bool,
    pub cadence: Cadence,
}

impl ClientCadence {
    fn next_interval(self) -> Duration {
        let t = self.timeout_secs as f64;
        match self.cadence {
            Cadence::Rsr => Duration::from_secs_f64(0.8 * t - rand::random::<f64>() * 0.1 * t),
            Cadence::Etcd => Duration::from_secs_f64(t / 3.0),
            Cadence::Nacos => NACOS_BEAT,
        }
    }

    /// Long enough for a service created now to have heartbeated at its cadence.
    fn settle(self) -> Duration {
        match self.cadence {
            Cadence::Rsr => Duration::from_secs_f64(0.8 * self.timeout_secs as f64),
            Cadence::Etcd | Cadence::Nacos => self.next_interval(),
        }
    }

    /// Renewals a second that `count` services send: one per 0.75 × T on average at RSR's
    /// cadence, else one per interval.
    fn needed_per_second(self, count: usize) -> f64 {
        let mean = match self.cadence {
            Cadence::Rsr => 0.75 * self.timeout_secs as f64,
            Cadence::Etcd | Cadence::Nacos => self.next_interval().as_secs_f64(),
        };
        count as f64 / mean
    }

    /// Heartbeats in flight at once for `count` services: `--in-flight`, and with
    /// `--in-flight-for-rate` what their rate needs while each takes up to twice the
    /// ramp's p99 bound (Little's law: in flight = rate × time). A fixed cap bounds the
    /// rate this tool sends by the node's latency (a node under a CPU quota answers in up
    /// to its quota's period), and a fleet would die of this tool, not of the registry.
    /// Not by default: unconfined, the bursts it allows open connections anew, which cost
    /// a peer more than the wait they save (docs/benchmarks.md, "The generator's cap").
    fn in_flight_for(self, count: usize) -> usize {
        if !self.in_flight_for_rate {
            return self.in_flight;
        }
        let needed = self.needed_per_second(count) * 2.0 * P99_BOUND.as_secs_f64();
        self.in_flight.max(needed.ceil() as usize)
    }

    fn name(self) -> &'static str {
        match self.cadence {
            Cadence::Rsr => "RSR cadence",
            Cadence::Etcd => "etcd's cadence (T/3)",
            Cadence::Nacos => "Nacos's cadence (5 s)",
        }
    }
}

/// One fleet's figures.
pub struct Round {
    pub row: String,
    pub lag_rows: Vec<String>,
    pub p99: f64,
    pub timeouts: usize,
    pub refused: u64,
    /// The fleet's services, to remove before the next.
    pub ids: Vec<String>,
}

/// A fleet of `count` renewing at `client`'s cadence: created over the warm-up, then
/// measured over the window. With `lag`, that many services of a 3 s timeout die during
/// the window (the registry only), for the detection lag.
pub async fn round(
    target: &Target,
    servers: &Servers,
    count: usize,
    client: ClientCadence,
    (warm_up, window): (Duration, Duration),
    lag: Option<usize>,
    on_created: Option<&str>,
) -> Round {
    let started = Instant::now();
    // Creations spread over most of the warm-up (longer for large fleets, at most ~2,000
    // creates a second), as if the fleet had been running; heartbeats then settle for
    // 0.3 × T more (9 s for 30 s).
    let spread = (warm_up.as_secs_f64() * 0.7).max(count as f64 / 2000.0);
    let warm_up = warm_up.max(Duration::from_secs_f64(spread) + client.settle() * 3 / 8);
    // The window opens once every service has been created and has had the time to
    // heartbeat at its cadence (0.8 × T), and never before the warm-up is over: (start, end).
    let opened: Arc<std::sync::OnceLock<(Instant, Instant)>> = Arc::default();
    let created = Arc::new(AtomicU64::new(0));
    // Separate queues: a heartbeat never waits behind the fleet's creates.
    let in_flight = Arc::new(Semaphore::new(client.in_flight_for(count)));
    let creating = Arc::new(Semaphore::new(32));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let retried = Arc::new(AtomicU64::new(0));
    // The longest a due heartbeat waited in this generator (for a slot, or for its thread):
    // time the registry never saw, so a figure is only the registry's while it is small.
    let held_ms = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let prefix = format!("cadence{count}");
    let first_event = now_ms();
    let mut tasks = Vec::with_capacity(count);
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let (target, in_flight, creating) = (
            target.clone(),
            Arc::clone(&in_flight),
            Arc::clone(&creating),
        );
        let (sent, refused, retried, latencies, held_ms) = (
            Arc::clone(&sent),
            Arc::clone(&refused),
            Arc::clone(&retried),
            Arc::clone(&latencies),
            Arc::clone(&held_ms),
        );
        let (opened, created) = (Arc::clone(&opened), Arc::clone(&created));
        let id = format!("{prefix}-{n:06}");
        ids.push(id.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(rand::random::<f64>() * spread)).await;
            let mut token = {
                let _slot = creating.acquire().await.unwrap();
                target.register(n, &id, client.timeout_secs).await
            };
            created.fetch_add(1, Ordering::SeqCst);
            let mut due = Instant::now() + client.next_interval();
            loop {
                if opened.get().is_some_and(|&(_, end)| due >= end) {
                    return;
                }
                tokio::time::sleep_until(due.into()).await;
                let _slot = in_flight.acquire().await.unwrap();
                let asked = Instant::now();
                let held = asked.saturating_duration_since(due).as_millis() as u64;
                held_ms.fetch_max(held, Ordering::Relaxed);
                match target.renew(n, &id, &token).await {
                    Ok(next) => {
                        token = next;
                        due = Instant::now() + client.next_interval();
                    }
                    // Refused for now (503), unread (408) or unanswered: as RSR's
                    // clients, try again a second later, while the service may still be
                    // alive; the token still holds.
                    Err(status @ (0 | 408 | 503)) => {
                        retried.fetch_add(1, Ordering::Relaxed);
                        if status != 0 {
                            eprintln!("heartbeat of {id} answered {status}; retrying");
                        }
                        due = Instant::now() + Duration::from_secs(1);
                        continue;
                    }
                    Err(status) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        eprintln!("heartbeat of {id} refused: {status}");
                        return;
                    }
                }
                if opened
                    .get()
                    .is_some_and(|&(start, end)| start <= asked && asked < end)
                {
                    sent.fetch_add(1, Ordering::Relaxed);
                    latencies
                        .lock()
                        .unwrap()
                        .push(asked.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    while created.load(Ordering::SeqCst) < count as u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let creation = started.elapsed();
    if let Some(command) = on_created {
        run_shell(command);
    }
    let window_start = (started + warm_up).max(Instant::now() + client.settle());
    let window_end = window_start + window;
    let window_end_ms = now_ms() + (window_end - Instant::now()).as_millis() as i64;
    let _ = opened.set((window_start, window_end));
    let watch = Watch::start(target, &prefix, count, first_event, window_end);
    tokio::time::sleep_until(window_start.into()).await;
    let cpu_start = servers.cpu_seconds();
    let dying = match (target, lag) {
        (Target::Registry(nodes), Some(k)) => Some(Dying::create(&nodes[0], count, k).await),
        (Target::Nacos(_), Some(_)) => panic!("the detection lag is measured on the registry"),
        (_, None) => None,
    };
    tokio::time::sleep_until(window_end.into()).await;
    let cpu = servers.cpu_seconds() - cpu_start;
    let rss = servers.rss_mib();
    if dying.is_some() {
        // The last of them dies 3 s after its creation; give the reaper time beyond that.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort_by(f64::total_cmp);
    let seconds = window.as_secs_f64();
    let (fleet_timeouts, lag_rows) = watch.finish(window_end_ms, dying).await;
    let rate = sent.load(Ordering::Relaxed) as f64 / seconds;
    let p99 = percentile(&latencies, 0.99);
    let refused = refused.load(Ordering::Relaxed);
    let row = format!(
        "{} ({} s timeout), {count} services, {} node(s), created in {:.0} s | {rate:.0} of {:.0} needed | p50 {:.2} ms, p99 {p99:.2} ms, max {:.0} ms | {:.0}% of one core ({:.1}% per 1,000 heartbeats/s), {rss:.0} MiB | {refused} refused, {} retried, {fleet_timeouts} timed out; the generator held a heartbeat up to {} ms",
        client.name(),
        client.timeout_secs,
        target.nodes(),
        creation.as_secs_f64(),
        client.needed_per_second(count),
        percentile(&latencies, 0.5),
        latencies.last().copied().unwrap_or(f64::NAN),
        cpu / seconds * 100.0,
        cpu / seconds * 100.0 / (rate / 1000.0),
        retried.load(Ordering::Relaxed),
        held_ms.load(Ordering::Relaxed),
    );
    Round {
        row,
        lag_rows,
        p99,
        timeouts: fleet_timeouts,
        refused,
        ids,
    }
}

/// Runs `command` with `sh -c`; a failure ends the run (a bench on the wrong budget is
/// worse than none).
pub fn run_shell(command: &str) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
        .expect("sh runs");
    assert!(status.success(), "{command}: {status}");
}
