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

use prometheus::IntCounter;

use super::super::error::Result;
use super::clock::RegistryClock;
use super::stamp::{stamp, Behind};
use crate::platform::db::{now_millis, Database, DbError};
use crate::platform::intake::{IntakeLag, TakingIn};

/// The most a new deadline is credited for the node's slowness in answering (ms): a
/// node behind by more has stopped judging deadlines anyway (an outage, moved at its end).
const MAX_DELIVERY: i64 = 30_000;

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
                };
                stamp(conn, now, threshold, report).map(|stamped| (now, wall, stamped))
            })
            .await?;
        self.clock
            .learn(stamped.registry_lag, wall.saturating_add(self.threshold));
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

    /// How much later than its commit a heartbeat's answer may reach its client: this
    /// node's wait to read and answer now, at most [`MAX_DELIVERY`]. A new deadline counts
    /// from then (see `heartbeats::Swap`), so a dead service times out at most that much
    /// later, as late as the node is behind.
    pub fn delivery(&self) -> i64 {
        self.clock.unread_lag().min(MAX_DELIVERY)
    }

    /// A heartbeat's answer left `waited` ms after its commit: the wait of a handler to be
    /// resumed is a wait in the same line as a request's to be read, and the next commits'
    /// deadlines are credited with it.
    pub fn answered_after(&self, waited: i64) {
        self.clock.answered_after(waited);
    }

    /// Counts a heartbeat that reached the node at `arrival` as not yet taken in until the
    /// guard is dropped: the registry's clock stays at or before its arrival meanwhile
    /// (it was there already: it runs behind by at least the wait to be read), so no
    /// reaper judges a deadline the heartbeat may still keep.
    pub fn taking_in(&self, arrival: Option<i64>) -> TakingIn {
        self.clock.taking_in(arrival.unwrap_or_else(now_millis))
    }

    fn vouched(&self) -> Option<i64> {
        let now = self.clock.now();
        (now.saturating_sub(self.confirmed.load(Ordering::SeqCst)) <= self.threshold).then_some(now)
    }
}

#[cfg(test)]
mod tests {
    use super::super::services;
    use super::super::testing::{database, service};
    use super::*;
    use crate::identity::TenantId;
    use std::time::Instant;

    fn node(database: &Database, intake: IntakeLag) -> Watch {
        let outages = IntCounter::new("outages", "outages").unwrap();
        Watch::new(database.clone(), Duration::from_secs(1), outages, intake)
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

    #[tokio::test]
    async fn an_answer_that_left_late_credits_the_next_commits_and_holds_the_clock() {
        let (_directory, database) = database();
        let watch = node(&database, IntakeLag::default());
        assert!(watch.delivery() < 2_000);
        let before = watch.now().await.unwrap();
        watch.answered_after(2_000);
        assert!(watch.delivery() >= 2_000);
        watch.answered_after(60_000);
        assert_eq!(watch.delivery(), MAX_DELIVERY, "credited at most this much");
        let held = watch.now().await.unwrap();
        assert_eq!(held, before, "the clock stands still");
    }
}
