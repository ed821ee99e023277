//! The live registry's heartbeat benchmark, driven over HTTP like real clients.
//!
//! `prepare`: creates N services (timeout 120 s) and writes "id token" lines, from which
//! wrk (bench/heartbeat.lua) heartbeats them back to back, beside the baseline;
//! `remove`: deletes them again;
//! `creates`: creates N services as fast as 64 requests in flight per node allow (so that
//! one tenant spread over N nodes gives each node what a tenant of its own would), then
//! removes them; prints both rates;
//! `fleet`: M services (timeout T, `--timeout`, 30 s) each heartbeating as RSR's clients do
//! (every 0.8 × T minus up to T/10 of jitter: 24 s less up to 3 s; `--etcd-cadence`: every
//! T/3, as etcd's Go client renews a lease of T s); once every service is
//! created and has had 0.8 × T to reach its cadence (and the warm-up, 30 s, is over) the
//! server's CPU time and the heartbeats' rate and latency are measured for W seconds, and
//! no service may time out. During each fleet, K services with a 3 s timeout are left to
//! die: detection lag = when their timeout event was recorded (its UUIDv7 time) − their
//! deadline. With `--ramp`, the fleets grow through `--cadence` and the run stops after
//! the first that falls short (a false timeout, or heartbeat p99 over 250 ms); each fleet
//! is removed before the next. Several `--url`s (and `--pid`s) spread the fleet over nodes.
//!
//! Usage: bench-heartbeat prepare|remove --url URL --token TOKEN --tenant ID --file F [--count N]
//!        bench-heartbeat creates --url URL[,URL...] --token TOKEN --tenant ID [--count N]
//!        bench-heartbeat fleet --url URL[,URL...] --token TOKEN --tenant ID --pid PID[,PID...]
//!            [--cadence M[,M2...]] [--timeout T] [--warm-up S] [--window W] [--lag K] [--ramp]
//!            [--through] [--in-flight N] [--etcd-cadence] [--label L] [--tsv FILE]
//!            [--on-created CMD] [--after-each CMD]
//! `--through` runs every size in turn, each fleet removed before the next, past the first
//! that falls short: what the registry does beyond its capacity. `--on-created` runs a
//! shell command once each fleet is created (bench/live cuts the node's CPU quota there),
//! `--after-each` once its window is over.
//! `creates` and `fleet` print Markdown table rows; `--tsv` appends "series size p99 timeouts"
//! lines for bench/chart.rs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::{argument, now_ms, number, percentile, Live, Servers};
use futures_util::stream::{self, StreamExt};

