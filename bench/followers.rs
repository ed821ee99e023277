//! Followers of the events feed: long polls that wait for a tenant's next event, as RSR's
//! clients follow a feed, measured against writes.
//!
//! Opens K long polls (`wait=60`) on each of the tenants `--tenants FIRST:COUNT`, each
//! from the feed's current end, and waits until the server counts them all as waiting
//! (its `events_long_poll_waiters` gauge). Then, for `--idle S` seconds nothing is
//! written: the server's database calls and CPU time in that span say what waiting costs.
//! Then `--writes W` configuration values are set, one every `--every MS`, round robin
//! over the tenants; every follower of the written tenant must see the write's event, and
//! the time from the write's request to each follower's answer is measured. A follower
//! answered re-polls at once from its new marker, as a client would.
//!
//! Usage: bench-followers --url URL --token TOKEN --tenants FIRST:COUNT --per-tenant K
//!            --pid PID --metrics URL [--idle S] [--writes W] [--every MS] [--label L]
//! Prints one Markdown table row.

#[path = "common.rs"]
mod common;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{argument, cpu_seconds, number, percentile, rss_mib};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde::Deserialize;

/// Ten thousand answers a write, each allocated and freed: mimalloc, as the server uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The parts of a page of the feed this tool reads, borrowed from the body: ten thousand
/// followers' answers are parsed on the cores the server uses too, so parsing is lean.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    values: Vec<PageEvent<'a>>,
    #[serde(borrow)]
    metadata: PageMetadata<'a>,
}

#[derive(Deserialize)]
struct PageEvent<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow, default)]
    configuration_value_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct PageMetadata<'a> {
    #[serde(borrow, default)]
    next_marker: Option<Cow<'a, str>>,
}

impl<'a> Page<'a> {
    fn of(body: &'a [u8]) -> Result<Self, String> {
        serde_json::from_slice(body).map_err(|error| format!("{error}"))
    }
}

/// One follower's own connection, with no pool around it: reqwest's pool and layers cost
/// the machine the server runs on more than the server's answer did.
struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    host: String,
    token: String,
}

impl Connection {
    async fn open(url: &str, token: &str) -> Result<Self, String> {
        let host = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("not an http:// URL: {url}"))?
            .trim_end_matches('/')
            .to_owned();
        let stream = tokio::net::TcpStream::connect(&host)
            .await
            .map_err(|error| format!("{error}"))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("{error}"))?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|error| format!("{error}"))?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host,
            token: token.to_owned(),
        })
    }

    /// A page of `tenant`'s feed from `marker` (inclusive), waiting up to `wait` seconds:
    /// its body, read by [`Page::of`].
    async fn page(
        &mut self,
        tenant: u64,
        marker: Option<&str>,
        wait: u64,
    ) -> Result<Bytes, String> {
        let from = marker
            .map(|marker| format!("&marker={marker}"))
            .unwrap_or_default();
        let request = hyper::Request::get(format!(
            "/v1.0/{tenant}/events?limit=1000&wait={wait}{from}"
        ))
        .header(hyper::header::HOST, &self.host)
        .header("X-Auth-Token", &self.token)
        .body(Empty::new())
        .map_err(|error| format!("{error}"))?;
        let exchange = async {
            self.sender
                .ready()
                .await
                .map_err(|error| format!("{error}"))?;
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|error| format!("{error}"))?;
            if !response.status().is_success() {
                return Err(format!("{}", response.status()));
            }
            Ok(response
                .into_body()
                .collect()
                .await
                .map_err(|error| format!("{error}"))?
                .to_bytes())
        };
        // Past the longest wait asked for, with room: a server that never answers fails.
        tokio::time::timeout(Duration::from_secs(wait + 30), exchange)
            .await
            .map_err(|_| format!("no answer within {} s", wait + 30))?
    }
}

/// When each write was sent, by its configuration id.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

#[derive(Clone)]
struct Feed {
    client: reqwest::Client,
    url: String,
    token: String,
}

