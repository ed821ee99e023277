//! The registry's watch over its own deadlines, so that its outages are never blamed on
//! the services. Every reaper run on every node stamps `live_watch.watched_at` before it
//! judges any deadline. A gap between two stamps longer than `live.outage_threshold`
//! means nobody could judge deadlines for that long (every node down, the database
//! unreachable, a node frozen or overloaded): the stamp that ends the gap moves every
//! deadline that fell inside it to *that stamp + the service's timeout*, in the same
//! transaction. Deadlines past the resumption are left as they are.
//!
//! A node also stamps before it serves a request that compares deadlines, when its own
//! last stamp is older than the threshold (after its start, or an outage of the database
//! it lived through): so no read, heartbeat or reaper on any node judges a deadline that
//! an outage moved before the move is committed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use prometheus::IntCounter;

use super::super::error::Result;
use crate::platform::db::{now_millis, Database, DbConnection, DbError};

/// An outage of the registry that a stamp ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// The last stamp before it.
    pub started: i64,
    /// The stamp that ended it: the new deadlines count from here.
    pub resumed: i64,
    /// Services whose deadline fell inside it.
    pub deadlines_moved: usize,
}

#[derive(Clone)]
pub struct Watch {
    database: Database,
    threshold: i64,
    /// This node's last stamp that committed (its own clock). While it is younger than the
    /// threshold no gap can be open, and requests go on without asking the database.
    confirmed: Arc<AtomicI64>,
    /// One stamp at a time from requests: a crowd arriving after an outage waits for one.
    stamping: Arc<tokio::sync::Mutex<()>>,
    outages: IntCounter,
}

impl Watch {
    pub fn new(database: Database, threshold: Duration, outages: IntCounter) -> Self {
        Self {
            database,
            threshold: i64::try_from(threshold.as_millis()).unwrap_or(i64::MAX),
            confirmed: Arc::new(AtomicI64::new(i64::MIN)),
            stamping: Arc::default(),
            outages,
        }
    }

    /// Stamps the watch now (the reaper, before each run), and gives the time stamped:
    /// deadlines up to it may be judged.
    pub async fn stamp(&self) -> Result<i64> {
        let threshold = self.threshold;
        // The time is read once a connection is in hand: a stamp that waited for the
        // database to come back must not date the resumption before it.
        let (now, outage) = self
            .database
            .run_write(move |conn| {
                let now = now_millis();
                stamp(conn, now, threshold).map(|outage| (now, outage))
            })
            .await?;
        self.confirmed.fetch_max(now, Ordering::SeqCst);
        match outage {
            // A database never watched before: new, or upgraded while every node was down.
            Some(first) if first.started == 0 => log::info!(
                "first watch of this database's deadlines: {} service deadline(s) before it \
                 moved to now plus their timeout",
                first.deadlines_moved
            ),
            Some(outage) => {
                self.outages.inc();
                log::warn!(
                    "the registry judged no deadline for {} ms (from {} to {}): {} service \
                 deadline(s) that fell inside moved to the resumption plus their timeout",
                    outage.resumed - outage.started,
                    outage.started,
                    outage.resumed,
                    outage.deadlines_moved
                );
            }
            None => {}
        }
        Ok(now)
    }

    /// The time a request may judge deadlines by: one no outage waits to be accounted for
    /// before. Free while this node stamped within the threshold; a stamp otherwise.
    pub async fn now(&self) -> Result<i64> {
        if let Some(now) = self.vouched() {
            return Ok(now);
        }
        // A crowd waits for one stamp, but none longer than a database call may take: while
        // the database is away, each is answered 503 in that time, never left hanging.
        let deadline = self.database.deadline();
        let _turn = tokio::time::timeout(deadline, self.stamping.lock())
            .await
            .map_err(|_| DbError::Deadline(deadline))?;
        match self.vouched() {
            Some(now) => Ok(now),
            None => self.stamp().await,
        }
    }

    /// The time a request that reached the node at `arrival` may be judged by: its
    /// arrival, however long the node took to serve it, but never more than the threshold
    /// before [`Self::now`]: within that no outage can hide, so no deadline an outage
    /// moved is judged by a time from before the move.
    pub async fn arrival(&self, arrival: Option<i64>) -> Result<i64> {
        let now = self.now().await?;
        Ok(arrival.map_or(now, |arrival| {
            arrival.clamp(now.saturating_sub(self.threshold), now)
        }))
    }

    fn vouched(&self) -> Option<i64> {
        let now = now_millis();
        (now.saturating_sub(self.confirmed.load(Ordering::SeqCst)) <= self.threshold).then_some(now)
    }
}

