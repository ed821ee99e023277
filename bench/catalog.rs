//! Catalogs backed by live fleets (docs/contract.md, "The catalog"), driven over HTTP.
//!
//! On a server with tenant `--tenant` (which needs a service limit above `--fleet`) and a
//! DU principal `--user` with `--password` in it:
//! 1. a fleet of `--fleet` live services (timeout 120 s), each tagged `fleet-K` for K in
//!    0..`--templates`;
//! 2. a registered service and `--templates` global templates: v3 validation and token
//!    issue (v2.0 rescoping with a token, v3 with a token), each with its catalog, each
//!    for `--seconds` with `--in-flight` requests at once, with the templates unbound, then
//!    bound to the fleet (tag `fleet-K`, minAlive 1), bound, unbound: each figure the mean
//!    of its two, and the ratio of bound to unbound;
//! 3. `--lag` services with a 3 s timeout, each alone backing a template of its own, left
//!    to die: from each one's deadline (at most 3 s after its create was answered) to the
//!    first catalog read (every 20 ms) without its template: p50, p99, max.
//!
//! Usage: bench-catalog --url URL --token SA_TOKEN --tenant T --user NAME --password P
//!            [--fleet 100000] [--templates 20] [--seconds 10] [--in-flight 16] [--lag 50]
//!            [--label L]
//! Prints Markdown table rows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common.rs"]
mod common;

use common::{argument, number, percentile, Live};
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

const LAG_TIMEOUT: u64 = 3;

struct Bench {
    client: reqwest::Client,
    url: String,
    token: String,
    tenant: String,
}

impl Bench {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send_as(&self.token, method, path, body).await
    }

    /// A rescope must carry the token it rescopes in X-Auth-Token, if any.
    async fn send_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.url))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn expect(&self, method: reqwest::Method, path: &str, body: Value, status: u16) {
        let (got, reply) = self.send(method, path, Some(body)).await;
        assert_eq!(got, status, "{path}: {reply}");
    }

    fn template(&self, id: u64, tag: Option<&str>) -> Value {
        let mut template = json!({
            "id": id.to_string(), "name": "Bench Catalog", "type": "bench",
            "region": format!("region-{id}"), "publicURL": format!("https://bench/{id}/%tenant_id%"),
            "global": true,
        });
        if let Some(tag) = tag {
            template["liveness"] = json!({"tenantId": self.tenant, "tag": tag, "minAlive": 1});
        }
        json!({ "endpointTemplate": template })
    }

    async fn put_template(&self, id: u64, tag: Option<&str>) {
        let path = format!("/v2.0/HP-IDM/v1.0/endpointTemplates/{id}");
        self.expect(reqwest::Method::PUT, &path, self.template(id, tag), 200)
            .await;
    }
}

