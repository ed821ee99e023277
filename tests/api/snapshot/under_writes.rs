//! A snapshot taken while a fleet registers holds every write acknowledged before it began
//! and no half of a batch: each service with its event and its count, or none of them.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;

use crate::helpers::node::{cli, stdout};
use crate::helpers::*;

on_both_backends!(multi_thread: a_snapshot_under_writes_holds_what_was_acknowledged_and_no_half_batch);

const TENANT: i64 = 41;
const WRITERS: usize = 16;

async fn a_snapshot_under_writes_holds_what_was_acknowledged_and_no_half_batch(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    app.live_tenant(TENANT);
    stdout(&cli(
        &app.database_url,
        &[
            "tenant",
            "limits",
            &TENANT.to_string(),
            "--services",
            "100000",
        ],
    ));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (app, acknowledged, stop) = (
            Arc::clone(&app),
            Arc::clone(&acknowledged),
            Arc::clone(&stop),
        );
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let id = format!("w{writer}-{n}");
                let reply = app.live(TENANT).create(&id, 120).await;
                assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
                acknowledged.lock().unwrap().push(id);
                n += 1;
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("under-writes.snapshot");
    let (url, path) = (app.database_url.clone(), file.to_str().unwrap().to_owned());
    let saved =
        tokio::task::spawn_blocking(move || stdout(&cli(&url, &["snapshot", "save", &path])))
            .await
            .unwrap();
    let after_save = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.unwrap();
    }
    let total = acknowledged.lock().unwrap().len();
    assert!(total > after_save, "the fleet kept writing: {total}");

    let target = TestDatabase::new(backend);
    stdout(&cli(
        &target.url,
        &["snapshot", "restore", file.to_str().unwrap()],
    ));
    let node = TestApp::on_existing(&target.url, &app.token).await;
    let live = node.live(TENANT);
    let listed: BTreeSet<String> = live.all_ids("/services", 1000).await.into_iter().collect();
    let missing: Vec<&String> = before.iter().filter(|id| !listed.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the save, missing after: {missing:?}"
    );
    assert!(listed.len() < total, "writes after the save are not in it");
    assert!(
        saved.contains(&format!("{:>12}  live services", listed.len())),
        "the summary counts what was restored: {saved}"
    );

    // Each service came with its join event and its place in the usage count.
    let mut joined = BTreeSet::new();
    let mut marker = String::new();
    loop {
        let query = match marker.as_str() {
            "" => "/events?limit=1000".to_owned(),
            marker => format!("/events?limit=1000&marker={marker}"),
        };
        let reply = live.get(&query).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let reply = reply.json();
        for event in reply["values"].as_array().unwrap() {
            if event["type"] == "service.join" {
                joined.insert(event["payload"]["id"].as_str().unwrap().to_owned());
            }
        }
        match reply["metadata"]["next_marker"].as_str() {
            Some(next) if next != marker => marker = next.to_owned(),
            _ => break,
        }
    }
    assert_eq!(
        joined, listed,
        "a service without its event, or an event without its service"
    );
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["usage"]["service"].as_u64(),
        Some(listed.len() as u64),
        "the usage count is the rows': {limits}"
    );
}
