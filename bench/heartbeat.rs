//! The live registry's heartbeat benchmark, driven over HTTP like real clients.
//!
//! `prepare`: creates N services (timeout 120 s) and writes "id token" lines, from which
//! wrk (bench/heartbeat.lua) heartbeats them back to back, beside the baseline;
//! `remove`: deletes them again;
//! `fleet`: M services (timeout 30 s) each heartbeating as RSR's clients do (every
//! 0.8 × 30 s minus up to 3 s of jitter); after a warm-up (30 s) the server's CPU time and
//! the heartbeats' rate and latency are measured for W seconds, and no service may time
//! out. During the first fleet, K services with a 3 s timeout are left to die: detection
//! lag = when their timeout event was recorded (its UUIDv7 time) − their deadline.
//!
//! Usage: bench-heartbeat prepare|remove --url URL --token TOKEN --tenant ID --file F [--count N]
//!        bench-heartbeat fleet --url URL --token TOKEN --tenant ID --pid SERVER_PID
//!            [--cadence M[,M2...]] [--warm-up S] [--window W] [--lag K]
//! `fleet` prints Markdown table rows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use service_registry::live::EventId;
use tokio::sync::Semaphore;

fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(name: &str, default: u64) -> u64 {
    argument(name).map_or(default, |v| v.parse().expect(name))
}