use service_registry::live::EventId;
use tokio::sync::Semaphore;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let command = std::env::args()
        .nth(1)
        .expect("prepare, remove, creates or fleet");
    let urls = argument("--url").expect("--url");
    let tenant = argument("--tenant").expect("--tenant");
    // Every connection of the heartbeats in flight is kept for reuse, as each service of a
    // real fleet keeps its own.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host((number("--in-flight", 64) as usize).max(4096))
        .build()
        .unwrap();
    let token = argument("--token").expect("--token");
    let nodes: Vec<Live> = urls
        .split(',')
        .map(|url| Live {
            client: client.clone(),
            base: format!("{url}/v1.0/{tenant}"),
            token: token.clone(),
        })
        .collect();
    let live = nodes[0].clone();
    match command.as_str() {
        "prepare" => {
            let count = number("--count", 10_000) as usize;
            let lines: Vec<String> = stream::iter(0..count)
                .map(|n| {
                    let live = live.clone();
                    async move {
                        let id = format!("steady-{n:06}");
                        let token = live.create(&id, 120).await;
                        format!("{id} {token}\n")
                    }
                })
                .buffered(32)
                .collect()
                .await;
            std::fs::write(argument("--file").expect("--file"), lines.concat()).unwrap();
        }
        "remove" => {
            let file = std::fs::read_to_string(argument("--file").expect("--file")).unwrap();
            let ids: Vec<String> = file
                .lines()
                .filter_map(|line| line.split_whitespace().next())
                .map(str::to_owned)
                .collect();
            remove_all(&nodes, ids).await;
        }
        "creates" => {
            let count = number("--count", 20_000) as usize;
            let label = argument("--label").unwrap_or_default();
            let in_flight = 64 * nodes.len();
            let started = Instant::now();
            let ids: Vec<String> = stream::iter(0..count)
                .map(|n| {
                    let live = nodes[n % nodes.len()].clone();
                    async move {
                        let id = format!("burst-{n:07}");
                        live.create(&id, 120).await;
                        id
                    }
                })
                .buffer_unordered(in_flight)
                .collect()
                .await;
            let created = count as f64 / started.elapsed().as_secs_f64();
            let started = Instant::now();
            remove_all(&nodes, ids).await;
            let removed = count as f64 / started.elapsed().as_secs_f64();
            println!(
                "| {label}creates, {count} services, {in_flight} in flight, {} node(s) | {created:.0}/s | removes {removed:.0}/s |",
                nodes.len()
            );
        }
        "fleet" => {
            let servers = Servers(
                argument("--pid")
                    .expect("--pid")
                    .split(',')
                    .map(|pid| pid.parse().expect("--pid PID[,PID...]"))
                    .collect(),
            );
            let warm_up = Duration::from_secs(number("--warm-up", 30));
            let window = Duration::from_secs(number("--window", 30));
            let timeout_secs = number("--timeout", 30);
            // The registry's own bounds of heartbeat_timeout: a fleet outside them would
            // only measure refusals.
            assert!(
                (3..=120).contains(&timeout_secs),
                "--timeout must be 3 to 120 s, as the registry allows"
            );
            // Heartbeats in flight at once (64): a real fleet has no such bound, so a run
            // past a node's capacity raises it to let the node, not this tool, queue them.
            let client = ClientCadence {
                timeout_secs,
                in_flight: number("--in-flight", 64) as usize,
                etcd: std::env::args().any(|a| a == "--etcd-cadence"),
            };
            let lag_count = number("--lag", 200) as usize;
            let ramp = std::env::args().any(|a| a == "--ramp");
            // Every size in turn, each fleet removed before the next, past the first that
            // falls short: what happens beyond capacity.
            let through = std::env::args().any(|a| a == "--through");
            let label = argument("--label").unwrap_or_default();
            let tsv = argument("--tsv");
            let cadences: Vec<usize> = argument("--cadence")
                .unwrap_or_else(|| "10000,50000".into())
                .split(',')
                .map(|n| n.parse().expect("--cadence M[,M...]"))
                .collect();
            let (on_created, after_each) = (argument("--on-created"), argument("--after-each"));
            let mut lag_rows = Vec::new();
            let mut largest = None;
            for &count in &cadences {
                let lag = (lag_count > 0).then_some(lag_count);
                let round = cadence(
                    &nodes,
                    &servers,
                    count,
                    client,
                    (warm_up, window),
                    lag,
                    on_created.as_deref(),
                )
                .await;
                if let Some(command) = &after_each {
                    run_shell(command);
                }
                println!("| {label}{} |", round.row);
                // A window without heartbeats (a smoke run's) has no point to draw.
                if let Some(tsv) = tsv.as_ref().filter(|_| round.p99.is_finite()) {
                    use std::io::Write;
                    let mut file = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(tsv)
                        .unwrap();
                    writeln!(file, "{label}p99 (ms)\t{count}\t{:.2}", round.p99).unwrap();
                    writeln!(file, "{label}false timeouts\t{count}\t{}", round.timeouts).unwrap();
                }
                lag_rows.extend(round.lag_rows);
                let kept = round.timeouts == 0 && round.refused == 0 && round.p99 <= 250.0;
                if kept {
                    largest = Some(count);
                }
                if ramp || through {
                    remove_all(&nodes, round.ids).await;
                    if ramp && !kept {
                        break;
                    }
                }
            }
            for row in lag_rows {
                println!("| {label}{row} |");
            }
            if ramp {
                match largest {
                    Some(count) => println!(
                        "| {label}largest fleet kept alive (0 false timeouts, p99 ≤ 250 ms) | {count} |"
                    ),
                    None => println!("| {label}largest fleet kept alive | none of {cadences:?} |"),
                }
            }
        }
        other => panic!("unknown command {other}"),
    }
}

/// Runs `command` with `sh -c`; a failure ends the run (a bench on the wrong budget is
/// worse than none).
fn run_shell(command: &str) {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
        .expect("sh runs");
    assert!(status.success(), "{command}: {status}");
}

/// Deletes `ids`, 64 at a time, spread over the nodes; a delete refused for now (503) or
/// unanswered is sent again, so no fleet is left behind to die during the next.
async fn remove_all(nodes: &[Live], ids: Vec<String>) {
    stream::iter(ids.into_iter().enumerate())
        .for_each_concurrent(64, |(n, id)| {
            let live = nodes[n % nodes.len()].clone();
            async move {
                for _ in 0..40 {
                    let sent = live
                        .client
                        .delete(format!("{}/services/{id}", live.base))
                        .header("X-Auth-Token", &live.token)
                        .send()
                        .await;
                    match sent.map(|response| response.status().as_u16()) {
                        Ok(503) | Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                        Ok(_) => return,
                    }
                }
                eprintln!("could not remove {id}");
            }
        })
        .await;
}

/// RSR's client cadence for a timeout of T seconds: a heartbeat every 0.8 × T, less up to
/// T/10 of jitter (24 s less up to 3 s for 30 s). Real runs keep RSR's 30 s; a smoke run
/// takes a short one so that its short window sees the fleet heartbeat. Beside etcd, the
/// cadence of its Go client: every T/3.
#[derive(Clone, Copy)]
struct ClientCadence {
    timeout_secs: u64,
    in_flight: usize,
    etcd: bool,
}

impl ClientCadence {
    fn next_interval(self) -> Duration {
        let t = self.timeout_secs as f64;
        if self.etcd {
            Duration::from_secs_f64(t / 3.0)
        } else {
            Duration::from_secs_f64(0.8 * t - rand::random::<f64>() * 0.1 * t)
        }
    }

