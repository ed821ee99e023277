//! Timeouts, the events feed, its markers and filters, and long polls.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use service_registry::live::EventId;
use service_registry::settings::Settings;

use crate::helpers::*;

const TENANT: i64 = 4321;

on_both_backends!(
    a_silent_service_times_out_once_while_readers_hammer_it,
    heartbeats_keep_a_service_alive_past_its_timeout,
    the_feed_pages_with_inclusive_markers_and_filters_before_paging,
    markers_types_and_waits_are_checked,
    a_long_poll_answers_when_an_event_arrives_or_the_wait_ends,
    events_past_retention_are_purged,
    a_heartbeat_racing_the_reaper_has_exactly_one_winner,
    a_new_timeout_applies_from_the_next_heartbeat,
    an_events_read_shows_every_timeout_due_before_it_began,
    a_long_poll_that_joins_an_earlier_read_still_shows_a_timeout_due_since,
);

async fn a_silent_service_times_out_once_while_readers_hammer_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let created_at = now_ms();
    live.created("silent", 3).await;
    let done = Arc::new(AtomicBool::new(false));
    let total_reads = Arc::new(std::sync::atomic::AtomicU32::new(0));
    // 50 readers: 25 on the service, 25 on the feed. Once the feed has shown the timeout,
    // no read may show the service alive. (Before, a read may: the registry judges by its
    // clock, which runs behind by as long as the node is late in reading, see
    // docs/contract.md, "Timeout".)
    let readers = (0..50).map(|n| {
        let live = app.live(TENANT);
        let done = Arc::clone(&done);
        let total_reads = Arc::clone(&total_reads);
        async move {
            let (mut reads, mut shown_alive_at, mut timeout_seen_at) = (0, Vec::new(), None);
            while !done.load(Ordering::Relaxed) {
                let asked = now_ms();
                if n % 2 == 0 {
                    if live.get("/services/silent").await.status == StatusCode::OK {
                        shown_alive_at.push(asked);
                    }
                } else {
                    let events = live.events("").await;
                    if events
                        .iter()
                        .any(|event| event["type"] == "service.timeout")
                    {
                        timeout_seen_at.get_or_insert(now_ms());
                    }
                }
                reads += 1;
                total_reads.fetch_add(1, Ordering::Relaxed);
            }
            (reads, shown_alive_at, timeout_seen_at)
        }
    });
    // The deadline the registry holds for the service, followed as it moves (its row), and
    // what the feed must show by: on a loaded machine fifty readers can put the node behind
    // its intake, so the create's answer leaves late and the deadline counts from it, the
    // registry's clock holds back by that lag (up to `live.outage_threshold`), and a reaper
    // starved past that threshold is an outage of the registry, which moves the deadline to
    // the resumption plus the timeout (docs/contract.md, "Timeout").
    let settings = Settings::default().live;
    let deadline = Cell::new(live.deadline("silent").expect("the service's row"));
    assert!(
        deadline.get() >= created_at + 3000 - millis(settings.outage_threshold),
        "the deadline counts from the create: {} after it began",
        deadline.get() - created_at
    );
    let shown_by = || {
        if let Some(moved) = live.deadline("silent") {
            deadline.set(moved);
        }
        let until = Duration::from_millis(u64::try_from(deadline.get() - now_ms()).unwrap_or(0));
        Instant::now() + until + reaped_bound(0) + settings.outage_threshold
    };
    // The readers go on until the feed shows the timeout, and a hundred reads after it,
    // where a read showing the dead service would show.
    let stop = async {
        eventually_by("the feed to show the timeout", shown_by, || async {
            let timeouts = live.events("?type=service.timeout").await;
            (!timeouts.is_empty()).then_some(())
        })
        .await;
        let after = total_reads.load(Ordering::Relaxed);
        eventually("a hundred reads after it", reaped_bound(3), || async {
            (total_reads.load(Ordering::Relaxed) >= after + 100).then_some(())
        })
        .await;
        done.store(true, Ordering::Relaxed);
    };
    let (read, ()) = tokio::join!(join_all(readers), stop);
    assert!(read.iter().map(|(reads, _, _)| reads).sum::<u32>() > 50);
    assert_eq!(
        live.get("/services/silent").await.status,
        StatusCode::NOT_FOUND
    );
    let timeouts = live.events("?type=service.timeout").await;
    assert_eq!(timeouts.len(), 1, "exactly one timeout event");
    let event = &timeouts[0];
    assert_eq!(event["payload"]["id"], "silent");
    assert_eq!(
        event["timestamp"].as_i64().unwrap(),
        deadline.get(),
        "timestamped with the deadline, {} after the create began",
        deadline.get() - created_at
    );
    let seen = read
        .iter()
        .filter_map(|(_, _, seen)| *seen)
        .min()
        .expect("the feed readers saw the timeout");
    let shown_after: Vec<i64> = read
        .iter()
        .flat_map(|(_, shown, _)| shown.iter().copied())
        .filter(|asked| *asked > seen)
        .collect();
    assert!(
        shown_after.is_empty(),
        "reads asked after the feed showed the timeout ({seen}) showed the service: {shown_after:?}"
    );
    assert_ne!(event["id"], json!(null));
    assert_eq!(live.events("").await.len(), 2);
}

