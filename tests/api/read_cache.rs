//! The cache of rendered representations: never stale on the node that wrote, stale on
//! another node for at most `cache.max_staleness` (1 s), in both formats, on both backends
//! (two nodes share one SQLite file as they share one PostgreSQL database).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use service_registry::settings::Settings;

use crate::helpers::*;

/// The documented bound, plus scheduling slack for a loaded test machine.
fn staleness_bound() -> Duration {
    Settings::default().cache.max_staleness + Duration::from_millis(500)
}

async fn a_read_after_a_write_on_the_same_node_is_never_stale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "v0").kind("compute"))
        .await;
    for round in 1..=20 {
        // Warm the cache with the current version in both formats, for the service and
        // for the page it is on.
        for format in FORMATS {
            assert_eq!(
                app.get_service("1", format).await.service().name,
                format!("v{}", round - 1)
            );
            app.list_services("?limit=5", format).await.services();
        }
        let name = format!("v{round}");
        let format = FORMATS[round % 2];
        let reply = app
            .update("1", &ServiceBody::new(1, &name).kind("compute"), format)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        for format in FORMATS {
            assert_eq!(app.get_service("1", format).await.service().name, name);
            assert_eq!(
                app.list_services("?limit=5", format).await.services()[0].name,
                name
            );
        }
    }
    // A registration shows on the cached page at once too.
    app.list_services("", Format::Json).await.services();
    app.registered(&ServiceBody::new(2, "joined")).await;
    assert_eq!(
        app.list_services("", Format::Json).await.services().len(),
        2
    );
}

async fn readers_racing_writers_see_each_write_once_it_is_answered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(1, "n0")).await;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let readers = join_all((0..4).map(|reader| {
        let (app, stop) = (&app, &stop);
        async move {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let format = FORMATS[reader % 2];
                assert_eq!(app.get_service("1", format).await.status, StatusCode::OK);
                reads += 1;
            }
            reads
        }
    }));
    let writer = async {
        for n in 1..=30 {
            let name = format!("n{n}");
            let reply = app
                .update("1", &ServiceBody::new(1, &name), Format::Json)
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            for format in FORMATS {
                assert_eq!(
                    app.get_service("1", format).await.service().name,
                    name,
                    "read after write {n} in {format:?}"
                );
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let (reads, ()) = tokio::join!(readers, writer);
    assert!(reads.iter().all(|&n| n > 0), "every reader read: {reads:?}");
}

async fn another_nodes_write_shows_within_the_staleness_bound(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.registered(&ServiceBody::new(1, "before").kind("compute"))
        .await;
    let mut slowest = Duration::ZERO;
    for round in 0..6 {
        let format = FORMATS[round % 2];
        let old = if round == 0 {
            "before".to_owned()
        } else {
            format!("after {}", round - 1)
        };
        // B has the current version cached, for the service and for the list.
        for _ in 0..3 {
            assert_eq!(b.get_service("1", format).await.service().name, old);
            assert_eq!(b.list_services("", format).await.services()[0].name, old);
        }
        let name = format!("after {round}");
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        // The reader of this round has the old version cached too.
        reader.get_service("1", format).await.service();
        let reply = writer
            .update("1", &ServiceBody::new(1, &name).kind("compute"), format)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let written = Instant::now();
        assert_eq!(writer.get_service("1", format).await.service().name, name);
        loop {
            let one = reader.get_service("1", format).await.service().name;
            let listed = reader.list_services("", format).await.services()[0]
                .name
                .clone();
            if one == name && listed == name {
                break;
            }
            for seen in [&one, &listed] {
                assert!(
                    seen == &name || seen == &old,
                    "only the old or the new: {seen}"
                );
            }
            assert!(
                written.elapsed() < staleness_bound(),
                "node still serves '{one}' / '{listed}' {:?} after the write",
                written.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        slowest = slowest.max(written.elapsed());
    }
    eprintln!("{backend:?}: another node's write showed after at most {slowest:?}");
}

async fn a_node_that_cannot_poll_bypasses_its_cache(backend: Backend) {
    // A poll interval longer than the staleness bound: the node can never vouch for its
    // cache, so every read goes to the database, and another node's write shows at once.
    let a = TestApp::spawn(backend).await;
    let max_staleness = Duration::from_millis(200);
    let b = TestApp::another_node(&a, |settings| {
        settings.cache.poll_interval = Duration::from_secs(3600);
        settings.cache.max_staleness = max_staleness;
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    a.registered(&ServiceBody::new(1, "before")).await;
    // Once the startup poll's `max_staleness` has run out, b never vouches again.
    let bypassed = || async {
        b.get_service("1", FORMATS[0]).await.service();
        let text = b.scrape().await;
        let labels = [("cache", "registry.services"), ("result", "bypass")];
        sample(&text, "read_cache_lookups_total", &labels).is_some_and(|n| n > 0.0)
    };
    until_holds(
        "b to bypass its cache",
        max_staleness + staleness_bound(),
        bypassed,
    )
    .await;
    for (n, format) in FORMATS.into_iter().enumerate() {
        let name = format!("after {n}");
        let reply = a.update("1", &ServiceBody::new(1, &name), format).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(b.get_service("1", format).await.service().name, name);
    }
}

on_both_backends!(
    a_read_after_a_write_on_the_same_node_is_never_stale,
    readers_racing_writers_see_each_write_once_it_is_answered,
    another_nodes_write_shows_within_the_staleness_bound,
    a_node_that_cannot_poll_bypasses_its_cache,
);