#[derive(Clone)]
struct Live {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Live {
    async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("X-Auth-Token", &self.token)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn create(&self, id: &str, timeout: u64) -> String {
        for _ in 0..5 {
            if let Ok((201, body)) = self
                .post(
                    "/services",
                    &json!({"id": id, "heartbeat_timeout": timeout}),
                )
                .await
            {
                return body["token"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not create {id}");
    }

    /// The next token, or the status that refused it.
    async fn heartbeat(&self, id: &str, token: &str) -> Result<String, u16> {
        match self
            .post(
                &format!("/services/{id}/heartbeat"),
                &json!({ "token": token }),
            )
            .await
        {
            Ok((200, body)) => Ok(body["token"].as_str().unwrap().to_owned()),
            Ok((status, _)) => Err(status),
            Err(error) => {
                eprintln!("heartbeat of {id} failed: {error}");
                Err(0)
            }
        }
    }

    async fn events(&self, query: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let url = match &marker {
                Some(m) => format!("{}/events?limit=1000&{query}&marker={m}", self.base),
                None => format!("{}/events?limit=1000&{query}", self.base),
            };
            let page: Value = self
                .client
                .get(url)
                .header("X-Auth-Token", &self.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            all.extend(page["values"].as_array().unwrap().iter().cloned());
            match page["metadata"]["next_marker"].as_str() {
                Some(next) => marker = Some(next.to_owned()),
                None => return all,
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server's /proc stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let command = std::env::args().nth(1).expect("prepare, remove or fleet");
    let url = argument("--url").expect("--url");
    let tenant = argument("--tenant").expect("--tenant");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let live = Live {
        client,
        base: format!("{url}/v1.0/{tenant}"),
        token: argument("--token").expect("--token"),
    };
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
            stream::iter(file.lines())
                .for_each_concurrent(32, |line| {
                    let live = live.clone();
                    let id = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    async move {
                        let _ = live
                            .client
                            .delete(format!("{}/services/{id}", live.base))
                            .header("X-Auth-Token", &live.token)
                            .send()
                            .await;
                    }
                })
                .await;
        }
        "fleet" => {
            let pid: u32 = argument("--pid").expect("--pid").parse().unwrap();
            let warm_up = Duration::from_secs(number("--warm-up", 30));
            let window = Duration::from_secs(number("--window", 30));
            let lag_count = number("--lag", 200) as usize;
            let cadences: Vec<usize> = argument("--cadence")
                .unwrap_or_else(|| "10000,50000".into())
                .split(',')
                .map(|n| n.parse().expect("--cadence M[,M...]"))
                .collect();
            let mut lag_rows = Vec::new();
            for (round, &count) in cadences.iter().enumerate() {
                let lag = (round == 0 && lag_count > 0).then_some(lag_count);
                let (row, lags) = cadence(&live, pid, count, (warm_up, window), lag).await;
                println!("{row}");
                lag_rows.extend(lags);
            }
            for row in lag_rows {
                println!("{row}");
            }
        }
        other => panic!("unknown command {other}"),
    }
}

/// RSR's client cadence for a 30 s timeout: 0.8 × 30 s, less up to 3 s of jitter.
fn next_interval() -> Duration {
    Duration::from_secs_f64(24.0 - rand::random::<f64>() * 3.0)
}

async fn cadence(
    live: &Live,
    pid: u32,
    count: usize,
    (warm_up, window): (Duration, Duration),
    lag: Option<usize>,
) -> (String, Vec<String>) {
    let started = Instant::now();
    // Creations spread over most of the warm-up (longer for large fleets, at most ~1,000
    // creates a second), as if the fleet had been running; heartbeats then settle.
    let spread = (warm_up.as_secs_f64() * 0.7).max(count as f64 / 1000.0);
    let warm_up = warm_up.max(Duration::from_secs_f64(spread + 9.0));
    let window_start = started + warm_up;
    let window_end_ms = now_ms() + (warm_up + window).as_millis() as i64;
    let window_end = window_start + window;
    // Separate queues: a heartbeat never waits behind the fleet's creates.
    let in_flight = Arc::new(Semaphore::new(64));
    let creating = Arc::new(Semaphore::new(32));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let prefix = format!("cadence{count}");
    let first_event = now_ms();
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let (live, in_flight, creating) =
            (live.clone(), Arc::clone(&in_flight), Arc::clone(&creating));
        let (sent, refused, latencies) = (
            Arc::clone(&sent),
            Arc::clone(&refused),
            Arc::clone(&latencies),
        );
        let id = format!("{prefix}-{n:06}");
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(rand::random::<f64>() * spread)).await;
            let mut token = {
                let _slot = creating.acquire().await.unwrap();
                live.create(&id, 30).await
            };
            loop {
                let due = Instant::now() + next_interval();
                if due >= window_end {
                    return;
                }
                tokio::time::sleep_until(due.into()).await;
                let _slot = in_flight.acquire().await.unwrap();
                let asked = Instant::now();
                match live.heartbeat(&id, &token).await {
                    Ok(next) => token = next,
                    Err(status) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        if status != 0 {
                            eprintln!("heartbeat of {id} refused: {status}");
                        }
                        return;
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
    let lag_ids: Vec<String> = match lag {
        Some(k) => {
            stream::iter(0..k)
                .map(|n| {
                    let live = live.clone();
                    async move {
                        let id = format!("mortal-{n:04}");
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
    let cpu = cpu_seconds(pid) - cpu_start;
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
                .is_some_and(|id| id.starts_with(&prefix))
        })
        .filter(|e| {
            e["timestamp"]
                .as_i64()
                .is_some_and(|deadline| deadline <= window_end_ms)
        })
        .count();
    let row = format!(
        "| RSR cadence (30 s timeout), {count} services | {:.0} | p50 {:.2} ms, p99 {:.2} ms | {:.0}% of one core | {} refused, {fleet_timeouts} timed out |",
        sent.load(Ordering::Relaxed) as f64 / seconds,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        cpu / seconds * 100.0,
        refused.load(Ordering::Relaxed),
    );
    let mut lag_rows = Vec::new();
    if !lag_ids.is_empty() {
        let mut lags: Vec<f64> = timeouts
            .iter()
            .filter(|e| {
                e["payload"]["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("mortal-"))
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
            "| detection lag (timeout event recorded − deadline), {} services dying among {count} live | | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms | | {} of {} timeout events |",
            lag_ids.len(),
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().copied().unwrap_or(f64::NAN),
            lags.len(),
            lag_ids.len(),
        ));
    }
    (row, lag_rows)
}