async fn heartbeats_keep_a_service_alive_past_its_timeout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let mut token = live.created("steady", 3).await;
    // Each heartbeat at half the timeout: four of them outlast the first deadline twice.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(3) / 2).await;
        let reply = live.heartbeat("steady", &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        token = reply.json()["token"].as_str().unwrap().to_owned();
    }
    assert_eq!(live.get("/services/steady").await.status, StatusCode::OK);
    assert!(live.events("?type=service.timeout").await.is_empty());
}

async fn the_feed_pages_with_inclusive_markers_and_filters_before_paging(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    for n in 0..4 {
        live.created(&format!("svc-{n}"), 60).await;
        assert_eq!(
            live.set_value("key-one", &format!("v{n}")).await.status,
            StatusCode::NO_CONTENT
        );
    }
    let all = live.events("").await;
    assert_eq!(all.len(), 8);
    let ids: Vec<&str> = all.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ids grow with the order of the feed");

    // The type filter applies before paging: a page holds `limit` matching events.
    let reply = live
        .get("/events?type=configuration_value.update&limit=3")
        .await
        .json();
    let values = reply["values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    assert!(values
        .iter()
        .all(|e| e["type"] == "configuration_value.update"));
    assert_eq!(
        values[0]["payload"],
        json!({"configuration_value_id": "key-one", "old_value": null, "new_value": "v0"})
    );
    assert_eq!(values[1]["payload"]["old_value"], "v0");
    let next = reply["metadata"]["next_marker"].as_str().unwrap();
    assert_eq!(next, all[7]["id"].as_str().unwrap());
    assert!(reply["metadata"]["next_href"]
        .as_str()
        .unwrap()
        .contains("type=configuration_value.update"));

    // Inclusive: a page from event 3 starts with event 3.
    let from = all[3]["id"].as_str().unwrap();
    let page = live.events(&format!("?marker={from}&limit=2")).await;
    assert_eq!(page[0]["id"], all[3]["id"]);
    assert_eq!(page[1]["id"], all[4]["id"]);
    let paged = live.all_ids("/events", 3).await;
    assert_eq!(paged, ids, "paging with next_marker sees every event once");
}

async fn markers_types_and_waits_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let future = EventId::first_at(now_ms() + 3_600_000);
    let ancient = EventId::first_at(now_ms() - 86_400_000);
    for (query, message, details) in [
        (
            "marker=nope",
            "Invalid value for 'marker' query string parameter",
            "Invalid UUID",
        ),
        (
            &format!("marker={future}") as &str,
            "Invalid value for 'marker' query string parameter",
            "from parameter must be smaller than the current time",
        ),
        (
            &format!("marker={ancient}"),
            "Invalid value for 'marker' query string parameter",
            "from parameter must be greater than or equal to the account creation date",
        ),
        (
            "wait=61",
            "Invalid value for 'wait' query string parameter",
            "Whole seconds from 0 to 60",
        ),
        (
            "wait=1.5",
            "Invalid value for 'wait' query string parameter",
            "Whole seconds from 0 to 60",
        ),
    ] {
        let reply = live.get(&format!("/events?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            reply.rsr_fault(),
            ("badRequest".into(), message.into(), details.into()),
            "{query}"
        );
    }
    let reply = live.get("/events?type=service.joined").await;
    assert_eq!(
        reply.rsr_fault().1,
        "Invalid type: service.joined. Valid types are: service.join, service.timeout, \
         service.remove, configuration_value.update, configuration_value.remove"
    );
}

