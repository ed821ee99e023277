//! The live registry's heartbeat benchmark, driven over HTTP like real clients.
//!
//! `prepare`: creates N services (timeout 120 s) and writes "id token" lines, from which
//! wrk (bench/heartbeat.lua) heartbeats them back to back, beside the baseline;
//! `remove`: deletes them again;
//! `creates`: creates N services as fast as 64 requests in flight per node allow, each
//! node with a window of its own (so that one tenant spread over N nodes gives each node
//! what a tenant of its own would), then removes them; prints both rates (the sum of the
//! nodes');
//! `fleet`: M services (timeout T, `--timeout`, 30 s) each heartbeating as RSR's clients do
//! (every 0.8 × T minus up to T/10 of jitter: 24 s less up to 3 s; `--etcd-cadence`: every
//! T/3, as etcd's Go client renews a lease of T s; `--nacos-cadence`: every 5 s, as a Nacos
//! client beats whatever the deadline); once every service is
//! created and has had 0.8 × T to reach its cadence (and the warm-up, 30 s, is over) the
//! server's CPU time and the heartbeats' rate and latency are measured for W seconds, and
//! no service may time out. During each fleet, K services with a 3 s timeout are left to
//! die: detection lag = when their timeout event was recorded (its UUIDv7 time) − their
//! deadline. With `--ramp`, the fleets grow through `--cadence` and the run stops after
//! the first that falls short (a false timeout, or heartbeat p99 over 250 ms); each fleet
//! is removed before the next. Several `--url`s (and `--pid`s) spread the fleet over nodes.
//! With `--nacos`, the fleet is rnacos's instances instead (bench/nacos.rs): `--url` is
//! rnacos's address, `--pid` its process, and `--lag` must be 0.
//!
//! Usage: bench-heartbeat prepare|remove --url URL --token TOKEN --tenant ID --file F [--count N]
//!        bench-heartbeat creates --url URL[,URL...] --token TOKEN --tenant ID [--count N]
//!            [--id-prefix P]
//!        bench-heartbeat fleet --url URL[,URL...] --token TOKEN --tenant ID --pid PID[,PID...]
//!            [--cadence M[,M2...]] [--timeout T] [--warm-up S] [--window W] [--lag K] [--ramp]
//!            [--through] [--in-flight N] [--in-flight-for-rate] [--etcd-cadence|--nacos-cadence]
//!            [--label L] [--tsv FILE]
//!            [--on-created CMD] [--after-each CMD]
//!        bench-heartbeat fleet --nacos --url RNACOS_URL --pid PID --lag 0 [the same options]
//! `--through` runs every size in turn, each fleet removed before the next, past the first
//! that falls short: what the registry does beyond its capacity. `--in-flight` is the
//! number of heartbeats in flight at once (64); with `--in-flight-for-rate` a fleet gets at
//! least what its rate needs at twice the ramp's p99 bound, so that this tool never sets
//! the rate of nodes under a CPU quota. `--on-created` runs a
//! shell command once each fleet is created (bench/live cuts the node's CPU quota there),
//! `--after-each` once its window is over.
//! `creates` and `fleet` print Markdown table rows; `--tsv` appends "series size p99 timeouts"
//! lines for bench/chart.rs.

use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;
#[path = "fleet.rs"]
mod fleet;
#[path = "nacos.rs"]
mod nacos;
#[path = "target.rs"]
mod target;

