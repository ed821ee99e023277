//! The live registry's peer in bench/run: the fleet of `bench-heartbeat fleet` as etcd
//! leases. Each service is a lease of T s (`--timeout`, 30) with a key put under it (its
//! registration); each renewal is one LeaseKeepAlive request, sent at RSR's client cadence
//! (every 0.8 × T less up to T/10 of jitter: 24 s less up to 3 s), or with
//! `--etcd-cadence` at etcd's own Go client's (every T/3). As etcd's Go client does, every
//! lease is renewed over a few long-lived LeaseKeepAlive streams (`--streams`, 4): one
//! HTTP/2 stream carries the requests and answers of many leases, answers matched to
//! requests by lease id. After the warm-up, etcd's CPU time and the renewals' rate and
//! latency are measured for the window; a renewal answered with TTL 0 found its lease
//! expired: a false timeout. With `--ramp`, the fleets grow through `--cadence` and the run
//! stops after the first that falls short (a lease expired, a renewal failed, or p99 over
//! 250 ms).
//!
//! What each promises differs: etcd keeps a renewal in memory only (a restarted etcd
//! gives every lease its full TTL again); the registry's heartbeat is committed to disk
//! before it is answered.
//!
//! Usage: bench-etcd --endpoint HOST:PORT --pid ETCD_PID [--cadence M[,M2...]]
//!            [--timeout T] [--etcd-cadence] [--streams N] [--warm-up S] [--window W]
//!            [--ramp] [--label L] [--tsv FILE]
//! Prints Markdown table rows in the registry's fleet table's columns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::proto::PbLeaseKeepAliveRequest;
use etcd_client::{Client, PutOptions};
use futures_util::stream::{self, StreamExt};
use tokio::sync::{mpsc, oneshot, Semaphore};

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(name: &str, default: u64) -> u64 {
    argument(name).map_or(default, |v| v.parse().expect(name))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("etcd's /proc stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("etcd's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// When the next renewal of a lease of T s is due: at RSR's client cadence (0.8 × T, less
/// up to T/10 of jitter), or at etcd's Go client's (T/3).
fn next_interval(timeout_secs: i64, etcd_cadence: bool) -> Duration {
    let t = timeout_secs as f64;
    if etcd_cadence {
        Duration::from_secs_f64(t / 3.0)
    } else {
        Duration::from_secs_f64(0.8 * t - rand::random::<f64>() * 0.1 * t)
    }
}

/// A few long-lived LeaseKeepAlive streams shared by every lease, as etcd's Go client
/// keeps one per client: a renewal is a request on its lease's stream, answered on the
/// same stream with the lease's id.
#[derive(Clone)]
struct Keepers {
    streams: Arc<Vec<Keeper>>,
}

struct Keeper {
    requests: mpsc::Sender<PbLeaseKeepAliveRequest>,
    /// Renewals sent on this stream and not answered yet, by lease id.
    waiting: Arc<Mutex<HashMap<i64, oneshot::Sender<i64>>>>,
}

impl Keepers {
    /// Opens `count` streams, each on a lease of its own that it never renews.
    async fn open(client: &mut Client, count: usize) -> Self {
        let mut streams = Vec::with_capacity(count);
        for _ in 0..count {
            let opener = client
                .lease_grant(60, None)
                .await
                .expect("etcd grants a lease");
            let (keeper, mut answers) = client
                .lease_keep_alive(opener.id())
                .await
                .expect("etcd opens a LeaseKeepAlive stream");
            let waiting: Arc<Mutex<HashMap<i64, oneshot::Sender<i64>>>> = Arc::default();
            let dispatch = Arc::clone(&waiting);
            tokio::spawn(async move {
                while let Ok(Some(answer)) = answers.message().await {
                    if let Some(waiter) = dispatch.lock().unwrap().remove(&answer.id()) {
                        let _ = waiter.send(answer.ttl());
                    }
                }
                // The stream ended: every renewal still waiting on it fails.
                dispatch.lock().unwrap().clear();
            });
            streams.push(Keeper {
                requests: keeper.sender,
                waiting,
            });
        }
        Self {
            streams: Arc::new(streams),
        }
    }

    /// One renewal: the TTL etcd answers (0: the lease had expired), or `None` when the
    /// stream failed or no answer came within 10 s.
    async fn renew(&self, lease: i64) -> Option<i64> {
        let keeper = &self.streams[lease.unsigned_abs() as usize % self.streams.len()];
        let (answer, answered) = oneshot::channel();
        keeper.waiting.lock().unwrap().insert(lease, answer);
        let request = PbLeaseKeepAliveRequest { id: lease };
        if keeper.requests.send(request).await.is_err() {
            keeper.waiting.lock().unwrap().remove(&lease);
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(10), answered).await {
            Ok(Ok(ttl)) => Some(ttl),
            _ => {
                keeper.waiting.lock().unwrap().remove(&lease);
                None
            }
        }
    }
}

/// A lease and its key: the registration of one service.
async fn register(client: &mut Client, id: &str, timeout_secs: i64) -> i64 {
    for _ in 0..5 {
        if let Ok(lease) = client.lease_grant(timeout_secs, None).await {
            let options = PutOptions::new().with_lease(lease.id());
            if client
                .put(format!("/services/{id}"), "{}", Some(options))
                .await
                .is_ok()
            {
                return lease.id();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not register {id}");
}

struct Round {
    p99: f64,
    expired: u64,
    failed: u64,
    leases: Vec<i64>,
}

struct Cadence {
    timeout_secs: i64,
    etcd: bool,
}

async fn fleet(
    client: &Client,
    keepers: &Keepers,
    pid: u32,
    count: usize,
    cadence: &Cadence,
    (warm_up, window): (Duration, Duration),
    label: &str,
) -> Round {
    let (timeout_secs, etcd_cadence) = (cadence.timeout_secs, cadence.etcd);
    let started = Instant::now();
    let spread = (warm_up.as_secs_f64() * 0.7).max(count as f64 / 2000.0);
    let warm_up = warm_up.max(Duration::from_secs_f64(spread + 0.3 * timeout_secs as f64));
    let window_start = started + warm_up;
    let window_end = window_start + window;
    let in_flight = Arc::new(Semaphore::new(64));
    let creating = Arc::new(Semaphore::new(32));
    let sent = Arc::new(AtomicU64::new(0));
    let expired = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let leases = Arc::new(Mutex::new(Vec::with_capacity(count)));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let (mut client, keepers) = (client.clone(), keepers.clone());
        let (in_flight, creating) = (Arc::clone(&in_flight), Arc::clone(&creating));
        let (sent, expired, failed, latencies, leases) = (
            Arc::clone(&sent),
            Arc::clone(&expired),
            Arc::clone(&failed),
            Arc::clone(&latencies),
            Arc::clone(&leases),
        );
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(rand::random::<f64>() * spread)).await;
            let lease = {
                let _slot = creating.acquire().await.unwrap();
                register(&mut client, &format!("cadence{count}-{n:06}"), timeout_secs).await
            };
            leases.lock().unwrap().push(lease);
            let mut due = Instant::now() + next_interval(timeout_secs, etcd_cadence);
            loop {
                if due >= window_end {
                    return;
                }
                tokio::time::sleep_until(due.into()).await;
                let _slot = in_flight.acquire().await.unwrap();
                let asked = Instant::now();
                match keepers.renew(lease).await {
                    Some(ttl) if ttl > 0 => {
                        due = Instant::now() + next_interval(timeout_secs, etcd_cadence)
                    }
                    Some(_) => {
                        expired.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    None => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        due = Instant::now() + Duration::from_secs(1);
                        continue;
                    }
                }
                if asked >= window_start {
                    sent.fetch_add(1, Ordering::Relaxed);
                    latencies
                        .lock()
                        .unwrap()
                        .push(asked.elapsed().as_secs_f64() * 1000.0);
                }
            }
        }));
    }
    tokio::time::sleep_until(window_start.into()).await;
    let cpu_start = cpu_seconds(pid);
    tokio::time::sleep_until(window_end.into()).await;
    let cpu = cpu_seconds(pid) - cpu_start;
    let rss = rss_mib(pid);
    for task in tasks {
        let _ = task.await;
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort_by(f64::total_cmp);
    let seconds = window.as_secs_f64();
    let rate = sent.load(Ordering::Relaxed) as f64 / seconds;
    let p99 = percentile(&latencies, 0.99);
    let expired = expired.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    println!(
        "| {label}etcd leases ({timeout_secs} s TTL, renewed {}, {} streams), {count} services, 1 member | {rate:.0} | p50 {:.2} ms, p99 {p99:.2} ms, max {:.0} ms | {:.0}% of one core ({:.1}% per 1,000 renewals/s), {rss:.0} MiB | {} failed, {expired} expired |",
        if etcd_cadence { "every T/3" } else { "at RSR's cadence" },
        keepers.streams.len(),
        percentile(&latencies, 0.5),
        latencies.last().copied().unwrap_or(f64::NAN),
        cpu / seconds * 100.0,
        cpu / seconds * 100.0 / (rate / 1000.0),
        failed,
    );
    let leases = std::mem::take(&mut *leases.lock().unwrap());
    Round {
        p99,
        expired,
        failed,
        leases,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let endpoint = argument("--endpoint").unwrap_or_else(|| "127.0.0.1:2379".into());
    let pid: u32 = argument("--pid").expect("--pid").parse().expect("--pid");
    let warm_up = Duration::from_secs(number("--warm-up", 30));
    let window = Duration::from_secs(number("--window", 30));
    let timeout_secs = number("--timeout", 30);
    // The registry fleet's bounds, so that both sides of a comparison can take any value.
    assert!(
        (3..=120).contains(&timeout_secs),
        "--timeout must be 3 to 120 s, as the registry allows"
    );
    let timeout_secs = timeout_secs as i64;
    let ramp = std::env::args().any(|a| a == "--ramp");
    let label = argument("--label").unwrap_or_default();
    let tsv = argument("--tsv");
    let cadences: Vec<usize> = argument("--cadence")
        .unwrap_or_else(|| "10000,50000".into())
        .split(',')
        .map(|n| n.parse().expect("--cadence M[,M...]"))
        .collect();
    let cadence = Cadence {
        timeout_secs,
        etcd: std::env::args().any(|a| a == "--etcd-cadence"),
    };
    let mut client = Client::connect([endpoint], None)
        .await
        .expect("etcd answers");
    let keepers = Keepers::open(&mut client, number("--streams", 4).max(1) as usize).await;
    let mut largest = None;
    for &count in &cadences {
        let round = fleet(
            &client,
            &keepers,
            pid,
            count,
            &cadence,
            (warm_up, window),
            &label,
        )
        .await;
        if let Some(tsv) = tsv.as_ref().filter(|_| round.p99.is_finite()) {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(tsv)
                .unwrap();
            writeln!(file, "{label}etcd p99 (ms)\t{count}\t{:.2}", round.p99).unwrap();
            writeln!(file, "{label}etcd expired\t{count}\t{}", round.expired).unwrap();
        }
        // A renewal that failed (and was tried again a second later) is no renewal.
        let kept = round.expired == 0 && round.failed == 0 && round.p99 <= 250.0;
        if kept {
            largest = Some(count);
        }
        if ramp {
            stream::iter(round.leases)
                .for_each_concurrent(64, |lease| {
                    let mut client = client.clone();
                    async move {
                        let _ = client.lease_revoke(lease).await;
                    }
                })
                .await;
            if !kept {
                break;
            }
        }
    }
    if ramp {
        match largest {
            Some(count) => println!(
                "| {label}etcd: largest fleet kept alive (0 expired, 0 failed, p99 ≤ 250 ms) | {count} |"
            ),
            None => println!("| {label}etcd: largest fleet kept alive | none of {cadences:?} |"),
        }
    }
}