async fn a_long_poll_answers_when_an_event_arrives_or_the_wait_ends(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    live.created("first", 60).await;
    let last = live.events("").await[0]["id"].as_str().unwrap().to_owned();

    // Nothing after the marker: the answer comes when the wait is over, with the marker.
    let wait = Duration::from_secs(1);
    let started = Instant::now();
    let page = live
        .events(&format!("?marker={last}&wait={}", wait.as_secs()))
        .await;
    let waited = started.elapsed();
    // The server's timer may fire a clock tick early; never much before the wait is over.
    assert!(waited + Duration::from_millis(100) >= wait, "{waited:?}");
    assert!(waited < wait + feed_wake_bound(), "{waited:?}");
    assert_eq!(page.len(), 1);

    // An event during the wait answers at once: written once the server counts the
    // reader as waiting.
    let writer = async {
        app.until_sample("events_long_poll_waiters", &[], 1.0).await;
        live.created("second", 60).await;
        Instant::now()
    };
    let reader = async {
        let page = live.events(&format!("?marker={last}&wait=30")).await;
        (Instant::now(), page)
    };
    let (written, (answered, page)) = tokio::join!(writer, reader);
    assert_eq!(page.len(), 2, "the marker event, then the new one");
    assert_eq!(page[0]["id"], last.as_str());
    assert_eq!(page[1]["payload"]["id"], "second");
    assert!(
        answered.duration_since(written) < feed_wake_bound(),
        "woken promptly"
    );
    // Without a marker a long poll on a feed with events answers at once.
    let started = Instant::now();
    assert_eq!(live.events("?wait=30").await.len(), 2);
    assert!(started.elapsed() < feed_wake_bound());
}

async fn events_past_retention_are_purged(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.live.event_retention = Duration::from_secs(1);
        // Only this test's own runs of the purge.
        settings.live.event_purge_interval = Duration::from_secs(3600);
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    live.created("old", 60).await;
    let old = live.events("").await;
    assert_eq!(old.len(), 1);
    assert_eq!(
        app.jobs.purge_events().await.unwrap(),
        0,
        "not past retention yet"
    );
    let purged_by = Duration::from_secs(1) + auth_change_bound();
    eventually("the old event to be purged", purged_by, || async {
        let purged = app.jobs.purge_events().await.unwrap();
        assert!(purged <= 1, "{purged} purged");
        (purged == 1).then_some(())
    })
    .await;
    assert!(live.events("").await.is_empty());
    live.created("new", 60).await;
    let kept = live.events("").await;
    assert_eq!(kept.len(), 1, "the old event is purged, the new one kept");
    assert_eq!(kept[0]["payload"]["id"], "new");
    assert!(
        kept[0]["id"].as_str().unwrap() > old[0]["id"].as_str().unwrap(),
        "ids keep growing after a purge"
    );
}

async fn a_heartbeat_racing_the_reaper_has_exactly_one_winner(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.live.reaper_interval = Duration::from_millis(50);
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let mut tokens = Vec::new();
    for n in 0..20 {
        tokens.push(live.created(&format!("racer-{n:02}"), 3).await);
    }
    // Heartbeats spread across the deadlines (3 s): some arrive before, some after the
    // reaper.
    tokio::time::sleep(Duration::from_secs(3) - Duration::from_millis(100)).await;
    let outcomes = join_all(tokens.iter().enumerate().map(|(n, token)| {
        let live = app.live(TENANT);
        async move {
            tokio::time::sleep(Duration::from_millis(n as u64 * 10)).await;
            live.heartbeat(&format!("racer-{n:02}"), token).await.status
        }
    }))
    .await;
    // No wait: an events read shows every timeout due before it began.
    let timeouts = live.events("?type=service.timeout").await;
    for (n, status) in outcomes.iter().enumerate() {
        let id = format!("racer-{n:02}");
        let recorded = timeouts
            .iter()
            .filter(|e| e["payload"]["id"] == id.as_str())
            .count();
        let alive = live.get(&format!("/services/{id}")).await.status == StatusCode::OK;
        match *status {
            StatusCode::OK => assert!(alive && recorded == 0, "{id}: heartbeat won, yet timed out"),
            StatusCode::NOT_FOUND => assert!(
                !alive && recorded == 1,
                "{id}: reaper won {recorded} time(s)"
            ),
            other => panic!("{id}: {other}"),
        }
    }
}

