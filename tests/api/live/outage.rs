//! The registry's own outages are never blamed on its services (docs/contract.md,
//! "Timeout"). Each outage starts once the services exist and lasts twice their timeout,
//! so their deadlines fall inside it: every node killed (kill -9) and started again, the
//! only node frozen (SIGSTOP) and thawed, the database cut off while the node keeps
//! answering 503. Afterwards:
//! - services that heartbeat again with the token they hold within one timeout of the
//!   return: no timeout;
//! - services that never do: exactly one `service.timeout` each, stamped with the
//!   resumption (the watch's stamp that ended the outage) plus their timeout;
//! - services whose deadline lies after the resumption keep their own deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Nullable};
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::json;
use service_registry::platform::db::{Database, DatabaseUrl, DbError};
use service_registry::settings::{DatabaseSettings, Settings};

use super::durability::{one_node, prepare, Route};
use crate::helpers::node::*;
use crate::helpers::proxy::{reroute, Proxy};
use crate::helpers::*;

/// The timeout of the services the outage covers (s).
const TIMEOUT: u64 = 3;
/// Services whose deadline lies after the resumption: created just before the outage.
const LONG_TIMEOUT: u64 = 5 * TIMEOUT;
const EACH: usize = 8;

/// What the registry recorded of its last outage: (its last watch before, the resumption).
fn recorded_outage(database_url: &str) -> (Option<i64>, Option<i64>) {
    #[derive(diesel::QueryableByName)]
    struct Watched {
        #[diesel(sql_type = Nullable<BigInt>)]
        outage_started: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        outage_ended: Option<i64>,
    }
    let database = Database::open(
        DatabaseUrl::parse(database_url).unwrap(),
        &DatabaseSettings::default(),
    )
    .unwrap();
    let watched = database
        .with_connection(|conn| {
            diesel::sql_query("SELECT outage_started, outage_ended FROM live_watch")
                .get_result::<Watched>(conn)
                .map_err(DbError::from)
        })
        .unwrap();
    (watched.outage_started, watched.outage_ended)
}

/// The services an outage is about to cover, each with the token it holds.
struct Fleet {
    returning: HashMap<String, String>,
    silent: Vec<String>,
    /// (id, created after) of services with the long timeout, never heartbeated.
    later: Vec<(String, i64)>,
}

async fn fleet(route: &Route, node: &str) -> Fleet {
    let mut fleet = Fleet {
        returning: HashMap::new(),
        silent: Vec::new(),
        later: Vec::new(),
    };
    for n in 0..EACH {
        let id = format!("later-{n}");
        route.create(node, &id, LONG_TIMEOUT).await;
        fleet.later.push((id, now_ms()));
    }
    for n in 0..EACH {
        let id = format!("returning-{n}");
        let token = route.create(node, &id, TIMEOUT).await;
        fleet.returning.insert(id, token);
        let id = format!("silent-{n}");
        route.create(node, &id, TIMEOUT).await;
        fleet.silent.push(id);
    }
    fleet
}

/// One heartbeat of `id` with `token`, again while the registry refuses for now (503) or
/// cannot be reached; the next token. Any other answer fails the test.
async fn heartbeat_through(route: &Route, n: usize, id: &str, token: &str) -> String {
    loop {
        match route
            .post(
                &route.node(n),
                &format!("/services/{id}/heartbeat"),
                &json!({ "token": token }),
            )
            .await
        {
            Ok((StatusCode::OK, body)) => return body["token"].as_str().unwrap().to_owned(),
            Ok((StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT, _)) | Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok((status, body)) => {
                panic!("{id}'s heartbeat with the token it holds: {status} {body}")
            }
        }
    }
}

