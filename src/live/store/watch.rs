//! The registry's watch over its own deadlines, so that its outages and its backlog are
//! never blamed on the services.
//!
//! Deadlines are judged by the registry's clock: the wall clock held back by how far behind
//! its intake the registry is (the largest [`IntakeLag`] any node reported within the last
//! `live.outage_threshold`), and never moved back. A heartbeat waiting to be read by a busy
//! node is not judged late because of that wait, and a dead service is timed out that much
//! later, never kept: the clock still runs, only behind.
//!
//! Every reaper run on every node stamps `live_watch.watched_at` with that clock before it
//! judges any deadline, and reports its node's lag. A gap between two stamps longer than
//! the threshold means nobody could judge deadlines for that long (every node down, the
//! database unreachable, a node frozen), or the clock leapt forward as a backlog cleared:
//! the stamp that ends the gap moves every deadline that fell inside it to *that stamp +
//! the service's timeout*, in the same transaction. Deadlines past the resumption are left
//! as they are.
//!
//! A node also stamps before it serves a request that compares deadlines, when its own
//! last stamp is older than the threshold (after its start, an outage of the database it
//! lived through, or such a leap): so no read, heartbeat or reaper on any node judges a
//! deadline that an outage moved before the move is committed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use prometheus::IntCounter;

use super::super::error::Result;
use super::clock::RegistryClock;
use crate::platform::db::{now_millis, Database, DbConnection, DbError};
use crate::platform::intake::{IntakeLag, TakingIn};

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
    clock: RegistryClock,
    /// This node's last stamp that committed (the registry's clock). While it is younger
    /// than the threshold no gap can be open, and requests go on without asking the
    /// database.
    confirmed: Arc<AtomicI64>,
    /// One stamp at a time from requests: a crowd arriving after an outage waits for one.
    stamping: Arc<tokio::sync::Mutex<()>>,
    outages: IntCounter,
}

impl Watch {
    pub fn new(
        database: Database,
        threshold: Duration,
        outages: IntCounter,
        intake: IntakeLag,
    ) -> Self {
        Self {
            database,
            threshold: i64::try_from(threshold.as_millis()).unwrap_or(i64::MAX),
            clock: RegistryClock::new(intake),
            confirmed: Arc::new(AtomicI64::new(i64::MIN)),
            stamping: Arc::default(),
            outages,
        }
    }