async fn a_new_timeout_applies_from_the_next_heartbeat(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let longer = json!({"heartbeat_timeout": 10});
    // Changed but never heartbeated: the old deadline stands.
    live.created("unchanged", 3).await;
    let reply = live
        .send(reqwest::Method::PUT, "/services/unchanged", Some(&longer))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    // Changed, then heartbeated: the next deadline uses the new timeout.
    let token = live.created("extended", 3).await;
    live.send(reqwest::Method::PUT, "/services/extended", Some(&longer))
        .await;
    assert_eq!(
        live.heartbeat("extended", &token).await.status,
        StatusCode::OK
    );
    eventually("the unchanged one to time out", reaped_bound(3), || async {
        (live.get("/services/unchanged").await.status == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    let extended = live.get("/services/extended").await;
    assert_eq!(extended.status, StatusCode::OK);
    assert_eq!(extended.json()["heartbeat_timeout"], 10);
    assert_eq!(
        extended.json()["metadata"],
        json!({}),
        "metadata {{}} when empty"
    );
}

/// The feed is never behind what other reads show: with no reaper running, a read of the
/// feed that begins after a deadline records that timeout itself, once however many
/// readers race to it, and later reads show the same one event.
async fn an_events_read_shows_every_timeout_due_before_it_began(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.live.reaper_interval = Duration::from_secs(3600);
        // A reaper that runs hourly: an hour between runs is not an outage.
        settings.live.outage_threshold = Duration::from_secs(7200);
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    live.created("brief", 3).await;
    live.created("lasting", 120).await;
    // The moment the service reads as dead, the feed shows its timeout.
    until_gone(&live, "brief", 3).await;
    let timeouts = live.events("?type=service.timeout").await;
    assert_eq!(timeouts.len(), 1, "{timeouts:?}");
    assert_eq!(timeouts[0]["payload"]["id"], "brief");

    // Eight readers racing to the next deadline: each sees it, the feed holds it once.
    live.created("racing", 3).await;
    until_gone(&live, "racing", 3).await;
    let reads = join_all((0..8).map(|_| live.events("?type=service.timeout"))).await;
    for read in &reads {
        assert_eq!(read.len(), 2, "{read:?}");
        assert_eq!(read[1]["payload"]["id"], "racing");
    }
    let all = live.events("").await;
    let kinds: Vec<&str> = all.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "service.join",
            "service.join",
            "service.timeout",
            "service.join",
            "service.timeout"
        ]
    );
    assert_eq!(live.get("/services/lasting").await.status, StatusCode::OK);
}

/// A long poll that comes back while a read of its page that found nothing is fresh waits
/// without reading (ten thousand followers re-polling after a write cost a few reads).
/// A timeout that fell due since that read still reaches it from a read of its own,
/// within `live.feed_poll_interval` of its request, exactly once.
async fn a_long_poll_that_joins_an_earlier_read_still_shows_a_timeout_due_since(backend: Backend) {
    // Fresh for longer than the service lives: the second follower comes after its
    // deadline, while the first one's read is still fresh.
    let fresh_for = Duration::from_secs(6);
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
        settings.live.reaper_interval = Duration::from_secs(3600);
        settings.live.outage_threshold = Duration::from_secs(7200);
        settings.live.feed_poll_interval = fresh_for;
    })
    .await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    live.created("brief", 3).await;
    let last = live.events("").await[0]["id"].as_str().unwrap().to_owned();
    let query = format!("?marker={last}&wait=30");
    let follow = || live.events(&query);
    let first = follow();
    let second = async {
        app.until_sample("events_long_poll_waiters", &[], 1.0).await;
        until_gone(&live, "brief", 3).await;
        let asked = Instant::now();
        let page = follow().await;
        (asked.elapsed(), page)
    };
    let (first, (waited, second)) = tokio::join!(first, second);
    for page in [&first, &second] {
        let kinds: Vec<&str> = page.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["service.join", "service.timeout"], "{page:?}");
        assert_eq!(page[1]["payload"]["id"], "brief");
    }
    assert!(waited < fresh_for + feed_wake_bound(), "{waited:?}");
    assert_eq!(live.events("?type=service.timeout").await.len(), 1);
}

/// Polls until `id` reads as gone: within its timeout of `timeout` seconds and slack.
async fn until_gone(live: &crate::live::LiveClient<'_>, id: &str, timeout: u64) {
    eventually(
        &format!("{id} to time out"),
        reaped_bound(timeout),
        || async {
            (live.get(&format!("/services/{id}")).await.status == StatusCode::NOT_FOUND)
                .then_some(())
        },
    )
    .await;
}