#[derive(QueryableByName)]
struct PreviousWatch {
    #[diesel(sql_type = BigInt)]
    previous_watch: i64,
}

/// Stamps `now` (never moving the watch back, whatever another node's clock says) and,
/// when the previous stamp is older than `threshold`, moves the deadlines that fell since
/// then: one transaction, so a deadline is judged either before the move or after it.
fn stamp(conn: &mut DbConnection, now: i64, threshold: i64) -> Result<Option<Outage>> {
    conn.transaction(|conn| {
        // SET reads the row as it was, so previous_watch gets the stamp this one follows;
        // the UPDATE also holds the row (PostgreSQL) until the move is committed.
        let PreviousWatch { previous_watch } = diesel::sql_query(
            "UPDATE live_watch SET previous_watch = watched_at, \
             watched_at = CASE WHEN watched_at < $1 THEN $1 ELSE watched_at END \
             WHERE id = 1 RETURNING previous_watch",
        )
        .bind::<BigInt, _>(now)
        .get_result(conn)?;
        if now.saturating_sub(previous_watch) <= threshold {
            return Ok(None);
        }
        // Deadlines at or before the previous stamp were already due when the registry
        // last watched: those services died before the outage and keep their deadline.
        let deadlines_moved = diesel::sql_query(
            "UPDATE live_services SET deadline = $1 + heartbeat_timeout * 1000 \
             WHERE deadline > $2 AND deadline <= $1",
        )
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(previous_watch)
        .execute(conn)?;
        diesel::sql_query(
            "UPDATE live_watch SET outage_started = $1, outage_ended = $2, \
             deadlines_moved = $3 WHERE id = 1",
        )
        .bind::<BigInt, _>(previous_watch)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(i64::try_from(deadlines_moved).unwrap_or(i64::MAX))
        .execute(conn)?;
        Ok(Some(Outage {
            started: previous_watch,
            resumed: now,
            deadlines_moved,
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{database, deadlines, service};
    use super::*;

    #[tokio::test]
    async fn a_request_counts_from_its_arrival_but_never_past_the_threshold() {
        let (_directory, database) = database();
        let outages = IntCounter::new("outages", "outages").unwrap();
        let watch = Watch::new(database, Duration::from_secs(1), outages);
        let now = watch.now().await.unwrap();
        assert_eq!(watch.arrival(Some(now - 400)).await.unwrap(), now - 400);
        let long_ago = watch.arrival(Some(now - 60_000)).await.unwrap();
        assert!(
            (now - 1_000..=now_millis() - 1_000).contains(&long_ago),
            "{long_ago} against {now}"
        );
        let ahead = watch.arrival(Some(now + 60_000)).await.unwrap();
        assert!(ahead <= now_millis(), "a clock ahead is not believed");
        assert!(watch.arrival(None).await.unwrap() >= now);
    }

    #[test]
    fn a_gap_past_the_threshold_moves_the_deadlines_inside_it_and_no_others() {
        let (_directory, database) = database();
        let t0 = 1_800_000_000_000;
        // Due before the first watch; due before the watch that precedes the gap, inside
        // the gap, at its end, after it.
        for (id, deadline) in [
            ("first", t0 - 1),
            ("before", t0 + 700),
            ("inside", t0 + 1_500),
            ("at-end", t0 + 5_000),
            ("after", t0 + 9_500),
        ] {
            service(&database, id, 4, deadline, "h");
        }
        let stamp_at = |now| {
            database
                .with_connection(|conn| stamp(conn, now, 1_000))
                .unwrap()
        };
        let first = stamp_at(t0).unwrap();
        assert_eq!(
            (first.started, first.deadlines_moved),
            (0, 1),
            "never watched before: what was due moves"
        );
        assert_eq!(
            stamp_at(t0 + 1_000),
            None,
            "a gap of the threshold is no outage"
        );
        assert_eq!(
            stamp_at(t0 + 900),
            None,
            "a lagging clock never moves the watch back"
        );
        let outage = stamp_at(t0 + 5_000).unwrap();
        assert_eq!(
            outage,
            Outage {
                started: t0 + 1_000,
                resumed: t0 + 5_000,
                deadlines_moved: 3,
            }
        );
        let deadlines = deadlines(&database);
        let resumed_plus_timeout = t0 + 5_000 + 4_000;
        assert_eq!(deadlines["first"], resumed_plus_timeout);
        assert_eq!(
            deadlines["before"],
            t0 + 700,
            "due before the gap: the reaper's"
        );
        assert_eq!(deadlines["inside"], resumed_plus_timeout);
        assert_eq!(deadlines["at-end"], resumed_plus_timeout);
        assert_eq!(
            deadlines["after"],
            t0 + 9_500,
            "after the resumption: its own"
        );
    }
}