/// Requests per second and latency of `request` run back to back by `in_flight` tasks.
async fn rate<F, Fut>(seconds: u64, in_flight: usize, request: F) -> (f64, f64, f64)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (stop, latencies, done, request) = (
                stop.clone(),
                latencies.clone(),
                done.clone(),
                request.clone(),
            );
            tokio::spawn(async move {
                let mut own = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    request().await;
                    own.push(sent.elapsed().as_secs_f64() * 1000.0);
                    done.fetch_add(1, Ordering::Relaxed);
                }
                latencies.lock().unwrap().extend(own);
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let per_second = done.load(Ordering::Relaxed) as f64 / elapsed;
    (
        per_second,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

/// The operations measured: v3 validation (which writes nothing) first, then v2.0
/// rescoping and v3 issue (each adds a token row).
const OPERATIONS: [&str; 3] = [
    "v3 token validation (GET /v3/auth/tokens), with its catalog",
    "v2.0 token issue (token credentials), with its catalog",
    "v3 token issue (token method), with its catalog",
];

/// One operation of [`OPERATIONS`] by index, run back to back over a user token.
async fn one_rate(
    operation: usize,
    bench: &Arc<Bench>,
    user_token: &str,
    seconds: u64,
    in_flight: usize,
) -> (f64, f64, f64) {
    let (b, t) = (bench.clone(), user_token.to_owned());
    rate(seconds, in_flight, move || {
        let (b, t) = (b.clone(), t.clone());
        async move {
            match operation {
                0 => {
                    let response = b
                        .client
                        .get(format!("{}/v3/auth/tokens", b.url))
                        .header("X-Auth-Token", &b.token)
                        .header("X-Subject-Token", &t)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status().as_u16(), 200);
                    response.bytes().await.unwrap();
                }
                1 => {
                    let body = json!({"auth": {"token": {"id": t}, "tenantId": b.tenant}});
                    let (status, reply) = b
                        .send_as(&t, reqwest::Method::POST, "/v2.0/tokens", Some(body))
                        .await;
                    assert_eq!(status, 200, "{reply}");
                }
                _ => {
                    let body = json!({"auth": {"identity": {"methods": ["token"], "token": {"id": t}},
                        "scope": {"project": {"id": b.tenant}}}});
                    let (status, reply) = b
                        .send_as(&t, reqwest::Method::POST, "/v3/auth/tokens", Some(body))
                        .await;
                    assert_eq!(status, 201, "{reply}");
                }
            }
        }
    })
    .await
}

/// The template ids in a v3 catalog.
async fn catalog_ids(bench: &Bench, user_token: &str) -> Vec<String> {
    let response = bench
        .client
        .get(format!("{}/v3/auth/catalog", bench.url))
        .header("X-Auth-Token", user_token)
        .send()
        .await
        .unwrap();
    let catalog: Value = response.json().await.unwrap();
    catalog["catalog"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|service| service["endpoints"].as_array().unwrap().clone())
        .map(|e| {
            e["id"]
                .as_str()
                .unwrap()
                .split('-')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let bench = Arc::new(Bench {
        client: client.clone(),
        url: argument("--url").expect("--url"),
        token: argument("--token").expect("--token"),
        tenant: argument("--tenant").expect("--tenant"),
    });
    let fleet = number("--fleet", 100_000) as usize;
    let templates = number("--templates", 20);
    let seconds = number("--seconds", 10);
    let in_flight = number("--in-flight", 16) as usize;
    let lag = number("--lag", 50);
    let label = argument("--label").unwrap_or_default();
    let live = Live {
        client: client.clone(),
        base: format!("{}/v1.0/{}", bench.url, bench.tenant),
        token: bench.token.clone(),
    };

    // The fleet, every service tagged for one of the templates.
    let started = Instant::now();
    stream::iter(0..fleet)
        .for_each_concurrent(32, |n| {
            let live = live.clone();
            async move {
                let body = json!({"id": format!("fleet-{n:06}"), "heartbeat_timeout": 120,
                    "tags": [format!("fleet-{}", n as u64 % templates)]});
                let (status, reply) = live
                    .post("/services", &body)
                    .await
                    .expect("the server answers");
                assert_eq!(status, 201, "{reply}");
            }
        })
        .await;
    eprintln!("created {fleet} live services in {:.0?}", started.elapsed());

    let service = json!({"registerService": {"id": "900001", "serviceName": "Bench Catalog",
        "serviceType": "bench", "releaseState": "public"}});
    bench
        .expect(
            reqwest::Method::POST,
            "/v2.0/HP-IDM/v1.0/services",
            service,
            201,
        )
        .await;
    for id in 1..=templates {
        let path = "/v2.0/HP-IDM/v1.0/endpointTemplates";
        bench
            .expect(reqwest::Method::POST, path, bench.template(id, None), 201)
            .await;
    }
    let login = json!({"auth": {"passwordCredentials": {"username": argument("--user").expect("--user"),
        "password": argument("--password").expect("--password")}, "tenantId": bench.tenant}});
    let (status, access) = bench
        .send(reqwest::Method::POST, "/v2.0/tokens", Some(login))
        .await;
    assert_eq!(status, 200, "{access}");
    let user_token = access["access"]["token"]["id"].as_str().unwrap().to_owned();

    // Each operation unbound, bound, bound, unbound (each figure the mean of its two): what
    // drifts through the run (the tokens table grows with every issue) falls on both alike.
    let mut bound_now = None;
    for (operation, what) in OPERATIONS.iter().enumerate() {
        let mut sums = [(0.0, 0.0, 0.0); 2];
        for bind in [false, true, true, false] {
            if bound_now != Some(bind) {
                for id in 1..=templates {
                    let tag = format!("fleet-{}", id - 1);
                    bench.put_template(id, bind.then_some(tag.as_str())).await;
                }
                let served = catalog_ids(&bench, &user_token).await;
                assert_eq!(
                    served.len() as u64,
                    templates,
                    "every template is served: {served:?}"
                );
                bound_now = Some(bind);
            }
            let (rps, p50, p99) =
                one_rate(operation, &bench, &user_token, seconds, in_flight).await;
            let sum = &mut sums[usize::from(bind)];
            *sum = (sum.0 + rps / 2.0, sum.1 + p50 / 2.0, sum.2 + p99 / 2.0);
        }
        let [(u_rps, u50, u99), (b_rps, b50, b99)] = sums;
        println!(
            "| {label}{what}, {templates} templates | {u_rps:.0} | {u50:.2} / {u99:.2} | {b_rps:.0} | {b50:.2} / {b99:.2} | {:.2} |",
            b_rps / u_rps
        );
    }

    // The lag: one service alone behind each of `lag` templates, left to die.
    let mut deadlines = HashMap::new();
    for k in 0..lag {
        let id = 1000 + k;
        let tag = format!("lag-{k}");
        let body =
            json!({"id": format!("lag-{k:03}"), "heartbeat_timeout": LAG_TIMEOUT, "tags": [tag]});
        let post = "/v2.0/HP-IDM/v1.0/endpointTemplates";
        bench
            .expect(
                reqwest::Method::POST,
                post,
                bench.template(id, Some(&tag)),
                201,
            )
            .await;
        let (status, reply) = live
            .post("/services", &body)
            .await
            .expect("the server answers");
        assert_eq!(status, 201, "{reply}");
        deadlines.insert(
            id.to_string(),
            Instant::now() + Duration::from_secs(LAG_TIMEOUT),
        );
    }
    let mut lags = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(LAG_TIMEOUT + 30);
    while !deadlines.is_empty() && Instant::now() < give_up {
        let read = Instant::now();
        let ids = catalog_ids(&bench, &user_token).await;
        deadlines.retain(|id, deadline| {
            if ids.contains(id) {
                return true;
            }
            // Left out of a read that started at `read`: it left at most then.
            lags.push(read.saturating_duration_since(*deadline).as_secs_f64() * 1000.0);
            false
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        deadlines.is_empty(),
        "templates still served 30 s after their deadline: {deadlines:?}"
    );
    lags.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {label}from a fleet's deadline to its template leaving the catalog, {lag} fleets | p50 {:.0} ms | p99 {:.0} ms | max {:.0} ms |",
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        lags.last().copied().unwrap_or(0.0)
    );
}
