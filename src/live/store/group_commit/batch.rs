//! One batch in one transaction: the statements of its writes, and what happens when the
//! transaction fails (each write run alone) or a limit check no longer holds (the batch run
//! again with the feed locks taken first).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use diesel::Connection;
use prometheus::IntCounter;

use super::super::heartbeats::{self, Swap};
use super::super::tenant_writes::{LockAt, TenantWrites};
use super::jobs::Job;
use crate::identity::TenantId;
use crate::live::error::LiveError;
use crate::live::events::{Appended, Events};
use crate::platform::db::{DbConnection, DbError};
use crate::platform::error_chain;

/// Why a batch's transaction was rolled back.
enum Abort {
    Failed(LiveError),
    /// Run it again with the feed locks taken first.
    UsageMoved,
}

impl From<diesel::result::Error> for Abort {
    fn from(error: diesel::result::Error) -> Self {
        Self::Failed(error.into())
    }
}

impl From<LiveError> for Abort {
    fn from(error: LiveError) -> Self {
        Self::Failed(error)
    }
}

impl From<DbError> for Abort {
    fn from(error: DbError) -> Self {
        Self::Failed(error.into())
    }
}

/// Runs `batch` in one transaction and answers each write; when the transaction fails
/// before its commit, runs each write alone.
pub(super) fn run_batch(
    conn: &mut DbConnection,
    mut batch: Vec<Box<dyn Job>>,
    events: &Events,
    relocked: &IntCounter,
    lock: LockAt,
) {
    let mut executed = false;
    let committed = conn.transaction(|conn| {
        let appended = execute(conn, &mut batch, lock)?;
        executed = true;
        Ok::<_, Abort>(appended)
    });
    let failure = match committed {
        Ok(appended) => {
            for (tenant, appended) in appended {
                events.appended(tenant, &appended);
            }
            for job in batch {
                job.answer(None);
            }
            return;
        }
        Err(Abort::UsageMoved) => {
            relocked.inc();
            return run_batch(conn, batch, events, relocked, LockAt::Start);
        }
        Err(Abort::Failed(failure)) => failure,
    };
    match failure {
        failure if !executed && batch.len() > 1 => {
            log::warn!(
                "a batch of {} live writes failed, running them one by one: {}",
                batch.len(),
                error_chain(&failure)
            );
            for job in batch {
                run_batch(conn, vec![job], events, relocked, lock);
            }
        }
        failure if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                job.answer(Some(failure));
            }
        }
        // The commit itself failed: whether it took effect is unknown, as for any write.
        failure => {
            let failure = Arc::new(DbError::Commit(Box::new(failure)));
            for job in batch {
                job.answer(Some(DbError::Batch(Arc::clone(&failure)).into()));
            }
        }
    }
}

/// The batch's statements: the feed locks (in tenant order) if taken first, then every
/// heartbeat in one statement, then each other write in arrival order, then each tenant's
/// feed locks if taken last, counts, events and feed position.
fn execute(
    conn: &mut DbConnection,
    batch: &mut [Box<dyn Job>],
    lock: LockAt,
) -> Result<Vec<(TenantId, Vec<Appended>)>, Abort> {
    let tenants: BTreeSet<TenantId> = batch.iter().filter_map(|job| job.tenant()).collect();
    let mut writes = BTreeMap::new();
    for tenant in tenants {
        writes.insert(tenant, TenantWrites::begin(conn, tenant, lock)?);
    }
    let swaps: Vec<usize> = (0..batch.len())
        .filter(|&n| batch[n].swap().is_some())
        .collect();
    if !swaps.is_empty() {
        let applied = {
            let swapping: Vec<&Swap> = swaps.iter().filter_map(|&n| batch[n].swap()).collect();
            heartbeats::swap_tokens(conn, &swapping)?
        };
        for (&n, applied) in swaps.iter().zip(applied) {
            batch[n].settle(conn, applied)?;
        }
    }
    for job in batch.iter_mut().filter(|job| job.swap().is_none()) {
        let tenant = job.tenant().and_then(|tenant| writes.get_mut(&tenant));
        job.run(conn, tenant)?;
    }
    let mut appended = Vec::with_capacity(writes.len());
    for (tenant, writes) in writes {
        appended.push((tenant, writes.finish(conn)?.map_err(|_| Abort::UsageMoved)?));
    }
    Ok(appended)
}
