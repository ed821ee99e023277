//! What a fleet renews against (the registry's nodes, or rnacos) and how its false
//! timeouts are known. Included by bench-heartbeat.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use service_registry::live::EventId;

use crate::common::{percentile, Live};
use crate::nacos::Nacos;

/// What a fleet renews against: the registry's nodes (each service on one of them), or
/// rnacos.
#[derive(Clone)]
pub enum Target {
    Registry(Vec<Live>),
    Nacos(Nacos),
}

impl Target {
    pub fn nodes(&self) -> usize {
        match self {
            Target::Registry(nodes) => nodes.len(),
            Target::Nacos(_) => 1,
        }
    }

    /// Registers the fleet's `n`th service; its token (none for rnacos).
    pub async fn register(&self, n: usize, id: &str, timeout_secs: u64) -> String {
        match self {
            Target::Registry(nodes) => nodes[n % nodes.len()].create(id, timeout_secs).await,
            Target::Nacos(nacos) => {
                nacos.register(id).await;
                String::new()
            }
        }
    }

    /// One renewal: the next token, or the status that refused it (0: no answer).
    pub async fn renew(&self, n: usize, id: &str, token: &str) -> Result<String, u16> {
        match self {
            Target::Registry(nodes) => nodes[n % nodes.len()].heartbeat(id, token).await,
            Target::Nacos(nacos) => nacos.beat(id).await.map(|()| String::new()),
        }
    }

    /// Deletes `ids`, 64 at a time, spread over the nodes; a delete refused for now (503)
    /// or unanswered is sent again, so no fleet is left behind to die during the next.
    pub async fn remove_all(&self, ids: Vec<String>) {
        stream::iter(ids.into_iter().enumerate())
            .for_each_concurrent(64, |(n, id)| async move {
                for _ in 0..40 {
                    let status = match self {
                        Target::Registry(nodes) => nodes[n % nodes.len()].remove(&id).await,
                        Target::Nacos(nacos) => nacos.remove(&id).await,
                    };
                    match status {
                        503 | 0 => tokio::time::sleep(Duration::from_millis(250)).await,
                        _ => return,
                    }
                }
                eprintln!("could not remove {id}");
            })
            .await;
    }
}

/// The services left to die during a fleet's window, for the detection lag.
pub struct Dying {
    prefix: String,
    count: usize,
}

impl Dying {
    pub async fn create(live: &Live, fleet: usize, count: usize) -> Dying {
        let prefix = format!("mortal{fleet}-");
        stream::iter(0..count)
            .for_each_concurrent(16, |n| {
                let id = format!("{prefix}{n:04}");
                async move {
                    live.create(&id, 3).await;
                }
            })
            .await;
        Dying { prefix, count }
    }

    /// The row of their timeout events' lag behind their deadlines.
    fn row(&self, fleet: usize, timeouts: &[serde_json::Value]) -> String {
        let mut lags: Vec<f64> = timeouts
            .iter()
            .filter(|e| {
                e["payload"]["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with(&self.prefix))
            })
            .map(|e| {
                let recorded = EventId::parse(e["id"].as_str().unwrap())
                    .and_then(EventId::millis)
                    .unwrap();
                (recorded - e["timestamp"].as_i64().unwrap()) as f64
            })
            .collect();
        lags.sort_by(f64::total_cmp);
        format!(
            "detection lag (timeout event recorded − deadline), {} services dying among {fleet} live | | p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms | | {} of {} timeout events",
            self.count,
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().copied().unwrap_or(f64::NAN),
            lags.len(),
            self.count,
        )
    }
}

/// How a fleet's false timeouts are known. The registry records each in its events feed,
/// read once the window is over. rnacos records none: its catalog is read every second
/// from the fleet's creation to the window's end, and the most instances found unhealthy
/// or gone at once are its false timeouts (an instance turns unhealthy only after 18 s
/// without a beat, and a beat that late fails the round by its p99 anyway).
pub enum Watch {
    Events {
        live: Live,
        prefix: String,
        count: usize,
        since_ms: i64,
    },
    Catalog(tokio::task::JoinHandle<usize>),
}

impl Watch {
    pub fn start(
        target: &Target,
        prefix: &str,
        count: usize,
        since_ms: i64,
        until: Instant,
    ) -> Watch {
        match target {
            Target::Registry(nodes) => Watch::Events {
                live: nodes[0].clone(),
                prefix: prefix.to_owned(),
                count,
                since_ms,
            },
            Target::Nacos(nacos) => {
                let (nacos, prefix) = (nacos.clone(), prefix.to_owned());
                Watch::Catalog(tokio::spawn(async move {
                    let mut worst = 0;
                    let mut every = tokio::time::interval(Duration::from_secs(1));
                    while Instant::now() < until {
                        every.tick().await;
                        match nacos.unhealthy(&prefix, count).await {
                            Some(unhealthy) => worst = worst.max(unhealthy),
                            None => eprintln!("rnacos's catalog did not answer"),
                        }
                    }
                    worst
                }))
            }
        }
    }

    /// The fleet's false timeouts up to the window's end, and the detection lag's row.
    pub async fn finish(self, window_end_ms: i64, dying: Option<Dying>) -> (usize, Vec<String>) {
        match self {
            Watch::Events {
                live,
                prefix,
                count,
                since_ms,
            } => {
                let timeouts = live
                    .events(&format!(
                        "type=service.timeout&marker={}",
                        EventId::first_at(since_ms)
                    ))
                    .await;
                // Once the window ends the fleet stops heartbeating: only deaths before
                // that count.
                let fleet = timeouts
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
                let lag_rows = dying.map(|d| d.row(count, &timeouts)).into_iter().collect();
                (fleet, lag_rows)
            }
            Watch::Catalog(polling) => (polling.await.expect("the catalog's watch"), Vec::new()),
        }
    }
}
