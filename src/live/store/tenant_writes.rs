//! What a batch of writes holds of one tenant: its feed lock, and its usage counts, read
//! once and moved in memory as the batch's writes create and end things, then written
//! back in one statement before the commit. Both are behind the feed lock, so no other
//! writer, on any node, moves them while the batch runs.

use super::super::error::Result;
use super::usage;
use crate::identity::TenantId;
use crate::live::events::{Appended, FeedLock, NewEvent};
use crate::platform::db::{DbConnection, DbError};

pub struct TenantWrites {
    tenant: TenantId,
    feed: FeedLock,
    /// (services, configuration values) as stored when first asked for.
    stored: Option<(i64, i64)>,
    /// What this batch's writes added to them.
    moved: (i64, i64),
}

impl TenantWrites {
    /// Takes the tenant's feed lock: call before anything the batch's writes depend on.
    pub(super) fn acquire(conn: &mut DbConnection, tenant: TenantId) -> Result<Self, DbError> {
        Ok(Self {
            tenant,
            feed: FeedLock::acquire(conn, tenant)?,
            stored: None,
            moved: (0, 0),
        })
    }

    /// (services, configuration values) the tenant holds now, this batch's writes included.
    pub fn usage(&mut self, conn: &mut DbConnection) -> Result<(i64, i64)> {
        let (services, values) = match self.stored {
            Some(stored) => stored,
            None => *self.stored.insert(usage::current(conn, self.tenant)?),
        };
        Ok((services + self.moved.0, values + self.moved.1))
    }

    /// Moves the counts (negative to give places back).
    pub fn count(&mut self, services: i64, values: i64) {
        self.moved.0 += services;
        self.moved.1 += values;
    }

    /// Appends `event` to the feed; it is written with the batch's others before the commit.
    pub fn append(&mut self, event: NewEvent) {
        self.feed.append(event);
    }

    /// Writes the counts and the feed's position back; what was appended, for the node to
    /// announce once the batch has committed.
    pub(super) fn finish(self, conn: &mut DbConnection) -> Result<Vec<Appended>, DbError> {
        if self.moved != (0, 0) {
            usage::add(conn, self.tenant, self.moved.0, self.moved.1)?;
        }
        self.feed.release(conn)
    }
}
