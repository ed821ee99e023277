//! How often a tenant's fleet heartbeats, against how often it must.
//!
//! Each node counts the heartbeats it accepted per tenant in 10-second buckets, in memory
//! (a heartbeat costs no extra statement), and every `live.rate_sync_interval` adds them
//! to the shared counts (`super::counts`, the mechanism the rate limit shares), so what any
//! node reports is every node's heartbeats. A minute is read only once each node has added
//! its counts of it: the window ends two sync intervals back, on a bucket boundary. A node
//! killed between two syncs loses at most one interval of its counts; this is a gauge for
//! operators, not a ledger.
//!
//! What the fleet needs is one heartbeat per timeout per live service: a service with a
//! 30 s timeout needs 2 a minute, whatever its client's cadence (RSR's heartbeat at 0.6 or
//! 0.8 of the timeout, so a healthy fleet sends somewhat more than it needs).

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use moka::sync::Cache;

use super::super::error::Result;
use super::super::schema::{live_heartbeat_counts, live_services};
use super::counts::{Counted, NodeCounts};
use crate::identity::TenantId;
use crate::platform::db::{Database, DbConnection};

/// The buckets' length.
const BUCKET_MS: i64 = 10_000;
/// The window the rate is read over.
const MINUTE_MS: i64 = 60_000;
/// Buckets older than this are deleted when a node writes its counts.
const KEPT_MS: i64 = 5 * MINUTE_MS;

/// A tenant's heartbeats in the last complete minute, and what its live services need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatRate {
    /// Every node's accepted heartbeats in the minute ending at `window_end`.
    pub per_minute: i64,
    /// One heartbeat per timeout for each live service (until the reaper has removed it),
    /// per minute, rounded up.
    pub needed_per_minute: i64,
    /// The end of the minute counted, in milliseconds since the epoch.
    pub window_end: i64,
}

/// This node's heartbeats per (tenant, bucket), and each tenant's needs.
#[derive(Clone)]
pub struct HeartbeatTally {
    beats: NodeCounts,
    /// How long a bucket waits, once ended, for every node to have added to it.
    settle_ms: i64,
    /// Each tenant's needs, counted about once per sync interval on this node: on a big
    /// tenant the count reads an index entry per service.
    needs: Cache<i64, i64>,
}

impl HeartbeatTally {
    pub fn new(sync_interval: Duration) -> Self {
        let interval = i64::try_from(sync_interval.as_millis()).unwrap_or(i64::MAX / 4);
        Self {
            beats: NodeCounts::new(Counted::Heartbeats),
            settle_ms: interval.saturating_mul(2),
            needs: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(sync_interval)
                .build(),
        }
    }

    /// Counts an accepted heartbeat of `tenant` that arrived at `at`.
    pub fn count(&self, tenant: TenantId, at: i64) {
        self.beats.count((tenant.get(), bucket_of(at)), 1);
    }

    /// Adds this node's counts to the shared ones and deletes each synced tenant's old
    /// buckets, in one transaction. Counts it could not write are kept for the next sync,
    /// unless their bucket is too old to be read any more (a database away for minutes).
    pub async fn sync(&self, database: &Database, now: i64) -> Result<()> {
        self.beats
            .sync(
                database,
                [],
                |(_, bucket)| bucket >= now - KEPT_MS,
                move |conn, keys| {
                    let mut tenants: Vec<i64> = keys.iter().map(|(tenant, _)| *tenant).collect();
                    tenants.dedup();
                    diesel::delete(
                        live_heartbeat_counts::table
                            .filter(live_heartbeat_counts::tenant_id.eq_any(tenants))
                            .filter(live_heartbeat_counts::bucket_start.lt(now - KEPT_MS)),
                    )
                    .execute(conn)?;
                    Ok(())
                },
            )
            .await
            .map(|_| ())
    }

    /// The tenant's rate as of `now`; its needs as of one sync interval at most.
    pub fn rate(
        &self,
        conn: &mut DbConnection,
        tenant: TenantId,
        now: i64,
    ) -> Result<HeartbeatRate> {
        let window_end = bucket_of(now - self.settle_ms);
        Ok(HeartbeatRate {
            per_minute: beats_in(conn, tenant, window_end - MINUTE_MS, window_end)?,
            needed_per_minute: self.needs(conn, tenant)?,
            window_end,
        })
    }

    fn needs(&self, conn: &mut DbConnection, tenant: TenantId) -> Result<i64> {
        if let Some(needed) = self.needs.get(&tenant.get()) {
            return Ok(needed);
        }
        let needed = needed_per_minute(&timeouts(conn, tenant)?);
        self.needs.insert(tenant.get(), needed);
        Ok(needed)
    }
}

fn bucket_of(at: i64) -> i64 {
    at.div_euclid(BUCKET_MS) * BUCKET_MS
}