impl Feed {
    fn base(&self, tenant: u64) -> String {
        format!("{}/v1.0/{tenant}", self.url)
    }

    /// Sets `/bench/{name}` in `tenant`'s configuration, to a value it never had (an
    /// unchanged value records no event).
    async fn write(&self, tenant: u64, name: &str) {
        let value = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let response = self
            .client
            .put(format!("{}/configuration//bench/{name}", self.base(tenant)))
            .header("X-Auth-Token", &self.token)
            .body(format!(r#"{{"value": "{value}"}}"#))
            .send()
            .await
            .expect("the write is answered");
        assert_eq!(response.status().as_u16(), 204, "{name}");
    }

    /// The id of `tenant`'s last event: a write first, so the feed has one.
    async fn end_of(&self, tenant: u64) -> String {
        self.write(tenant, "start").await;
        let mut connection = Connection::open(&self.url, &self.token)
            .await
            .expect("a connection to the node");
        let mut marker: Option<String> = None;
        loop {
            let body = connection
                .page(tenant, marker.as_deref(), 0)
                .await
                .expect("the feed");
            let page = Page::of(&body).expect("a page of the feed");
            let last = page.values.last().expect("an event").id.to_string();
            if page.metadata.next_marker.is_none() {
                return last;
            }
            marker = Some(last);
        }
    }
}

/// One follower: long polls from `marker` until `stop`, on a connection of its own,
/// noting when each write's event arrived (latency from its request, in ms).
async fn follow(
    feed: Feed,
    tenant: u64,
    mut marker: String,
    sent: Sent,
    stop: Arc<AtomicBool>,
) -> (HashMap<String, f64>, usize) {
    let mut seen = HashMap::new();
    let mut failures = 0;
    let mut connection = None;
    while !stop.load(Ordering::SeqCst) {
        let answered = async {
            if connection.is_none() {
                connection = Some(Connection::open(&feed.url, &feed.token).await?);
            }
            let open = connection.as_mut().expect("opened above");
            let body = open.page(tenant, Some(&marker), 60).await?;
            let arrived = Instant::now();
            let page = Page::of(&body)?;
            for event in &page.values {
                if event.id == marker {
                    continue;
                }
                let name = event
                    .payload
                    .as_ref()
                    .and_then(|payload| payload.configuration_value_id.as_deref());
                if let Some(name) = name {
                    let written = sent.lock().unwrap().get(name).copied();
                    if let Some(written) = written {
                        let latency = arrived.duration_since(written).as_secs_f64() * 1000.0;
                        seen.insert(name.to_owned(), latency);
                    }
                }
            }
            if let Some(last) = page.values.last() {
                marker = last.id.to_string();
            }
            Ok::<(), String>(())
        }
        .await;
        if let Err(error) = answered {
            failures += 1;
            connection = None;
            eprintln!("a long poll of tenant {tenant} failed: {error}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    (seen, failures)
}

/// A counter or gauge of the server's Prometheus text.
async fn metric(client: &reqwest::Client, url: &str, name: &str) -> f64 {
    let text = scrape(client, url).await;
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// The server's Prometheus text. A busy node may close (or answer 408 on) a connection the
/// pool kept idle just as it is reused: such a scrape is tried again on a new one, as a
/// scraper would at its next interval; a third failure stops the run.
async fn scrape(client: &reqwest::Client, url: &str) -> String {
    let mut tries = 0;
    loop {
        let answer = async {
            let response = client.get(url).send().await?.error_for_status()?;
            response.text().await
        };
        match answer.await {
            Ok(text) => return text,
            Err(error) if tries < 2 => {
                tries += 1;
                eprintln!("scraping {url} failed, trying again: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("scraping {url}: {error}"),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let url = argument("--url").expect("--url");
    let token = argument("--token").expect("--token");
    let (first, count) = argument("--tenants")
        .expect("--tenants FIRST:COUNT")
        .split_once(':')
        .map(|(first, count)| (first.parse::<u64>().unwrap(), count.parse::<u64>().unwrap()))
        .expect("--tenants FIRST:COUNT");
    let per_tenant = number("--per-tenant", 10);
    let pid: u32 = argument("--pid").expect("--pid").parse().unwrap();
    let metrics = argument("--metrics").expect("--metrics URL");
    let idle = Duration::from_secs(number("--idle", 10));
    let writes = number("--writes", 20);
    let every = Duration::from_millis(number("--every", 1000));
    let label = argument("--label").unwrap_or_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    let feed = Feed {
        client: client.clone(),
        url,
        token,
    };
    let tenants: Vec<u64> = (first..first + count).collect();
    let followers = tenants.len() as u64 * per_tenant;
    let sent: Sent = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for &tenant in &tenants {
        let marker = feed.end_of(tenant).await;
        for _ in 0..per_tenant {
            tasks.push((
                tenant,
                tokio::spawn(follow(
                    feed.clone(),
                    tenant,
                    marker.clone(),
                    Arc::clone(&sent),
                    Arc::clone(&stop),
                )),
            ));
            // Connections opened a few hundred at a time, as a fleet's clients start.
            if tasks.len() % 250 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    let started = Instant::now();
    while (metric(&client, &metrics, "events_long_poll_waiters").await as u64) < followers {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the server counts {} of {followers} followers waiting",
            metric(&client, &metrics, "events_long_poll_waiters").await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The gauge counts a follower from its request's start: its first read may still be
    // under way. Two seconds for those to finish, then nothing is written for a while.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (calls, cpu) = (
        metric(&client, &metrics, "db_calls_total").await,
        cpu_seconds(pid),
    );
    tokio::time::sleep(idle).await;
    let idle_calls =
        (metric(&client, &metrics, "db_calls_total").await - calls) / idle.as_secs_f64();
    let idle_cpu = (cpu_seconds(pid) - cpu) / idle.as_secs_f64();

    // The writes, each awaited by every follower of its tenant.
    let cpu = cpu_seconds(pid);
    let own_cpu = cpu_seconds(std::process::id());
    let calls = metric(&client, &metrics, "db_calls_total").await;
    let mut expected: HashMap<u64, Vec<String>> = HashMap::new();
    for n in 0..writes {
        let tenant = tenants[(n % count) as usize];
        let name = format!("w{n:05}");
        sent.lock()
            .unwrap()
            .insert(format!("/bench/{name}"), Instant::now());
        feed.write(tenant, &name).await;
        expected
            .entry(tenant)
            .or_default()
            .push(format!("/bench/{name}"));
        tokio::time::sleep(every).await;
    }
    // The last write's followers have had `every` to answer; a second more, then stop.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let write_cpu = (cpu_seconds(pid) - cpu) / writes as f64;
    let write_calls = (metric(&client, &metrics, "db_calls_total").await - calls) / writes as f64;
    // This tool's own CPU: on a shared machine, what its answers' latency includes.
    let own_write_cpu = (cpu_seconds(std::process::id()) - own_cpu) / writes as f64;
    let rss = rss_mib(pid);
    stop.store(true, Ordering::SeqCst);
    // Wake the followers that still wait, so they see the stop.
    for &tenant in &tenants {
        feed.write(tenant, "stop").await;
    }
    let mut latencies = Vec::new();
    let (mut missed, mut failures) = (0, 0);
    for (tenant, task) in tasks {
        let (seen, failed) = task.await.unwrap();
        failures += failed;
        for name in expected.get(&tenant).into_iter().flatten() {
            match seen.get(name) {
                Some(latency) => latencies.push(*latency),
                None => missed += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "| {label}{followers} followers ({count} tenant(s) × {per_tenant}) | {writes} | {} | {missed} | {:.0} | {:.0} | {:.0} | {idle_calls:.1} | {:.3} | {:.3} | {write_calls:.0} | {own_write_cpu:.3} | {rss:.0} | {failures} |",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        idle_cpu,
        write_cpu,
    );
}
