//! Two nodes on one PostgreSQL database, each with its own reaper, caches and long-poll
//! watcher: timeouts recorded once, one feed order for every reader, wake-ups across nodes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use futures_util::stream::{self, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::node::{cli, stdout};
use crate::helpers::*;

const TENANT: i64 = 9090;

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn two_reaping_nodes_record_each_of_200_timeouts_once() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.live_tenant(TENANT);
    let ids: Vec<String> = (0..200).map(|n| format!("mortal-{n:03}")).collect();
    stream::iter(ids.iter().enumerate())
        .for_each_concurrent(16, |(n, id)| {
            let node = if n % 2 == 0 { &a } else { &b };
            async move {
                let reply = node.live(TENANT).create(id, 3).await;
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
            }
        })
        .await;
    // Both nodes' reapers run every `reaper_interval`, and every events read records the
    // timeouts already due: all of them race for each service once its 3 s are over.
    let reaper = service_registry::settings::Settings::default()
        .live
        .reaper_interval;
    let bound = Instant::now() + Duration::from_secs(3) + 4 * reaper + Duration::from_secs(5);
    let timeouts = loop {
        let timeouts = a
            .live(TENANT)
            .events("?type=service.timeout&limit=1000")
            .await;
        if timeouts.len() >= 200 {
            break timeouts;
        }
        assert!(Instant::now() < bound, "{} timeouts so far", timeouts.len());
        tokio::time::sleep(reaper).await;
    };
    // And once more on each node at the same moment, now that every one is recorded.
    let (reaped_a, reaped_b) = tokio::join!(a.jobs.reap(), b.jobs.reap());
    assert_eq!((reaped_a.unwrap(), reaped_b.unwrap()), (0, 0));
    for node in [&a, &b] {
        assert!(node
            .live(TENANT)
            .all_ids("/services", 1000)
            .await
            .is_empty());
    }
    let timeouts_after = b
        .live(TENANT)
        .events("?type=service.timeout&limit=1000")
        .await;
    assert_eq!(
        timeouts_after, timeouts,
        "the same on both nodes, none added"
    );
    assert_eq!(timeouts.len(), 200, "exactly one timeout event per service");
    let mut timed_out: Vec<&str> = timeouts
        .iter()
        .map(|e| e["payload"]["id"].as_str().unwrap())
        .collect();
    timed_out.sort();
    timed_out.dedup();
    assert_eq!(timed_out.len(), 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_paging_reader_sees_every_event_once_while_four_writers_append_on_two_nodes() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.live_tenant(TENANT);
    let writers = (0..4).map(|w| {
        let node = if w % 2 == 0 { &a } else { &b };
        async move {
            let live = node.live(TENANT);
            for n in 0..40 {
                let reply = live.set_value(&format!("writer{w}-key{n:02}"), "v").await;
                assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
            }
        }
    });
    let (seen, feed) = read_while_writing(&b, &a, join_all(writers)).await;
    assert_eq!(feed.len(), 160);
    assert_eq!(seen, feed, "every event once, in the one order of the feed");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_paging_reader_sees_every_event_once_while_creates_and_removals_run_on_two_nodes() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.live_tenant(TENANT);
    // Creates and removals take the tenant's feed lock only at the end of their batch.
    let writers = (0..4).map(|w| {
        let node = if w % 2 == 0 { &a } else { &b };
        async move {
            let live = node.live(TENANT);
            for n in 0..30 {
                let id = format!("writer{w}-service{n:02}");
                let body = json!({"id": id, "heartbeat_timeout": 60});
                let (reply, refused) = live
                    .send_until_served(Method::POST, "/services", Some(&body))
                    .await;
                assert!(
                    reply.status == StatusCode::CREATED
                        || refused && reply.body.contains("serviceWithThisIdExists"),
                    "{}",
                    reply.body
                );
                if n % 3 == 0 {
                    let path = format!("/services/{id}");
                    let (reply, refused) =
                        live.send_until_served(Method::DELETE, &path, None).await;
                    assert!(
                        reply.status == StatusCode::NO_CONTENT
                            || refused && reply.status == StatusCode::NOT_FOUND,
                        "{}",
                        reply.body
                    );
                }
            }
        }
    });
    let (seen, feed) = read_while_writing(&b, &a, join_all(writers)).await;
    assert_eq!(feed.len(), 4 * (30 + 10));
    assert_eq!(seen, feed, "every event once, in the one order of the feed");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn creates_racing_on_two_nodes_never_pass_the_tenants_limit() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.live_tenant(TENANT);
    let output = cli(
        &a.database_url,
        &["tenant", "limits", &TENANT.to_string(), "--services", "60"],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    for round in 0..3 {
        let statuses: Vec<StatusCode> = stream::iter(0..200)
            .map(|n| {
                let node = if n % 2 == 0 { &a } else { &b };
                async move {
                    // A create refused for now and then "exists" had committed after all.
                    let body =
                        json!({"id": format!("round{round}-{n:03}"), "heartbeat_timeout": 60});
                    let (reply, refused) = node
                        .live(TENANT)
                        .send_until_served(Method::POST, "/services", Some(&body))
                        .await;
                    match reply.status {
                        StatusCode::CREATED => StatusCode::CREATED,
                        _ if refused && reply.body.contains("serviceWithThisIdExists") => {
                            StatusCode::CREATED
                        }
                        status => {
                            assert!(reply.body.contains("limitReached"), "{}", reply.body);
                            status
                        }
                    }
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 60, "exactly the limit, in round {round}");
        let live = a.live(TENANT).all_ids("/services", 1000).await;
        assert_eq!(live.len(), 60);
        let limits = b.live(TENANT).get("/limits").await.json();
        assert_eq!(
            limits["usage"]["service"], 60,
            "the count agrees with the rows"
        );
        // Make room for the next round.
        for id in live {
            let reply = a
                .live(TENANT)
                .send(Method::DELETE, &format!("/services/{id}"), None)
                .await;
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
        }
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn a_long_poll_on_one_node_is_woken_by_a_write_on_the_other() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::another_node(&a, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    a.live_tenant(TENANT);
    a.live(TENANT).created("first", 60).await;
    let marker = a.live(TENANT).events("").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Written once b counts the reader as waiting.
    let writer = async {
        b.until_sample("events_long_poll_waiters", &[], 1.0).await;
        a.live(TENANT).created("second", 60).await;
        Instant::now()
    };
    let waiter = async {
        let page = b
            .live(TENANT)
            .events(&format!("?marker={marker}&wait=20"))
            .await;
        (Instant::now(), page)
    };
    let (written, (answered, page)) = tokio::join!(writer, waiter);
    assert_eq!(page.len(), 2);
    assert_eq!(page[1]["payload"]["id"], "second");
    let lag = answered.duration_since(written);
    assert!(
        lag < feed_wake_bound(),
        "woken {lag:?} after the write (bound: live.feed_poll_interval + slack)"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn the_rate_limit_counts_every_nodes_requests() {
    // The test runs each node's sync itself (its worker would wait an hour), so every
    // count below is exact whatever the machine's load.
    let adjust = |settings: &mut service_registry::settings::Settings| {
        settings.live.rate_limit = 30;
        settings.live.rate_sync_interval = Duration::from_secs(3600);
    };
    let a = TestApp::spawn_with(Backend::Postgres, adjust).await;
    let b = TestApp::another_node(&a, adjust).await;
    a.live_tenant(TENANT);
    for _ in 0..10 {
        assert_eq!(a.live(TENANT).get("/services").await.status, StatusCode::OK);
    }
    let sync = |node: &TestApp| {
        let jobs = node.jobs.clone();
        async move { jobs.sync_request_counts().await.expect("the sync runs") }
    };
    sync(&a).await;
    let used = b.live(TENANT).get("/limits").await.json()["rate"]["/.*"]["used"].clone();
    assert_eq!(
        used, 11,
        "B counts A's requests after A's sync, and its own"
    );
    // Both nodes serve, one request each between syncs: a node learns of the other's
    // request at the next sync, so the tenant gets at most one request past its limit.
    let mut served = 0;
    for _ in 0..20 {
        for node in [&a, &b] {
            let reply = node.live(TENANT).get("/services").await;
            match reply.status {
                StatusCode::OK => served += 1,
                // RSR's fault for it: 400, type rateLimitReached.
                _ if reply.body.contains("rateLimitReached") => {}
                status => panic!("{status}: {}", reply.body),
            }
        }
        for node in [&a, &b, &a] {
            sync(node).await;
        }
    }
    let total = 10 + 1 + served;
    assert!(
        (30..=31).contains(&total),
        "the limit is reached, and passed by at most the other node's one request: {total}"
    );
}

/// Runs `writers` to their end while a reader pages through the feed on `reader` (see
/// [`read_until_quiet`]); what it read, and the whole feed as `other` shows it afterwards.
async fn read_while_writing<W: std::future::Future>(
    reader: &TestApp,
    other: &TestApp,
    writers: W,
) -> (Vec<String>, Vec<String>) {
    let writing = AtomicBool::new(true);
    let write_all = async {
        writers.await;
        writing.store(false, Ordering::SeqCst);
    };
    let ((), seen) = tokio::join!(write_all, read_until_quiet(reader, &writing));
    (seen, other.live(TENANT).all_ids("/events", 1000).await)
}

/// Pages through the feed on `node` from its start, 7 events a page, from each page's
/// marker (or from the last event seen, skipped if the page repeats it), until the writers
/// have stopped and two reads in a row found nothing new; every event id read, in order.
async fn read_until_quiet(node: &TestApp, writing: &AtomicBool) -> Vec<String> {
    let live = node.live(TENANT);
    let mut seen: Vec<String> = Vec::new();
    // (marker, whether its event was already seen)
    let mut from: Option<(String, bool)> = None;
    let mut quiet_after_writers = false;
    loop {
        let query = match &from {
            Some((marker, _)) => format!("?limit=7&marker={marker}"),
            None => "?limit=7".to_owned(),
        };
        let path = format!("/events{query}");
        let (reply, _) = live.send_until_served(Method::GET, &path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let page = reply.json();
        let mut events = page["values"].as_array().unwrap().iter().peekable();
        if let Some((marker, true)) = &from {
            if events.peek().is_some_and(|e| e["id"] == marker.as_str()) {
                events.next();
            }
        }
        let before = seen.len();
        seen.extend(events.map(|e| e["id"].as_str().unwrap().to_owned()));
        match page["metadata"]["next_marker"].as_str() {
            Some(next) => from = Some((next.to_owned(), false)),
            None => {
                if let Some(last) = seen.last() {
                    from = Some((last.clone(), true));
                }
                if !writing.load(Ordering::SeqCst) && seen.len() == before {
                    if quiet_after_writers {
                        return seen;
                    }
                    quiet_after_writers = true;
                }
            }
        }
    }
}