    /// Stamps the watch now (the reaper, before each run), and gives the time stamped on
    /// the registry's clock: deadlines up to it may be judged.
    pub async fn stamp(&self) -> Result<i64> {
        let (threshold, clock) = (self.threshold, self.clock.clone());
        // The time is read once a connection is in hand: a stamp that waited for the
        // database to come back must not date the resumption before it.
        let (now, wall, stamped) = self
            .database
            .run_write(move |conn| {
                let wall = now_millis();
                let now = clock.leap(wall, threshold);
                let report = Behind {
                    lag: clock.own_lag(),
                    wall,
                    until: wall.saturating_add(threshold),
                };
                stamp(conn, now, threshold, report).map(|stamped| (now, wall, stamped))
            })
            .await?;
        self.clock
            .registry_lag
            .store(stamped.registry_lag, Ordering::SeqCst);
        self.clock
            .registry_lag_until
            .store(wall.saturating_add(self.threshold), Ordering::SeqCst);
        self.confirmed.fetch_max(now, Ordering::SeqCst);
        match stamped.outage {
            // A database never watched before: new, or upgraded while every node was down.
            Some(first) if first.started == 0 => log::info!(
                "first watch of this database's deadlines: {} service deadline(s) before it \
                 moved to now plus their timeout",
                first.deadlines_moved
            ),
            Some(outage) => {
                self.outages.inc();
                log::warn!(
                    "the registry judged no deadline for {} ms (from {} to {}: down, cut off \
                     from its database, or behind its intake): {} service deadline(s) that \
                     fell inside moved to the resumption plus their timeout",
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

    /// The time a request may judge deadlines by, on the registry's clock: one no outage
    /// waits to be accounted for before. Free while this node stamped within the
    /// threshold; a stamp otherwise.
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
    /// arrival, however long the node took to serve it, but never after [`Self::now`]
    /// nor more than the threshold before it: within that no outage can hide, so no
    /// deadline an outage moved is judged by a time from before the move.
    pub async fn arrival(&self, arrival: Option<i64>) -> Result<i64> {
        let now = self.now().await?;
        Ok(arrival.map_or(now, |arrival| {
            arrival.clamp(now.saturating_sub(self.threshold), now)
        }))
    }

    /// Counts a heartbeat that reached the node at `arrival` as not yet taken in until the
    /// guard is dropped: the registry's clock stays at or before its arrival meanwhile
    /// (it was there already: it runs behind by at least the wait to be read), so no
    /// reaper judges a deadline the heartbeat may still keep.
    pub fn taking_in(&self, arrival: Option<i64>) -> TakingIn {
        self.clock
            .intake
            .taking_in(arrival.unwrap_or_else(now_millis))
    }

    fn vouched(&self) -> Option<i64> {
        let now = self.clock.now();
        (now.saturating_sub(self.confirmed.load(Ordering::SeqCst)) <= self.threshold).then_some(now)
    }
}

/// What a node reports of its lag with each stamp.
struct Behind {
    /// Its intake lag (ms).
    lag: i64,
    /// When it stamps, and until when the report holds (wall clock).
    wall: i64,
    until: i64,
}

/// What a stamp found.
struct Stamped {
    outage: Option<Outage>,
    /// The largest lag reported by any node within the threshold, this one's included.
    registry_lag: i64,
}

#[derive(QueryableByName)]
struct PreviousWatch {
    #[diesel(sql_type = BigInt)]
    previous_watch: i64,
    #[diesel(sql_type = BigInt)]
    behind_by: i64,
}

/// Stamps `now` (never moving the watch back, whatever another node's clock says) and,
/// when the previous stamp is older than `threshold`, moves the deadlines that fell since
/// then: one transaction, so a deadline is judged either before the move or after it.
/// Records the node's lag (a larger one another node reported keeps its place until it
/// expires) and gives the registry's.
fn stamp(conn: &mut DbConnection, now: i64, threshold: i64, report: Behind) -> Result<Stamped> {
    conn.transaction(|conn| {
        // SET reads the row as it was, so previous_watch gets the stamp this one follows;
        // the UPDATE also holds the row (PostgreSQL) until the move is committed.
        let PreviousWatch {
            previous_watch,
            behind_by,
        } = diesel::sql_query(
            "UPDATE live_watch SET previous_watch = watched_at, \
             watched_at = CASE WHEN watched_at < $1 THEN $1 ELSE watched_at END, \
             behind_by = CASE WHEN behind_until > $2 AND behind_by > $3 \
                 THEN behind_by ELSE $3 END, \
             behind_until = CASE WHEN behind_until > $2 AND behind_by > $3 \
                 THEN behind_until ELSE $4 END \
             WHERE id = 1 RETURNING previous_watch, behind_by",
        )
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(report.wall)
        .bind::<BigInt, _>(report.lag)
        .bind::<BigInt, _>(report.until)
        .get_result(conn)?;
        let registry_lag = behind_by;
        if now.saturating_sub(previous_watch) <= threshold {
            return Ok(Stamped {
                outage: None,
                registry_lag,
            });
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
        Ok(Stamped {
            outage: Some(Outage {
                started: previous_watch,
                resumed: now,
                deadlines_moved,
            }),
            registry_lag,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::services;
    use super::super::testing::{database, deadlines, service};
    use super::*;
    use crate::identity::TenantId;
    use std::time::Instant;

    fn node(database: &Database, intake: IntakeLag) -> Watch {
        let outages = IntCounter::new("outages", "outages").unwrap();
        Watch::new(database.clone(), Duration::from_secs(1), outages, intake)
    }

    /// A node's report of no lag at `wall`.
    fn on_time(wall: i64) -> Behind {
        Behind {
            lag: 0,
            wall,
            until: wall + 1_000,
        }
    }

    #[tokio::test]
    async fn a_request_counts_from_its_arrival_but_never_past_the_threshold() {
        let (_directory, database) = database();
        let watch = node(&database, IntakeLag::default());
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
                .with_connection(|conn| stamp(conn, now, 1_000, on_time(now)))
                .unwrap()
                .outage
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

    #[test]
    fn the_largest_lag_reported_holds_until_it_expires() {
        let (_directory, database) = database();
        let t0 = 1_800_000_000_000;
        let report = |wall, lag| {
            database
                .with_connection(|conn| {
                    let until = wall + 1_000;
                    stamp(conn, wall - lag, 1_000, Behind { lag, wall, until })
                })
                .unwrap()
                .registry_lag
        };
        assert_eq!(report(t0, 5_000), 5_000);
        assert_eq!(report(t0 + 250, 0), 5_000, "another node's lag holds");
        assert_eq!(report(t0 + 500, 7_000), 7_000, "a larger one replaces it");
        assert_eq!(report(t0 + 1_499, 100), 7_000);
        assert_eq!(report(t0 + 1_500, 100), 100, "expired: the reporter's own");
    }

    #[tokio::test]
    async fn no_node_judges_a_deadline_passed_while_the_registry_is_behind_its_intake() {
        let (_directory, database) = database();
        let (on_time_node, busy) = (IntakeLag::default(), IntakeLag::default());
        let (calm, behind) = (node(&database, on_time_node), node(&database, busy.clone()));
        calm.stamp().await.unwrap();
        let wall = now_millis();
        service(&database, "waiting", 4, wall - 2_000, "h");
        busy.record(Instant::now(), Duration::from_secs(5));

        let judged_at = behind.stamp().await.unwrap();
        assert!(
            judged_at <= now_millis() - 5_000,
            "{judged_at} against {wall}"
        );
        let arrived = behind.arrival(Some(now_millis())).await.unwrap();
        assert!(arrived <= behind.now().await.unwrap());
        let tenant = TenantId::new(1).unwrap();
        let dead = |at| {
            database
                .with_connection(|conn| services::has_dead(conn, tenant, at))
                .unwrap()
        };
        assert!(!dead(judged_at), "its heartbeat may wait in the backlog");

        // The other node learns the registry's lag from its next stamp, and its clock
        // stands still rather than judge the deadline.
        let before = calm.stamp().await.unwrap();
        let after = calm.stamp().await.unwrap();
        assert_eq!(after, before, "held back, never moved back");
        assert_eq!(calm.now().await.unwrap(), before);
    }
}
