//! How often long polls read the database: a poll that comes back while a read of its
//! page found nothing after its marker, and nothing moved since, joins that read.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;

use super::*;
use crate::live::store::testing::database;
use crate::platform::paging::RSR;

fn tenant() -> TenantId {
    TenantId::new(1).unwrap()
}

/// A feed on a fresh database whose reads stay fresh for longer than a test: only the
/// feed's moves make polls read early.
fn feed() -> (tempfile::TempDir, Database, Events) {
    let (directory, database) = database();
    let settings = LiveSettings {
        feed_poll_interval: Duration::from_secs(600),
        ..LiveSettings::default()
    };
    let events = Events::new(database.clone(), &settings, &Metrics::new(database.clone()));
    (directory, database, events)
}

fn append(events: &Events, database: &Database) -> EventId {
    database
        .with_connection(|conn| {
            conn.transaction(|conn| {
                let lock = FeedLock::acquire(conn, tenant())?;
                lock.append(
                    conn,
                    vec![NewEvent {
                        kind: EventKind::ConfigurationValueUpdate,
                        occurred_at: now_millis(),
                        payload: serde_json::json!({}),
                    }],
                )
            })
        })
        .map(|appended| events.appended(tenant(), &appended))
        .unwrap();
    let page = database
        .with_connection(|conn| store::page(conn, tenant(), EventId::first_at(0), None, 100))
        .unwrap();
    EventId::parse(&page.last().unwrap().id).unwrap()
}

/// Long polls from `marker`, waiting `wait`, with a catch-up that counts its runs: one per
/// read of the database.
async fn poll(events: &Events, marker: EventId, wait: Duration, reads: &Arc<AtomicUsize>) -> usize {
    let query = FeedQuery {
        start: marker,
        marker: Some(marker),
        kind: None,
        size: RSR.limit(None).unwrap(),
        wait,
    };
    let page = events
        .read(tenant(), query, || {
            let reads = Arc::clone(reads);
            async move {
                reads.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .await
        .unwrap();
    page.items.len()
}

#[tokio::test]
async fn a_poll_back_while_a_read_found_the_end_waits_without_reading() {
    let (_directory, database, events) = feed();
    let marker = append(&events, &database);
    let reads = Arc::new(AtomicUsize::new(0));
    let wait = Duration::from_millis(50);

    // The first poll reads, finds nothing after its marker, and reads again when its
    // wait is over, to answer.
    assert_eq!(poll(&events, marker, wait, &reads).await, 1);
    assert_eq!(reads.load(Ordering::SeqCst), 2);
    // The next ones join its read: each reads once, to answer.
    for _ in 0..5 {
        assert_eq!(poll(&events, marker, wait, &reads).await, 1);
    }
    assert_eq!(reads.load(Ordering::SeqCst), 7);

    // A poll without a wait always reads.
    assert_eq!(poll(&events, marker, Duration::ZERO, &reads).await, 1);
    assert_eq!(reads.load(Ordering::SeqCst), 8);

    // Once the feed moves, the next poll reads at once and finds the new event.
    let next = append(&events, &database);
    assert_eq!(poll(&events, marker, wait, &reads).await, 2);
    assert_eq!(reads.load(Ordering::SeqCst), 9);
    // From the new end, the first poll reads twice again, the next ones once.
    assert_eq!(poll(&events, next, wait, &reads).await, 1);
    assert_eq!(poll(&events, next, wait, &reads).await, 1);
    assert_eq!(reads.load(Ordering::SeqCst), 12);
}

#[tokio::test]
async fn a_joined_poll_is_answered_by_a_read_once_the_feed_moves() {
    let (_directory, database, events) = feed();
    let marker = append(&events, &database);
    let reads = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        poll(&events, marker, Duration::from_millis(50), &reads).await,
        1
    );
    let before = reads.load(Ordering::SeqCst);

    // A follower that joins that read waits; a write wakes it, and it reads the write.
    let follower = poll(&events, marker, Duration::from_secs(600), &reads);
    // `join!` polls the follower first, and it runs up to its wait before it yields: the
    // write comes after it joined.
    let writer = async {
        append(&events, &database);
    };
    let (answered, ()) = tokio::join!(follower, writer);
    assert_eq!(answered, 2);
    assert_eq!(reads.load(Ordering::SeqCst), before + 1);
}