use common::{argument, number, Live, Servers};
use fleet::{run_shell, Cadence, ClientCadence};
use futures_util::stream::{self, StreamExt};
use nacos::Nacos;
use target::Target;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let command = std::env::args()
        .nth(1)
        .expect("prepare, remove, creates or fleet");
    let urls = argument("--url").expect("--url");
    // rnacos is a fleet's peer: `--url` is then its address, with no tenant or token.
    let nacos = std::env::args().any(|a| a == "--nacos");
    let tenant = if nacos {
        String::new()
    } else {
        argument("--tenant").expect("--tenant")
    };
    // Every connection of the heartbeats in flight is kept for reuse, as each service of a
    // real fleet keeps its own.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host((number("--in-flight", 64) as usize).max(4096))
        .build()
        .unwrap();
    let token = if nacos {
        String::new()
    } else {
        argument("--token").expect("--token")
    };
    let nodes: Vec<Live> = urls
        .split(',')
        .map(|url| Live {
            client: http.clone(),
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
            Target::Registry(nodes).remove_all(ids).await;
        }
        "creates" => {
            let count = number("--count", 20_000) as usize;
            let label = argument("--label").unwrap_or_default();
            // Generators creating for one tenant at once each need ids of their own.
            let prefix = argument("--id-prefix").unwrap_or_else(|| "burst".to_owned());
            let prefix = prefix.as_str();
            // Each node gets its own clients, 64 requests in flight, and every n-th id, as
            // a tenant per node gets in its own process: a window shared by the nodes would
            // fill with a throttled node's requests and starve the others, which measures
            // the generator's coupling, not the tenant's.
            let per_node =
                futures_util::future::join_all(nodes.iter().enumerate().map(|(first, live)| {
                    let ids = (first..count).step_by(nodes.len());
                    async move {
                        let started = Instant::now();
                        let ids: Vec<String> = stream::iter(ids)
                            .map(|n| async move {
                                let id = format!("{prefix}-{n:07}");
                                live.create(&id, 120).await;
                                id
                            })
                            .buffer_unordered(64)
                            .collect()
                            .await;
                        let rate = ids.len() as f64 / started.elapsed().as_secs_f64();
                        (ids, rate)
                    }
                }))
                .await;
            let created: f64 = per_node.iter().map(|(_, rate)| rate).sum();
            let ids: Vec<String> = per_node.into_iter().flat_map(|(ids, _)| ids).collect();
            let started = Instant::now();
            Target::Registry(nodes.clone()).remove_all(ids).await;
            let removed = count as f64 / started.elapsed().as_secs_f64();
            println!(
                "| {label}creates, {count} services, 64 in flight per node, {} node(s) | {created:.0}/s | removes {removed:.0}/s |",
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
            // Heartbeats in flight at once (64; with `--in-flight-for-rate`, what the
            // fleet's rate needs, see `ClientCadence::in_flight_for`): a real fleet has no
            // such bound, so a run past a node's capacity raises it to let the node, not
            // this tool, queue them.
            let flag = |name: &str| std::env::args().any(|a| a == name);
            let client = ClientCadence {
                timeout_secs,
                in_flight: number("--in-flight", 64) as usize,
                in_flight_for_rate: flag("--in-flight-for-rate"),
                cadence: match (flag("--etcd-cadence"), flag("--nacos-cadence")) {
                    (false, false) => Cadence::Rsr,
                    (true, false) => Cadence::Etcd,
                    (false, true) => Cadence::Nacos,
                    (true, true) => panic!("one of --etcd-cadence and --nacos-cadence"),
                },
            };
            let target = if nacos {
                Target::Nacos(Nacos {
                    client: http.clone(),
                    base: format!("{urls}/nacos/v1/ns"),
                })
            } else {
                Target::Registry(nodes.clone())
            };
            let lag_count = number("--lag", 200) as usize;
            // The detection lag is read from the registry's feed; rnacos has none.
            assert!(
                !nacos || lag_count == 0,
                "--nacos measures no detection lag: pass --lag 0"
            );
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
                let round = fleet::round(
                    &target,
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
                let kept = round.timeouts == 0
                    && round.refused == 0
                    && round.p99 <= fleet::P99_BOUND.as_secs_f64() * 1000.0;
                if kept {
                    largest = Some(count);
                }
                if ramp || through {
                    target.remove_all(round.ids).await;
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
