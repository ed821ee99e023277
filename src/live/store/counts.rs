//! Per-tenant counts that every node keeps in memory and adds to shared rows: the one
//! mechanism behind the request rate limit (`live::rate`, requests per window) and the
//! heartbeat counts (`cadence`, heartbeats per 10-second bucket).
//!
//! Counting costs no statement: a node adds to its own map, and a sync adds the map to the
//! shared rows in one transaction, each row's new total read back by the same statement.
//! Rows are written in key order on every node, so two nodes' syncs never wait on each
//! other's rows in a cycle (a deadlock PostgreSQL would break by failing one of them).
//! Counts a sync could not write go with the next one; a node killed between two syncs
//! loses at most one interval of its counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::super::error::Result;
use crate::platform::db::{Database, DbConnection};

/// A tenant and the start of the period counted (a rate window, a heartbeat bucket), in
/// milliseconds since the epoch.
pub type CountKey = (i64, i64);

/// What is counted, and the shared table each count is added to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Requests of a tenant in its rate window (`live_request_counts`).
    Requests,
    /// Accepted heartbeats of a tenant in a 10-second bucket (`live_heartbeat_counts`).
    Heartbeats,
}

impl Counted {
    /// One statement that adds to a row, creating it, and returns its new total.
    fn add_statement(self) -> &'static str {
        match self {
            Self::Requests => {
                "INSERT INTO live_request_counts (tenant_id, window_start, used) \
                 VALUES ($1, $2, $3) ON CONFLICT (tenant_id, window_start) \
                 DO UPDATE SET used = live_request_counts.used + excluded.used \
                 RETURNING used AS total"
            }
            Self::Heartbeats => {
                "INSERT INTO live_heartbeat_counts (tenant_id, bucket_start, beats) \
                 VALUES ($1, $2, $3) ON CONFLICT (tenant_id, bucket_start) \
                 DO UPDATE SET beats = live_heartbeat_counts.beats + excluded.beats \
                 RETURNING beats AS total"
            }
        }
    }
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Adds `amount` to a shared count; its total afterwards (every node's).
pub fn add(conn: &mut DbConnection, counted: Counted, key: CountKey, amount: i64) -> Result<i64> {
    Ok(diesel::sql_query(counted.add_statement())
        .bind::<BigInt, _>(key.0)
        .bind::<BigInt, _>(key.1)
        .bind::<BigInt, _>(amount)
        .get_result::<Total>(conn)?
        .total)
}

#[derive(Default)]
struct Known {
    /// The shared totals as the last sync read them back (every node's).
    totals: HashMap<CountKey, i64>,
    /// Counted here, not yet taken by a sync.
    pending: HashMap<CountKey, i64>,
    /// Taken by the sync running now.
    in_flight: HashMap<CountKey, i64>,
}

impl Known {
    fn used(&self, key: CountKey) -> i64 {
        [&self.totals, &self.pending, &self.in_flight]
            .iter()
            .map(|counts| counts.get(&key).copied().unwrap_or(0))
            .sum()
    }
}

/// This node's counts, and what it knows of every node's: one lock, so that a check
/// against a limit and the count that follows it see one state.
#[derive(Clone)]
pub struct NodeCounts {
    counted: Counted,
    known: Arc<Mutex<Known>>,
}

impl NodeCounts {
    pub fn new(counted: Counted) -> Self {
        Self {
            counted,
            known: Arc::default(),
        }
    }

    pub fn count(&self, key: CountKey, amount: i64) {
        *self.lock().pending.entry(key).or_default() += amount;
    }

    /// Counts one more unless every node's count, as far as this node knows, has reached
    /// `limit`; whether it counted.
    pub fn count_within(&self, key: CountKey, limit: i64) -> bool {
        let mut known = self.lock();
        let within = known.used(key) < limit;
        if within {
            *known.pending.entry(key).or_default() += 1;
        }
        within
    }

    /// Every node's count as the last sync read it, plus this node's since.
    pub fn used(&self, key: CountKey) -> i64 {
        self.lock().used(key)
    }

    /// Takes `total`, read from the shared row, as every node's count of `key` so far
    /// (unless a sync has read a larger one since).
    pub fn learn(&self, key: CountKey, total: i64) {
        let mut known = self.lock();
        let known_total = known.totals.entry(key).or_default();
        *known_total = (*known_total).max(total);
    }

    /// Adds the pending counts, and nothing to each of `also` (to read its total), to the
    /// shared rows in one transaction; each key's total afterwards, in key order, is what
    /// this node knows from then on. `keep` says which periods are still worth counting:
    /// counts of the others are forgotten, and the counts a failed sync could not write
    /// are kept for the next only where it says so. `then` runs in the same transaction
    /// (deleting old rows).
    pub async fn sync(
        &self,
        database: &Database,
        also: impl IntoIterator<Item = CountKey>,
        keep: impl Fn(CountKey) -> bool,
        then: impl FnOnce(&mut DbConnection, &[CountKey]) -> Result<()> + Send + 'static,
    ) -> Result<Vec<(CountKey, i64)>> {
        let batch: Vec<(CountKey, i64)> = {
            let mut known = self.lock();
            let mut taken: HashMap<CountKey, i64> = std::mem::take(&mut known.pending);
            for key in also {
                taken.entry(key).or_default();
            }
            let mut batch: Vec<_> = taken.into_iter().collect();
            batch.sort_unstable();
            // Added to what other syncs have in flight, and taken off again below: syncs
            // may overlap (a worker's and one at stop, or a test's).
            for &(key, amount) in &batch {
                *known.in_flight.entry(key).or_default() += amount;
            }
            batch
        };
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let counted = self.counted;
        let sent = batch.clone();
        let written = database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    let mut totals = Vec::with_capacity(sent.len());
                    for &(key, amount) in &sent {
                        totals.push((key, add(conn, counted, key, amount)?));
                    }
                    let keys: Vec<CountKey> = sent.iter().map(|(key, _)| *key).collect();
                    then(conn, &keys)?;
                    Ok(totals)
                })
            })
            .await;
        let mut known = self.lock();
        for &(key, amount) in &batch {
            if let Some(flying) = known.in_flight.get_mut(&key) {
                *flying -= amount;
                if *flying == 0 {
                    known.in_flight.remove(&key);
                }
            }
        }
        match &written {
            // Totals only grow: of two overlapping syncs, the later read stands.
            Ok(totals) => {
                for &(key, total) in totals {
                    let known_total = known.totals.entry(key).or_default();
                    *known_total = (*known_total).max(total);
                }
            }
            Err(_) => {
                for (key, amount) in batch.into_iter().filter(|(key, _)| keep(*key)) {
                    *known.pending.entry(key).or_default() += amount;
                }
            }
        }
        known.totals.retain(|key, _| keep(*key));
        written
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[cfg(test)]
    pub fn pending(&self) -> HashMap<CountKey, i64> {
        self.lock().pending.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing;
    use super::*;

    #[tokio::test]
    async fn counts_reach_the_shared_rows_once_and_survive_a_failed_sync() {
        let (_directory, database) = testing::database();
        let statement = |sql: &str| testing::statement(&database, sql);
        statement("INSERT INTO tenants (id, name, name_key, created_at) VALUES (2, 'b', 'b', 0)");
        let requests = NodeCounts::new(Counted::Requests);
        let nothing = |_: &mut DbConnection, _: &[CountKey]| Ok(());
        requests.count((1, 0), 2);
        requests.count((1, 0), 1);
        requests.count((2, 0), 5);
        assert_eq!(requests.used((1, 0)), 3);
        let totals = requests
            .sync(&database, [], |_| true, nothing)
            .await
            .unwrap();
        assert_eq!(totals, vec![((1, 0), 3), ((2, 0), 5)]);
        assert_eq!(requests.used((1, 0)), 3, "now from the shared row");
        assert!(requests.count_within((1, 0), 4));
        assert!(!requests.count_within((1, 0), 4), "the limit is reached");
        assert_eq!(requests.used((1, 0)), 4);

        // Another node's counts show in the totals read back, with nothing to add.
        let other = NodeCounts::new(Counted::Requests);
        other.count((1, 0), 4);
        other.sync(&database, [], |_| true, nothing).await.unwrap();
        let totals = requests
            .sync(&database, [(1, 0)], |_| true, nothing)
            .await
            .unwrap();
        assert_eq!(totals, vec![((1, 0), 8)]);
        assert_eq!(requests.used((1, 0)), 8);

        statement("ALTER TABLE live_request_counts RENAME TO away");
        requests.count((1, 0), 1);
        requests.count((1, -10), 1);
        assert!(requests
            .sync(&database, [], |(_, period)| period >= 0, nothing)
            .await
            .is_err());
        assert_eq!(
            requests.pending(),
            HashMap::from([((1, 0), 1)]),
            "kept, but for a period no longer counted"
        );
        statement("ALTER TABLE away RENAME TO live_request_counts");
        let totals = requests
            .sync(&database, [], |_| true, nothing)
            .await
            .unwrap();
        assert_eq!(totals, vec![((1, 0), 9)]);
    }

    #[tokio::test]
    async fn overlapping_syncs_each_take_off_only_their_own() {
        use std::future::Future;
        use std::task::{Context, Waker};
        let (_directory, database) = testing::database();
        let requests = NodeCounts::new(Counted::Requests);
        let nothing = |_: &mut DbConnection, _: &[CountKey]| Ok(());
        let mut context = Context::from_waker(Waker::noop());
        requests.count((1, 0), 2);
        let mut first = Box::pin(requests.sync(&database, [], |_| true, nothing));
        assert!(
            first.as_mut().poll(&mut context).is_pending(),
            "2 in flight"
        );
        requests.count((1, 0), 3);
        let mut second = Box::pin(requests.sync(&database, [], |_| true, nothing));
        assert!(
            second.as_mut().poll(&mut context).is_pending(),
            "3 in flight"
        );
        assert_eq!(requests.used((1, 0)), 5, "both syncs' counts still count");
        let (first, second) = tokio::join!(first, second);
        first.unwrap();
        second.unwrap();
        assert_eq!(requests.used((1, 0)), 5, "counted once");
        let known = requests.lock();
        assert!(known.pending.is_empty() && known.in_flight.is_empty());
    }
}
