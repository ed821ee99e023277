//! Group commit under faults: nodes killed with SIGKILL while a fleet of 200 heartbeats
//! every 20 ms (so batches are always in flight). An answered heartbeat was committed: its
//! token works after the restart. A restart shorter than the timeout times nothing out.
//! Of two nodes, the survivor keeps the fleet alive and reaps alone.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::node::*;
use crate::helpers::*;

pub(super) const TENANT: i64 = 4343;
/// The fleet's heartbeat timeout (s): longer than a restart, short enough for a test.
const TIMEOUT: u64 = 8;
const FLEET: usize = 200;
/// Between one client's heartbeats: 200 clients keep batches in flight all the time
/// without starving the test's own runtime.
const PACE: Duration = Duration::from_millis(20);

/// Where the fleet sends its requests: the nodes' addresses, replaced on a restart.
#[derive(Clone)]
pub(super) struct Route {
    nodes: Arc<RwLock<Vec<String>>>,
    token: String,
    client: reqwest::Client,
}

impl Route {
    pub(super) fn new(nodes: Vec<String>, token: String) -> Self {
        Self {
            nodes: Arc::new(RwLock::new(nodes)),
            token,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    pub(super) fn node(&self, n: usize) -> String {
        let nodes = self.nodes.read().unwrap();
        nodes[n % nodes.len()].clone()
    }

    pub(super) fn replace(&self, nodes: Vec<String>) {
        *self.nodes.write().unwrap() = nodes;
    }

    /// (status, body), or why no answer came.
    pub(super) async fn post(
        &self,
        node: &str,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), Unanswered> {
        let response = self
            .client
            .post(format!("{node}/v1.0/{TENANT}{path}"))
            .header("X-Auth-Token", &self.token)
            .body(body.to_string())
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() {
                    Unanswered::Refused
                } else {
                    eprintln!("{path} on {node}: {error:?}");
                    Unanswered::Cut
                }
            })?;
        let status = response.status();
        // A node too busy to read a request in time refuses it unread, without a body.
        if status == StatusCode::REQUEST_TIMEOUT {
            return Ok((status, Value::Null));
        }
        let body = response.json().await.map_err(|error| {
            eprintln!("{path} on {node}: {status}, {error:?}");
            Unanswered::Cut
        })?;
        Ok((status, body))
    }