/// Heartbeats every returning service once with the token it held through the outage
/// (accepted: the outage did not time it out), then keeps them beating at half the
/// timeout until `stop`.
async fn return_and_keep_beating(
    route: Route,
    returning: HashMap<String, String>,
    stop: Arc<AtomicBool>,
) {
    let mut tokens = returning;
    let ids: Vec<String> = tokens.keys().cloned().collect();
    for (n, id) in ids.iter().enumerate() {
        let token = heartbeat_through(&route, n, id, &tokens[id]).await;
        tokens.insert(id.clone(), token);
    }
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(TIMEOUT) / 2).await;
        for (n, id) in ids.iter().enumerate() {
            let token = heartbeat_through(&route, n, id, &tokens[id]).await;
            tokens.insert(id.clone(), token);
        }
    }
}

/// After the outage: the returning services come back, and the feed is judged once every
/// service with the short timeout or the long one has had its say.
async fn judge(route: &Route, database_url: &str, fleet: Fleet, began: i64, back: Instant) {
    let ended = now_ms() - millis(back.elapsed());
    let stop = Arc::new(AtomicBool::new(false));
    let beating = tokio::spawn(return_and_keep_beating(
        route.clone(),
        fleet.returning.clone(),
        Arc::clone(&stop),
    ));
    // The silent services die at the resumption plus their timeout, and those with the long
    // timeout at their own deadline; then a reaper pass, and slack for a loaded machine.
    let last_deadline = fleet
        .later
        .iter()
        .map(|(_, created)| *created)
        .max()
        .unwrap()
        + millis(Duration::from_secs(LONG_TIMEOUT));
    let settings = Settings::default().live;
    let bound = last_deadline.max(now_ms() + millis(Duration::from_secs(2 * TIMEOUT)))
        + millis(settings.outage_threshold + 4 * settings.reaper_interval)
        + 3000;
    let expected = fleet.silent.len() + fleet.later.len();
    let mut timed_out = Vec::new();
    while timed_out.len() < expected && now_ms() < bound {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Some(read) = route
            .stamped_events_of(&route.node(0), "service.timeout")
            .await
        {
            timed_out = read;
        }
    }
    stop.store(true, Ordering::SeqCst);
    beating.await.unwrap();

    let stamps: HashMap<&str, i64> = timed_out
        .iter()
        .map(|(id, at)| (id.as_str(), *at))
        .collect();
    assert_eq!(
        stamps.len(),
        timed_out.len(),
        "one timeout each: {timed_out:?}"
    );
    // Every silent service timed out once, all at one resumption plus their timeout, and
    // that resumption came after the outage had ended.
    let silent: Vec<Option<i64>> = fleet
        .silent
        .iter()
        .map(|id| stamps.get(id.as_str()).copied())
        .collect();
    let resumption =
        silent[0].expect("the silent services timed out") - millis(Duration::from_secs(TIMEOUT));
    assert!(
        silent.iter().all(|at| *at == silent[0]) && resumption >= ended,
        "silent services timed out at the resumption ({resumption}, the outage ended at \
         {ended}) plus their timeout: {timed_out:?}"
    );
    let (started, resumed) = recorded_outage(database_url);
    let (started, resumed) = (started.unwrap(), resumed.unwrap());
    assert!(
        started > 0 && resumed >= resumption,
        "recorded: {started}..{resumed}"
    );
    if started <= began {
        // The last outage recorded is this one (a loaded machine may record a later one).
        assert_eq!(resumed, resumption, "recorded: {started}..{resumed}");
    }
    for (id, created) in &fleet.later {
        let at = stamps.get(id.as_str()).copied();
        assert!(
            at.is_some_and(|at| at < resumption + millis(Duration::from_secs(LONG_TIMEOUT))),
            "{id} (created by {created}) kept its own deadline: {at:?}, resumed {resumption}"
        );
    }
    let returning_timed_out: Vec<&String> = fleet
        .returning
        .keys()
        .filter(|id| stamps.contains_key(id.as_str()))
        .collect();
    assert!(
        returning_timed_out.is_empty(),
        "services that heartbeated after the outage were timed out: {returning_timed_out:?}"
    );
    let listed = route.get(&route.node(0), "/services?limit=1000").await;
    assert_eq!(
        listed["values"].as_array().unwrap().len(),
        fleet.returning.len(),
        "{listed}"
    );
}