/// One heartbeat per timeout per service, per minute, rounded up: `timeouts` holds
/// (timeout in seconds, live services with it).
fn needed_per_minute(timeouts: &[(i64, i64)]) -> i64 {
    // The timeouts' common multiple overflows; in f64 the sum errs far below one beat.
    let needed: f64 = timeouts
        .iter()
        .filter(|(timeout, _)| *timeout > 0)
        .map(|&(timeout, services)| 60.0 * services as f64 / timeout as f64)
        .sum();
    // A sum within rounding of a whole number is that number (60 s timeouts, 120 s pairs).
    let rounded = needed.round();
    if (needed - rounded).abs() < 1e-6 {
        rounded as i64
    } else {
        needed.ceil() as i64
    }
}

#[derive(QueryableByName)]
struct Beats {
    #[diesel(sql_type = BigInt)]
    beats: i64,
}

/// The tenant's heartbeats in the buckets from `from` up to `until`.
fn beats_in(conn: &mut DbConnection, tenant: TenantId, from: i64, until: i64) -> Result<i64> {
    // SUM's type differs between the backends (NUMERIC on PostgreSQL): cast it back.
    Ok(diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(beats), 0) AS BIGINT) AS beats FROM live_heartbeat_counts \
         WHERE tenant_id = $1 AND bucket_start >= $2 AND bucket_start < $3",
    )
    .bind::<BigInt, _>(tenant.get())
    .bind::<BigInt, _>(from)
    .bind::<BigInt, _>(until)
    .get_result::<Beats>(conn)?
    .beats)
}

/// (timeout in seconds, services with it) of the tenant, from an index: a service past its
/// deadline counts until the reaper removes it (`live.reaper_interval`), since filtering on
/// the deadline would read every row.
fn timeouts(conn: &mut DbConnection, tenant: TenantId) -> Result<Vec<(i64, i64)>> {
    Ok(live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .group_by(live_services::heartbeat_timeout)
        .select((live_services::heartbeat_timeout, diesel::dsl::count_star()))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_needs_one_heartbeat_per_timeout() {
        assert_eq!(needed_per_minute(&[]), 0);
        assert_eq!(needed_per_minute(&[(30, 10)]), 20);
        assert_eq!(needed_per_minute(&[(60, 1)]), 1);
        assert_eq!(
            needed_per_minute(&[(120, 1)]),
            1,
            "half a beat still needs one"
        );
        assert_eq!(needed_per_minute(&[(120, 2)]), 1);
        assert_eq!(needed_per_minute(&[(7, 3)]), 26, "25.7 rounds up");
        assert_eq!(needed_per_minute(&[(3, 100_000), (120, 1)]), 2_000_001);
    }

    #[test]
    fn buckets_are_ten_seconds_long() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(9_999), 0);
        assert_eq!(bucket_of(10_000), 10_000);
        assert_eq!(bucket_of(1_764_000_012_345), 1_764_000_010_000);
    }

    #[tokio::test]
    async fn counts_a_failed_sync_could_not_write_go_with_the_next_one() {
        use super::super::testing;
        let (_directory, database) = testing::database();
        let statement = |sql: &str| testing::statement(&database, sql);
        let tally = HeartbeatTally::new(Duration::from_secs(1));
        let tenant = TenantId::new(1).unwrap();
        let now = 1_800_000_000_000;
        for _ in 0..3 {
            tally.count(tenant, now);
        }
        tally.count(tenant, now - KEPT_MS - BUCKET_MS);
        statement("ALTER TABLE live_heartbeat_counts RENAME TO away");
        assert!(tally.sync(&database, now).await.is_err());
        assert_eq!(
            tally.beats.pending(),
            std::collections::HashMap::from([((1, bucket_of(now)), 3)]),
            "kept, but for a bucket too old to be read"
        );
        statement("ALTER TABLE away RENAME TO live_heartbeat_counts");
        tally.sync(&database, now).await.unwrap();
        assert!(tally.beats.pending().is_empty());
        let later = now + BUCKET_MS + 2_000;
        let rate = database
            .with_connection(|conn| tally.rate(conn, tenant, later))
            .unwrap();
        assert_eq!((rate.per_minute, rate.needed_per_minute), (3, 0));
        assert_eq!(rate.window_end, bucket_of(now) + BUCKET_MS);
    }

    #[test]
    fn counts_go_to_their_tenant_and_bucket() {
        let tally = HeartbeatTally::new(Duration::from_secs(1));
        let (a, b) = (TenantId::new(1).unwrap(), TenantId::new(2).unwrap());
        tally.count(a, 10_000);
        tally.count(a, 19_999);
        tally.count(a, 20_000);
        tally.count(b, 10_500);
        let pending = tally.beats.pending();
        assert_eq!(pending.get(&(1, 10_000)), Some(&2));
        assert_eq!(pending.get(&(1, 20_000)), Some(&1));
        assert_eq!(pending.get(&(2, 10_000)), Some(&1));
        assert_eq!(tally.settle_ms, 2_000);
    }
}