    pub(super) async fn get(&self, node: &str, path: &str) -> Value {
        let response = self
            .client
            .get(format!("{node}/v1.0/{TENANT}{path}"))
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Creates `id`, again while the node refuses for now (408 unread, 503).
    pub(super) async fn create(&self, node: &str, id: &str, timeout: u64) -> String {
        loop {
            let (status, body) = self
                .post(
                    node,
                    "/services",
                    &json!({"id": id, "heartbeat_timeout": timeout}),
                )
                .await
                .unwrap_or_else(|why| panic!("{node} did not answer the create of {id}: {why:?}"));
            if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::SERVICE_UNAVAILABLE {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            assert_eq!(status, StatusCode::CREATED, "{body}");
            return body["token"].as_str().unwrap().to_owned();
        }
    }

    /// The service id of every event of the tenant's feed of type `kind`.
    pub(super) async fn events_of(&self, node: &str, kind: &str) -> Vec<String> {
        self.stamped_events_of(node, kind)
            .await
            .expect("the node serves the feed")
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// (service id, timestamp) of every event of the tenant's feed of type `kind`, or
    /// `None` while the node does not answer 200.
    pub(super) async fn stamped_events_of(
        &self,
        node: &str,
        kind: &str,
    ) -> Option<Vec<(String, i64)>> {
        let response = self
            .client
            .get(format!(
                "{node}/v1.0/{TENANT}/events?type={kind}&limit=1000"
            ))
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .ok()?;
        if response.status() != StatusCode::OK {
            return None;
        }
        let page: Value = response.json().await.ok()?;
        Some(
            page["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|event| {
                    (
                        event["payload"]["id"].as_str().unwrap().to_owned(),
                        event["timestamp"].as_i64().unwrap(),
                    )
                })
                .collect(),
        )
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unanswered {
    /// No connection: the request never reached a node.
    Refused,
    /// The connection ended before the answer: the node may have committed it.
    Cut,
}

/// What became of one service's client.
#[derive(Debug, Default)]
struct Client {
    id: String,
    answered: u64,
    /// A heartbeat went unanswered (its node died): it may have committed, spending the
    /// token the client still holds.
    in_doubt: bool,
    /// Whether a heartbeat was cut off by its node's death.
    interrupted: bool,
    /// The token held was refused after an unanswered heartbeat: that one had committed.
    spent_by_unanswered: bool,
    /// What must never happen: an answered token refused, or the service gone.
    lost: Option<String>,
}

/// What the test and the fleet's clients share: when to stop, and how many clients have
/// had a heartbeat answered.
#[derive(Default)]
struct Control {
    stop: AtomicBool,
    answered: AtomicUsize,
}

impl Control {
    /// Waits until every client of the fleet has had a heartbeat answered: a kill then
    /// comes while each holds a token it was given.
    async fn until_every_client_answered(&self) {
        let bound = Duration::from_secs(TIMEOUT);
        until_holds("every client heartbeated", bound, || async {
            self.answered.load(Ordering::SeqCst) == FLEET
        })
        .await;
    }
}

/// Heartbeats every `PACE` through node `n` of `route` (the next one when it does not
/// answer, once `route` has another) until told to stop.
async fn heartbeat(
    route: Route,
    n: usize,
    id: String,
    mut token: String,
    control: Arc<Control>,
) -> Client {
    let mut client = Client {
        id: id.clone(),
        ..Client::default()
    };
    let mut node = route.node(n);
    while !control.stop.load(Ordering::SeqCst) {
        match route
            .post(
                &node,
                &format!("/services/{id}/heartbeat"),
                &json!({ "token": token }),
            )
            .await
        {
            Ok((StatusCode::OK, body)) => {
                token = body["token"].as_str().unwrap().to_owned();
                if client.answered == 0 {
                    control.answered.fetch_add(1, Ordering::SeqCst);
                }
                client.answered += 1;
                client.in_doubt = false;
                tokio::time::sleep(PACE).await;
            }
            Ok((StatusCode::NOT_FOUND, body)) if client.in_doubt => {
                if body["details"]
                    .as_str()
                    .unwrap_or("")
                    .contains("HeartbeatMarker")
                {
                    client.spent_by_unanswered = true;
                } else {
                    client.lost = Some(format!("gone after an unanswered heartbeat: {body}"));
                }
                return client;
            }
            // Refused for now, unread or unrun: the token still holds.
            Ok((StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT, _)) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Ok((status, body)) => {
                client.lost = Some(format!("{status} to an answered token: {body}"));
                return client;
            }
            Err(why) => {
                if why == Unanswered::Cut {
                    client.in_doubt = true;
                    client.interrupted = true;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                // A restarted node has a new address; of two nodes, the other one.
                node = route.node(n + usize::from(route.node(n) == node));
            }
        }
    }
    client
}

/// A tenant with room for the fleet, created before `serve` starts.
pub(super) fn prepare(database_url: &str) {
    let created = cli(
        database_url,
        &["tenant", "create", "durable", "--id", &TENANT.to_string()],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let limited = cli(
        database_url,
        &[
            "tenant",
            "limits",
            &TENANT.to_string(),
            "--services",
            "10000",
        ],
    );
    assert!(limited.status.success(), "{}", stderr(&limited));
}

/// Starts one heartbeating client per service, spread over the route's nodes.
async fn fleet(
    route: &Route,
    prefix: &str,
    control: &Arc<Control>,
) -> Vec<tokio::task::JoinHandle<Client>> {
    let mut clients = Vec::new();
    for n in 0..FLEET {
        let id = format!("{prefix}-{n:03}");
        let token = route.create(&route.node(n), &id, TIMEOUT).await;
        clients.push(tokio::spawn(heartbeat(
            route.clone(),
            n,
            id,
            token,
            Arc::clone(control),
        )));
    }
    clients
}

async fn outcomes(clients: Vec<tokio::task::JoinHandle<Client>>) -> Vec<Client> {
    let mut outcomes = Vec::new();
    for client in clients {
        outcomes.push(client.await.unwrap());
    }
    outcomes
}

fn assert_none_lost(clients: &[Client]) {
    let lost: Vec<String> = clients
        .iter()
        .filter_map(|c| c.lost.as_ref().map(|why| format!("{}: {why}", c.id)))
        .collect();
    assert!(lost.is_empty(), "{lost:#?}");
    assert!(
        clients.iter().all(|c| c.answered > 0),
        "every client heartbeated"
    );
}

/// One node on a fresh database with the fleets' tenant, and the route to it.
pub(super) fn one_node(backend: Backend) -> (TestDatabase, tempfile::TempDir, Node, Route) {
    let database = TestDatabase::new(backend);
    let logs = tempfile::tempdir().unwrap();
    prepare(&database.url);
    let node = Node::start(&database.url, logs.path().join("first.log"));
    let route = Route::new(
        vec![node.address.clone()],
        node.bootstrap_token.clone().unwrap(),
    );
    (database, logs, node, route)
}

async fn answered_heartbeats_survive_kill_9(backend: Backend) {
    let (database, logs, node, route) = one_node(backend);
    let control = Arc::new(Control::default());
    let clients = fleet(&route, "durable", &control).await;
    control.until_every_client_answered().await;

    let log = node.kill();
    let down = Instant::now();
    let restarted = Node::start(&database.url, logs.path().join("restarted.log"));
    let restart = down.elapsed();
    assert!(
        restart < Duration::from_secs(TIMEOUT) / 2,
        "the restart took {restart:?}, too long for a {TIMEOUT} s timeout\n{log}"
    );
    route.replace(vec![restarted.address.clone()]);
    // Past the deadlines the services had when the node died: a lost heartbeat or a
    // restart that timed services out would show by now.
    tokio::time::sleep(Duration::from_secs(TIMEOUT) + Duration::from_secs(1)).await;
    control.stop.store(true, Ordering::SeqCst);
    let clients = outcomes(clients).await;

    assert_none_lost(&clients);
    assert!(
        clients.iter().any(|c| c.interrupted),
        "the kill came while heartbeats were in flight"
    );
    // Only a service whose client lost its token to an unanswered heartbeat may die.
    let spent: HashSet<&str> = clients
        .iter()
        .filter(|c| c.spent_by_unanswered)
        .map(|c| c.id.as_str())
        .collect();
    let timed_out = route.events_of(&restarted.address, "service.timeout").await;
    assert!(
        timed_out.iter().all(|id| spent.contains(id.as_str())),
        "timed out: {timed_out:?}; spent by unanswered heartbeats: {spent:?}\n{}",
        restarted.log_text()
    );
    let listed = route.get(&restarted.address, "/services?limit=1000").await;
    let alive = listed["values"].as_array().unwrap().len();
    assert!(
        alive + spent.len() >= FLEET,
        "{alive} alive, {} spent",
        spent.len()
    );
}

on_both_backends!(answered_heartbeats_survive_kill_9);

/// Two nodes on one PostgreSQL; one is killed. Its clients move to the other, which keeps
/// every service alive and alone times out the services nobody heartbeats, once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn the_survivor_of_two_nodes_keeps_the_fleet_alive_and_reaps_alone() {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    prepare(&database.url);
    let a = Node::start(&database.url, logs.path().join("a.log"));
    let b = Node::start(&database.url, logs.path().join("b.log"));
    let route = Route::new(
        vec![a.address.clone(), b.address.clone()],
        a.bootstrap_token.clone().unwrap(),
    );
    let control = Arc::new(Control::default());
    let clients = fleet(&route, "pair", &control).await;
    control.until_every_client_answered().await;

    // Services nobody heartbeats, created on the node about to die.
    let mortal: Vec<String> = (0..20).map(|n| format!("mortal-{n:02}")).collect();
    for id in &mortal {
        route.create(&a.address, id, 3).await;
    }
    a.kill();
    route.replace(vec![b.address.clone()]);
    // The fleet beats on past the deadlines its services had when the node died, so a
    // lost heartbeat would show, and until the survivor has reaped every mortal. A loaded
    // node's clock runs behind (it times nothing out that it has not caught up with), so
    // the mortals are polled for, within a bound far past their 3 s timeout.
    let past_deadlines = Instant::now() + Duration::from_secs(TIMEOUT + 1);
    let bound = Duration::from_secs(8 * TIMEOUT);
    eventually("the survivor to reap every mortal", bound, || async {
        let timed_out = route.events_of(&b.address, "service.timeout").await;
        let all =
            Instant::now() >= past_deadlines && mortal.iter().all(|id| timed_out.contains(id));
        all.then_some(())
    })
    .await;
    control.stop.store(true, Ordering::SeqCst);
    let clients = outcomes(clients).await;

    assert_none_lost(&clients);
    let spent: HashSet<&str> = clients
        .iter()
        .filter(|c| c.spent_by_unanswered)
        .map(|c| c.id.as_str())
        .collect();
    let mut timed_out = route.events_of(&b.address, "service.timeout").await;
    timed_out.sort();
    let unique: HashSet<&String> = timed_out.iter().collect();
    assert_eq!(
        unique.len(),
        timed_out.len(),
        "one timeout per service: {timed_out:?}"
    );
    for id in &mortal {
        assert!(unique.contains(id), "{id} was not reaped: {timed_out:?}");
    }
    assert!(
        timed_out
            .iter()
            .all(|id| mortal.contains(id) || spent.contains(id.as_str())),
        "a heartbeating service timed out: {timed_out:?}\n{}",
        b.log_text()
    );
}
