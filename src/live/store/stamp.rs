//! The watch's row (`live_watch`) and its one statement, the stamp: what [`super::watch`]
//! runs before any deadline is judged, and how an outage moves the deadlines inside it.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::super::error::Result;
use crate::platform::db::DbConnection;

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

/// What a node reports of its lag with each stamp; the report holds for the threshold.
pub struct Behind {
    /// Its intake lag (ms).
    pub lag: i64,
    /// When it stamps (wall clock).
    pub wall: i64,
}

/// What a stamp found.
pub struct Stamped {
    pub outage: Option<Outage>,
    /// The largest lag reported by any node within the threshold, this one's included.
    pub registry_lag: i64,
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
pub fn stamp(conn: &mut DbConnection, now: i64, threshold: i64, report: Behind) -> Result<Stamped> {
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
        .bind::<BigInt, _>(report.wall.saturating_add(threshold))
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
    use super::super::testing::{database, deadlines, service};
    use super::*;

    /// A node's report of no lag at `wall`.
    fn on_time(wall: i64) -> Behind {
        Behind { lag: 0, wall }
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
                .with_connection(|conn| stamp(conn, wall - lag, 1_000, Behind { lag, wall }))
                .unwrap()
                .registry_lag
        };
        assert_eq!(report(t0, 5_000), 5_000);
        assert_eq!(report(t0 + 250, 0), 5_000, "another node's lag holds");
        assert_eq!(report(t0 + 500, 7_000), 7_000, "a larger one replaces it");
        assert_eq!(report(t0 + 1_499, 100), 7_000);
        assert_eq!(report(t0 + 1_500, 100), 100, "expired: the reporter's own");
    }
}