    /// Long enough for a service created now to have heartbeated at its cadence.
    fn settle(self) -> Duration {
        let fraction = if self.etcd { 1.0 / 3.0 } else { 0.8 };
        Duration::from_secs_f64(fraction * self.timeout_secs as f64)
    }

    /// Heartbeats a second that `count` services send: one per 0.75 × T on average (T/3
    /// at etcd's cadence).
    fn needed_per_second(self, count: usize) -> f64 {
        let fraction = if self.etcd { 1.0 / 3.0 } else { 0.75 };
        count as f64 / (fraction * self.timeout_secs as f64)
    }

    fn name(self) -> &'static str {
        if self.etcd {
            "etcd's cadence (T/3)"
        } else {
            "RSR cadence"
        }
    }
}

/// One fleet's figures.
struct Round {
    row: String,
    lag_rows: Vec<String>,
    p99: f64,
    timeouts: usize,
    refused: u64,
    /// The fleet's services, to remove before the next.
    ids: Vec<String>,
}

async fn cadence(
    nodes: &[Live],
    servers: &Servers,
    count: usize,
    client: ClientCadence,
    (warm_up, window): (Duration, Duration),
    lag: Option<usize>,
    on_created: Option<&str>,
) -> Round {
    let live = &nodes[0];
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
    let in_flight = Arc::new(Semaphore::new(client.in_flight));
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
        let (live, in_flight, creating) = (
            nodes[n % nodes.len()].clone(),
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
                live.create(&id, client.timeout_secs).await
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
                match live.heartbeat(&id, &token).await {
                    Ok(next) => {
                        token = next;
                        due = Instant::now() + client.next_interval();
                    }
                    // Refused for now (503) or unanswered: as RSR's clients, try again
                    // a second later, while the service may still be alive.
                    Err(status @ (0 | 503)) => {
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
    tokio::time::sleep_until(window_start.into()).await;
    let cpu_start = servers.cpu_seconds();
    let lag_ids: Vec<String> = match lag {
        Some(k) => {
            stream::iter(0..k)
                .map(|n| {
                    let live = live.clone();
                    async move {
                        let id = format!("mortal{count}-{n:04}");
                        live.create(&id, 3).await;
                        id
                    }
                })
                .buffer_unordered(16)
                .collect()
                .await
        }
        None => Vec::new(),
    };
    tokio::time::sleep_until(window_end.into()).await;
    let cpu = servers.cpu_seconds() - cpu_start;
    let rss = servers.rss_mib();
    if !lag_ids.is_empty() {
        // The last of them dies 3 s after its creation; give the reaper time beyond that.
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
    latencies.sort_by(f64::total_cmp);
    let seconds = window.as_secs_f64();
    let timeouts = live
        .events(&format!(
            "type=service.timeout&marker={}",
            EventId::first_at(first_event)
        ))
        .await;
    // Once the window ends the fleet stops heartbeating: only deaths before that count.
    let fleet_timeouts = timeouts
        .iter()
        .filter(|e| {
            e["payload"]["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{prefix}-")))
        })
        .filter(|e| {
            e["timestamp"]
                .as_i64()
                .is_some_and(|deadline| deadline <= window_end_ms)
        })
        .count();
    let rate = sent.load(Ordering::Relaxed) as f64 / seconds;
    let p99 = percentile(&latencies, 0.99);
    let refused = refused.load(Ordering::Relaxed);
    let row = format!(
        "{} ({} s timeout), {count} services, {} node(s), created in {:.0} s | {rate:.0} of {:.0} needed | p50 {:.2} ms, p99 {p99:.2} ms, max {:.0} ms | {:.0}% of one core ({:.1}% per 1,000 heartbeats/s), {rss:.0} MiB | {refused} refused, {} retried, {fleet_timeouts} timed out; the generator held a heartbeat up to {} ms",
        client.name(),
        client.timeout_secs,
        nodes.len(),
        creation.as_secs_f64(),
        client.needed_per_second(count),
        percentile(&latencies, 0.5),
        latencies.last().copied().unwrap_or(f64::NAN),
        cpu / seconds * 100.0,
        cpu / seconds * 100.0 / (rate / 1000.0),
        retried.load(Ordering::Relaxed),
        held_ms.load(Ordering::Relaxed),
    );
    let mut lag_rows = Vec::new();
    if !lag_ids.is_empty() {
        let mut lags: Vec<f64> = timeouts
            .iter()
            .filter(|e| {
                e["payload"]["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with(&format!("mortal{count}-")))
            })
            .map(|e| {
                let recorded = EventId::parse(e["id"].as_str().unwrap())
                    .and_then(EventId::millis)
                    .unwrap();
                (recorded - e["timestamp"].as_i64().unwrap()) as f64
            })
            .collect();
        lags.sort_by(f64::total_cmp);
        lag_rows.push(format!(
            "detection lag (timeout event recorded − deadline), {} services dying among {count} live | | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms | | {} of {} timeout events",
            lag_ids.len(),
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().copied().unwrap_or(f64::NAN),
            lags.len(),
            lag_ids.len(),
        ));
    }
    Round {
        row,
        lag_rows,
        p99,
        timeouts: fleet_timeouts,
        refused,
        ids,
    }
}
