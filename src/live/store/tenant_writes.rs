//! What a batch of writes holds of one tenant: its feed lock, the events its writes
//! append, and its usage counts, read once and moved in memory as the batch's writes
//! create and end things, then written back in one statement before the commit.
//!
//! The lock is taken either first ([`LockAt::Start`]: nothing of the tenant's moves while
//! the batch runs) or only at the end, just before the commit ([`LockAt::End`]): another
//! node's batch of the same tenant then waits for a few statements and a commit, not for
//! all of this batch's work. Writes run that way decide only by conditional statements
//! and by the limit checks of [`TenantWrites::has_room`], which [`TenantWrites::finish`]
//! checks again under the lock: if other writers took the room a check counted on, the
//! batch fails with [`UsageMoved`] and is run again with the lock taken first.

use super::super::error::Result;
use super::usage;
use crate::identity::TenantId;
use crate::live::events::{Appended, FeedLock, NewEvent};
use crate::platform::db::{DbConnection, DbError};

/// When a batch takes a tenant's feed lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockAt {
    Start,
    End,
}

/// A tenant's counts moved, between a batch's unlocked read and its lock, by more than the
/// room its limit checks left: nothing was committed, and the batch runs again with the
/// lock taken first.
#[derive(Debug)]
pub struct UsageMoved;

/// The two counted resources of a tenant.
#[derive(Debug, Clone, Copy)]
pub enum Counted {
    Services,
    ConfigurationValues,
}

pub struct TenantWrites {
    tenant: TenantId,
    /// Taken at the start, or `None` until [`Self::finish`] takes it.
    feed: Option<FeedLock>,
    appended: Vec<NewEvent>,
    /// (services, configuration values) as stored when first asked for.
    stored: Option<(i64, i64)>,
    /// What this batch's writes added to them.
    moved: (i64, i64),
    /// The least room a passed limit check left in each count: how far other writers may
    /// have moved the stored count, unseen, before one of the checks no longer holds.
    room: (Option<i64>, Option<i64>),
}

impl TenantWrites {
    /// Call before anything the batch's writes depend on; with [`LockAt::Start`] it takes
    /// the tenant's feed lock.
    pub(super) fn begin(
        conn: &mut DbConnection,
        tenant: TenantId,
        lock: LockAt,
    ) -> Result<Self, DbError> {
        let feed = match lock {
            LockAt::Start => Some(FeedLock::acquire(conn, tenant)?),
            LockAt::End => None,
        };
        Ok(Self {
            tenant,
            feed,
            appended: Vec::new(),
            stored: None,
            moved: (0, 0),
            room: (None, None),
        })
    }

    /// Whether one more of `counted` fits under `limit`, this batch's writes included.
    pub fn has_room(
        &mut self,
        conn: &mut DbConnection,
        counted: Counted,
        limit: i64,
    ) -> Result<bool> {
        let (services, values) = self.stored(conn)?;
        let (held, room) = match counted {
            Counted::Services => (services + self.moved.0, &mut self.room.0),
            Counted::ConfigurationValues => (values + self.moved.1, &mut self.room.1),
        };
        if held >= limit {
            return Ok(false);
        }
        let left = limit - held - 1;
        *room = Some(room.map_or(left, |room| room.min(left)));
        Ok(true)
    }

    fn stored(&mut self, conn: &mut DbConnection) -> Result<(i64, i64)> {
        Ok(match self.stored {
            Some(stored) => stored,
            None => *self.stored.insert(usage::current(conn, self.tenant)?),
        })
    }

    /// Moves the counts (negative to give places back).
    pub fn count(&mut self, services: i64, values: i64) {
        self.moved.0 += services;
        self.moved.1 += values;
    }

    /// Appends `event` to the feed; it is numbered and written, with the batch's others,
    /// when the batch finishes.
    pub fn append(&mut self, event: NewEvent) {
        self.appended.push(event);
    }

    /// Takes the feed lock if it is not held yet (and checks that the limit checks still
    /// hold), then writes the counts, the events and the feed's position; gives back what
    /// was appended, for the node to announce once the batch has committed.
    pub(super) fn finish(
        self,
        conn: &mut DbConnection,
    ) -> Result<std::result::Result<Vec<Appended>, UsageMoved>, DbError> {
        let feed = match self.feed {
            Some(feed) => feed,
            None => {
                let feed = FeedLock::acquire(conn, self.tenant)?;
                if let (Some(seen), (Some(_), _) | (_, Some(_))) = (self.stored, self.room) {
                    let now = usage::current(conn, self.tenant)?;
                    let exceeds = |room: Option<i64>, seen: i64, now: i64| {
                        room.is_some_and(|room| now - seen > room)
                    };
                    if exceeds(self.room.0, seen.0, now.0) || exceeds(self.room.1, seen.1, now.1) {
                        return Ok(Err(UsageMoved));
                    }
                }
                feed
            }
        };
        if self.moved != (0, 0) {
            usage::add(conn, self.tenant, self.moved.0, self.moved.1)?;
        }
        feed.append(conn, self.appended).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::store::testing;

    /// Runs a batch of one tenant whose lock is taken last: `checks` limit checks of
    /// services under `limit`, then `others` added to the stored count (as another node's
    /// committed batch would between the unlocked read and the lock), then the finish.
    fn finish_after(checks: i64, limit: i64, others: i64) -> std::result::Result<(), UsageMoved> {
        let (_directory, database) = testing::database();
        testing::statement(
            &database,
            "INSERT INTO live_usage (tenant_id, services, configuration_values) VALUES (1, 5, 0)",
        );
        let tenant = TenantId::new(1).unwrap();
        database
            .with_connection(|conn| {
                let mut writes = TenantWrites::begin(conn, tenant, LockAt::End)?;
                for _ in 0..checks {
                    assert!(writes.has_room(conn, Counted::Services, limit)?);
                    writes.count(1, 0);
                }
                usage::add(conn, tenant, others, 0)?;
                Ok::<_, crate::live::error::LiveError>(writes.finish(conn)?.map(|_| ()))
            })
            .unwrap()
    }

    #[test]
    fn a_limit_check_holds_while_others_took_no_more_than_the_room_it_left() {
        // 5 stored, limit 10: two creates leave room for 3 more.
        assert!(finish_after(2, 10, 3).is_ok());
        assert!(
            finish_after(2, 10, -4).is_ok(),
            "places given back never hurt"
        );
        assert!(finish_after(0, 10, 50).is_ok(), "nothing was checked");
    }

    #[test]
    fn a_limit_check_others_overtook_sends_the_batch_round_again() {
        assert!(finish_after(2, 10, 4).is_err());
        assert!(
            finish_after(1, 6, 1).is_err(),
            "the last place, taken meanwhile"
        );
    }
}
