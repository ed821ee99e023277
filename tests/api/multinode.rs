//! Several `serve` processes sharing one PostgreSQL database, and a database that goes
//! away. These need PostgreSQL: without TEST_DATABASE_URL they are listed as ignored (and
//! in CI, where it must be set, they fail loudly instead).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;

use crate::helpers::node::*;
use crate::helpers::proxy::{reroute, Proxy};
use crate::helpers::*;

/// Two nodes on one fresh database; the first prints the bootstrap admin token.
fn two_nodes(database: &TestDatabase, logs: &tempfile::TempDir) -> (Node, Node, String) {
    let a = Node::start(&database.url, logs.path().join("a.log"));
    let b = Node::start(&database.url, logs.path().join("b.log"));
    let token = a.bootstrap_token.clone().expect("first node bootstraps");
    assert!(b.bootstrap_token.is_none());
    (a, b, token)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_service_registered_on_one_node_is_listed_and_fetched_on_the_other() {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    let (a, b, token) = two_nodes(&database, &logs);
    let reply = a
        .post(
            &ServiceBody::new(100, "Identity").kind("identity"),
            &token,
            Format::Json,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let reply = b
        .post(
            &ServiceBody::new(110, "Object Storage").kind("object-store"),
            &token,
            Format::Xml,
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    for node in [&a, &b] {
        for format in FORMATS {
            let listed = node
                .get(&format!("{BASE}/services"), &token, format)
                .await
                .services();
            let ids: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(ids, ["100", "110"]);
            let fetched = node
                .get(&format!("{BASE}/services/110"), &token, format)
                .await
                .service();
            assert_eq!(fetched.name, "Object Storage");
        }
    }
    // The name rule holds across nodes too.
    b.post(&ServiceBody::new(120, "IDENTITY"), &token, Format::Json)
        .await
        .assert_fault(409, "identityFault");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn sixty_four_racing_registrations_over_two_nodes_yield_one_201_and_63_409() {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    let (a, b, token) = two_nodes(&database, &logs);
    let nodes = [&a, &b];
    let variants = case_variants("ægir öl hall", 64);
    let token = token.as_str();
    let started = Instant::now();
    let requests = variants.iter().enumerate().map(|(i, name)| async move {
        nodes[i % 2]
            .post(
                &ServiceBody::new(1000 + i, name),
                token,
                FORMATS[(i / 2) % 2],
            )
            .await
    });
    let replies = join_all(requests).await;
    let elapsed = started.elapsed();
    let (created, conflicts) = tally(&replies);
    eprintln!(
        "multi-node race: 64 registrations over 2 nodes → {created} × 201, {conflicts} × 409 in {elapsed:?}"
    );
    assert_eq!((created, conflicts), (1, 63));
    for node in nodes {
        assert_eq!(
            node.get(&format!("{BASE}/services"), token, Format::Json)
                .await
                .services()
                .len(),
            1
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn two_nodes_starting_at_once_on_an_empty_database_both_come_up() {
    for _ in 0..3 {
        let database = TestDatabase::new(Backend::Postgres);
        let logs = tempfile::tempdir().unwrap();
        let (url_a, url_b) = (database.url.clone(), database.url.clone());
        let (log_a, log_b) = (logs.path().join("a.log"), logs.path().join("b.log"));
        let a = std::thread::spawn(move || Node::start(&url_a, log_a));
        let b = std::thread::spawn(move || Node::start(&url_b, log_b));
        let (a, b) = (
            a.join().expect("node a starts"),
            b.join().expect("node b starts"),
        );
        let tokens: Vec<String> = [&a, &b]
            .iter()
            .filter_map(|n| n.bootstrap_token.clone())
            .collect();
        assert_eq!(tokens.len(), 1, "exactly one node bootstraps the admin");
        for node in [&a, &b] {
            assert_eq!(
                node.get(&format!("{BASE}/services"), &tokens[0], Format::Json)
                    .await
                    .status,
                StatusCode::OK
            );
        }
        let migrations = stdout(&cli(&database.url, &["migrate"]));
        assert!(migrations.contains("migrations applied"));
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_token_works_on_every_node_and_disabling_takes_effect_on_every_node_within_the_bound() {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    let (a, b, _) = two_nodes(&database, &logs);
    stdout(&cli(
        &database.url,
        &["principal", "create", "svc", "--level", "SVC"],
    ));
    let token = stdout(&cli(&database.url, &["token", "issue", "svc"]))
        .trim()
        .to_owned();
    let path = format!("{BASE}/services");
    for node in [&a, &b] {
        assert_eq!(
            node.get(&path, &token, Format::Json).await.status,
            StatusCode::OK
        );
    }
    // Documented bound: the authentication cache's TTL (1 s) on every node.
    stdout(&cli(&database.url, &["principal", "disable", "svc"]));
    for node in [&a, &b] {
        let (_, took) = until_status(403, || node.get(&path, &token, Format::Json)).await;
        eprintln!(
            "disable reached the node at {} after {took:?}",
            node.address
        );
        for format in FORMATS {
            node.get(&path, &token, format)
                .await
                .assert_fault(403, "userDisabled");
        }
    }
    stdout(&cli(&database.url, &["principal", "enable", "svc"]));
    stdout(&cli(&database.url, &["token", "revoke", &token]));
    for node in [&a, &b] {
        let (reply, took) = until_status(401, || node.get(&path, &token, Format::Json)).await;
        reply.assert_fault(401, "unauthorized");
        eprintln!(
            "revocation reached the node at {} after {took:?}",
            node.address
        );
    }
}

#[derive(Debug, Clone, Copy)]
enum Outage {
    /// The server stopped: connections closed, new ones refused.
    Stopped,
    /// The network dropped: sockets stay open, nothing answers.
    Unreachable,
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_stopped_database_answers_503_within_two_seconds_and_the_node_recovers_by_itself() {
    outage(Outage::Stopped).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn an_unreachable_database_answers_503_within_two_seconds_and_the_node_recovers_by_itself() {
    outage(Outage::Unreachable).await;
}

async fn outage(kind: Outage) {
    let database = TestDatabase::new(Backend::Postgres);
    let logs = tempfile::tempdir().unwrap();
    let (target, _) = reroute(&database.url, "127.0.0.1:9".parse().unwrap());
    let proxy = Proxy::start(target).await;
    let (_, node_url) = reroute(&database.url, proxy.address);
    let node = Node::start(&node_url, logs.path().join("node.log"));
    let token = node.bootstrap_token.clone().unwrap();
    let service_path = format!("{BASE}/services/1");
    let created = node
        .post(&ServiceBody::new(1, "before"), &token, Format::Json)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let health = || node.client.get(format!("{}/healthz", node.address));
    assert_eq!(health().send().await.unwrap().status(), StatusCode::OK);

    match kind {
        Outage::Stopped => proxy.cut().await,
        Outage::Unreachable => proxy.freeze(true),
    }
    let mut slowest = Duration::ZERO;
    let mut answers = 0;
    for round in 0..4 {
        let format = FORMATS[round % 2];
        for request in 0..3 {
            let started = Instant::now();
            let reply = match request {
                0 => node.get(&service_path, &token, format).await,
                1 => node.get(&format!("{BASE}/services"), &token, format).await,
                _ => {
                    node.post(&ServiceBody::new(2, "during"), &token, format)
                        .await
                }
            };
            let elapsed = started.elapsed();
            slowest = slowest.max(elapsed);
            answers += 1;
            let fault = reply.assert_fault(503, "serviceUnavailable");
            assert_eq!(fault.message, "SERVICE_UNAVAILABLE");
            assert!(
                !fault.details.to_lowercase().contains("postgres"),
                "no internals: {}",
                fault.details
            );
            assert!(
                elapsed < Duration::from_secs(2),
                "answered after {elapsed:?}"
            );
        }
        let started = Instant::now();
        let probe = health().send().await.unwrap();
        slowest = slowest.max(started.elapsed());
        answers += 1;
        assert_eq!(probe.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    match kind {
        Outage::Stopped => proxy.restore().await,
        Outage::Unreachable => proxy.freeze(false),
    }
    let restored = Instant::now();
    eventually("the node to recover", Duration::from_secs(15), || async {
        (health().send().await.unwrap().status() == StatusCode::OK).then_some(())
    })
    .await;
    let recovery = restored.elapsed();
    eprintln!(
        "outage ({kind:?}): {answers} requests, all 503, slowest {slowest:?}; \
         ready again {recovery:?} after the database returned"
    );
    assert_eq!(
        node.get(&service_path, &token, Format::Xml)
            .await
            .service()
            .name,
        "before"
    );
    let after = node
        .post(&ServiceBody::new(3, "after"), &token, Format::Json)
        .await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
    let log = node.kill();
    assert!(!log.contains(" 500 "), "no 500 during the outage: {log}");
}