/// The outage's length: twice the timeout.
fn outage() -> Duration {
    2 * Duration::from_secs(TIMEOUT)
}

async fn every_node_killed_for_twice_the_timeout(backend: Backend) {
    let (database, logs, node, route) = one_node(backend);
    let fleet = fleet(&route, &node.address).await;

    let began = now_ms();
    node.kill();
    tokio::time::sleep(outage()).await;
    let back = Instant::now();
    let restarted = Node::start(&database.url, logs.path().join("restarted.log"));
    route.replace(vec![restarted.address.clone()]);
    judge(&route, &database.url, fleet, began, back).await;
    assert!(
        restarted.log_text().contains("judged no deadline"),
        "the outage is logged: {}",
        restarted.log_text()
    );
}

async fn the_only_node_frozen_for_twice_the_timeout(backend: Backend) {
    let (database, _logs, node, route) = one_node(backend);
    let fleet = fleet(&route, &node.address).await;

    let began = now_ms();
    node.signal("STOP");
    tokio::time::sleep(outage()).await;
    let back = Instant::now();
    node.signal("CONT");
    judge(&route, &database.url, fleet, began, back).await;
}

/// Saved while the node serves, the node gone, restored into a new database twice the
/// timeout later: the move is an outage of the registry like any other.
async fn restored_elsewhere_twice_the_timeout_later(backend: Backend) {
    let (database, logs, node, route) = one_node(backend);
    let fleet = fleet(&route, &node.address).await;
    let file = logs.path().join("moved.snapshot");
    let file = file.to_str().unwrap();
    stdout(&cli(&database.url, &["snapshot", "save", file]));

    let began = now_ms();
    node.kill();
    tokio::time::sleep(outage()).await;
    let target = TestDatabase::new(backend);
    stdout(&cli(&target.url, &["snapshot", "restore", file]));
    let back = Instant::now();
    let restored = Node::start(&target.url, logs.path().join("restored.log"));
    route.replace(vec![restored.address.clone()]);
    judge(&route, &target.url, fleet, began, back).await;
}

on_both_backends!(
    every_node_killed_for_twice_the_timeout,
    the_only_node_frozen_for_twice_the_timeout,
    restored_elsewhere_twice_the_timeout_later
);

/// PostgreSQL out of reach (every connection closed, new ones refused) while the node
/// runs: it answers 503 meanwhile, and the returning services keep trying the whole time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn the_database_cut_off_for_twice_the_timeout() {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    prepare(&database.url);
    let (target, _) = reroute(&database.url, "127.0.0.1:9".parse().unwrap());
    let proxy = Proxy::start(target).await;
    let (_, node_url) = reroute(&database.url, proxy.address);
    let node = Node::start(&node_url, logs.path().join("node.log"));
    let route = Route::new(
        vec![node.address.clone()],
        node.bootstrap_token.clone().unwrap(),
    );
    let fleet = fleet(&route, &node.address).await;

    let began = now_ms();
    proxy.cut().await;
    let cut = Instant::now();
    let mut refused = 0;
    while cut.elapsed() < outage() {
        for (id, token) in &fleet.returning {
            let (status, body) = route
                .post(
                    &node.address,
                    &format!("/services/{id}/heartbeat"),
                    &json!({ "token": token }),
                )
                .await
                .expect("the node answers");
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            refused += 1;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(refused > 0);
    let back = Instant::now();
    proxy.restore().await;
    judge(&route, &database.url, fleet, began, back).await;
    assert!(
        !node.log_text().contains(" 500 "),
        "no 500: {}",
        node.log_text()
    );
}
