//! How a node knows that what it cached is still what the database holds.
//!
//! Every write to a cached kind of data bumps that kind's counter in `generations`, in the
//! write's own transaction. A node keeps an *epoch* per kind: caches key their entries by
//! it, so moving the epoch drops every entry at once (old entries are never read again
//! and age out of the cache). The epoch moves
//! - on this node, right after one of its own writes commits, before the write is
//!   answered: a read after a write on the node that wrote is never stale;
//! - when the poller (a worker, every `cache.poll_interval`) sees the counter moved: a
//!   write on another node reaches this node's readers within one poll.
//!
//! Entries are served only while the last successful poll is younger than
//! `cache.max_staleness`: if the database stops answering the poller, the node stops
//! serving from its cache instead of serving data of unknown age. So nothing is ever
//! served more than `max_staleness` after a write committed elsewhere.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use crate::platform::db::{now_millis, Database, DbConnection, DbError};
use crate::platform::workers::Workers;
use crate::settings::CacheSettings;

diesel::table! {
    generations (name) {
        name -> Text,
        value -> BigInt,
    }
}

/// Why the poller could not vouch for a cache this time.
#[derive(Debug, thiserror::Error)]
#[error("cannot poll the generation of {name}; its cache is bypassed until a poll succeeds")]
struct PollFailed {
    name: &'static str,
    #[source]
    cause: DbError,
}

/// The freshness of one kind of data on this node. Cheap to clone.
#[derive(Clone)]
pub struct Freshness {
    inner: Arc<Inner>,
}

struct Inner {
    /// The row of `generations` this kind's writes bump.
    name: &'static str,
    epoch: AtomicU64,
    /// The counter as last polled (`i64::MIN` before the first poll).
    seen: AtomicI64,
    /// Epoch milliseconds until which cached entries may be served.
    fresh_until: AtomicI64,
    max_staleness: Duration,
    poll_interval: Duration,
}

impl Freshness {
    pub fn new(name: &'static str, settings: &CacheSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                name,
                epoch: AtomicU64::new(0),
                seen: AtomicI64::new(i64::MIN),
                fresh_until: AtomicI64::new(0),
                max_staleness: settings.max_staleness,
                poll_interval: settings.poll_interval,
            }),
        }
    }

    /// The epoch cached entries are keyed by now, or `None` when this node cannot vouch
    /// for its cache (the poller has not succeeded within `max_staleness`).
    pub fn epoch(&self) -> Option<u64> {
        (now_millis() < self.inner.fresh_until.load(Ordering::Acquire))
            .then(|| self.inner.epoch.load(Ordering::Acquire))
    }

    /// Part of every write's transaction: tells the other nodes that this kind changed.
    pub fn bump(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        diesel::update(generations::table.find(self.inner.name))
            .set(generations::value.eq(generations::value + 1))
            .execute(conn)?;
        Ok(())
    }

    /// Called after one of this node's writes returned (committed, failed, or of unknown
    /// outcome): entries cached before it are never served again.
    pub fn wrote(&self) {
        self.inner.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Reads the counter once; a move drops this node's entries. Success extends the time
    /// the cache may be served, counted from before the read.
    pub async fn poll(&self, database: &Database) -> Result<(), DbError> {
        let started = now_millis();
        let name = self.inner.name;
        let value = database
            .run(move |conn| {
                generations::table
                    .find(name)
                    .select(generations::value)
                    .first::<i64>(conn)
                    .map_err(DbError::from)
            })
            .await?;
        if self.inner.seen.swap(value, Ordering::AcqRel) != value {
            self.wrote();
        }
        let horizon = i64::try_from(self.inner.max_staleness.as_millis()).unwrap_or(i64::MAX);
        self.inner
            .fresh_until
            .fetch_max(started.saturating_add(horizon), Ordering::AcqRel);
        Ok(())
    }

    /// The poller, a worker of the application: the workers log its failures.
    pub fn start_poller(&self, workers: &mut Workers, database: Database) {
        workers.every("freshness", self.inner.poll_interval).run(
            (self.clone(), database),
            |(freshness, database)| async move {
                let name = freshness.inner.name;
                let polled = freshness.poll(&database).await;
                polled.map_err(|cause| PollFailed { name, cause })
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::db::DatabaseUrl;
    use crate::settings::DatabaseSettings;

    fn settings(max_staleness: Duration) -> CacheSettings {
        CacheSettings {
            capacity_bytes: 1 << 20,
            poll_interval: Duration::from_millis(50),
            max_staleness,
        }
    }

    #[tokio::test]
    async fn the_epoch_moves_on_local_writes_and_polled_remote_ones_and_lapses_unpolled() {
        let directory = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(&directory.path().join("f.db").display().to_string()).unwrap();
        let database = Database::open(url, &DatabaseSettings::default()).unwrap();
        let here = Freshness::new("registry.services", &settings(Duration::from_secs(1)));
        let there = Freshness::new("registry.services", &settings(Duration::from_secs(5)));

        assert_eq!(
            here.epoch(),
            None,
            "nothing is vouched for before the first poll"
        );
        here.poll(&database).await.unwrap();
        let first = here.epoch().expect("fresh after a poll");
        here.poll(&database).await.unwrap();
        assert_eq!(
            here.epoch(),
            Some(first),
            "an unmoved counter keeps the epoch"
        );

        here.wrote();
        let second = here.epoch().unwrap();
        assert_ne!(second, first, "a local write moves the epoch at once");

        // Another node's committed write reaches this node at its next poll.
        database.with_connection(|conn| there.bump(conn)).unwrap();
        assert_eq!(here.epoch(), Some(second), "not before the poll");
        here.poll(&database).await.unwrap();
        assert_ne!(here.epoch(), Some(second));

        // Without a successful poll the cache lapses after max_staleness.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(here.epoch(), None);
        here.poll(&database).await.unwrap();
        assert!(here.epoch().is_some());
    }
}
