//! The writes a batch runs, whatever each returns to its caller: a closure over the
//! store's queries (`Pending`), or a heartbeat (`Heartbeat`), whose swaps the batch applies
//! all at once. `Claim` decides between a caller withdrawing a queued write and a batch
//! taking it.

use std::sync::atomic::{AtomicU8, Ordering as AtomicOrdering};
use std::sync::Arc;

use tokio::sync::oneshot;

use super::super::heartbeats::{self, NewDeadline, Refused, Renewed, Swap};
use super::super::tenant_writes::TenantWrites;
use crate::identity::TenantId;
use crate::live::error::{LiveError, Result};
use crate::platform::db::{DbConnection, DbError};

/// Who has a queued write: still its caller, who may withdraw it, or a batch, which will
/// run and answer it. Exactly one of the two wins.
#[derive(Clone, Default)]
pub(super) struct Claim(Arc<AtomicU8>);

const QUEUED: u8 = 0;
const CLAIMED: u8 = 1;
const WITHDRAWN: u8 = 2;

impl Claim {
    /// For the batch: whether it may run the write.
    pub(super) fn claim(&self) -> bool {
        self.0
            .compare_exchange(
                QUEUED,
                CLAIMED,
                AtomicOrdering::SeqCst,
                AtomicOrdering::SeqCst,
            )
            .is_ok()
    }

    /// For the caller: whether the write is withdrawn before any batch took it.
    pub(super) fn withdraw(&self) -> bool {
        self.0
            .compare_exchange(
                QUEUED,
                WITHDRAWN,
                AtomicOrdering::SeqCst,
                AtomicOrdering::SeqCst,
            )
            .is_ok()
    }
}

/// A write as the batch sees it, whatever it returns to its caller.
pub(super) trait Job: Send {
    /// The tenant whose feed this write appends to, if it records events.
    fn tenant(&self) -> Option<TenantId>;
    /// Whether the write reads what only the tenant's feed lock keeps still, so its batch
    /// must take the lock before running it.
    fn reads_under_lock(&self) -> bool {
        false
    }
    /// Takes the write for a batch about to run it, or `false` when its caller has gone
    /// (its deadline passed while it was queued, or the client hung up).
    fn claim(&self) -> bool;
    /// Runs the write inside the batch's transaction and keeps its outcome, a refusal
    /// included. `Err` is what fails the batch: a storage failure, or a corrupt row.
    fn run(
        &mut self,
        conn: &mut DbConnection,
        writes: Option<&mut TenantWrites>,
    ) -> Result<(), LiveError>;
    /// Sends the outcome kept by the last `run`, or why its batch failed.
    fn answer(self: Box<Self>, failure: Option<LiveError>);
    /// A heartbeat's swap, which the batch applies with all the others in one statement
    /// before the other writes run.
    fn swap(&self) -> Option<&Swap> {
        None
    }
    /// Keeps a heartbeat's outcome once the batch's swaps are applied: its new deadline if
    /// its swap applied.
    fn settle(
        &mut self,
        _conn: &mut DbConnection,
        _applied: Option<NewDeadline>,
    ) -> Result<(), LiveError> {
        Ok(())
    }
}

/// A heartbeat waiting for its batch.
pub(super) struct Heartbeat {
    pub(super) state: Claim,
    pub(super) swap: Swap,
    /// Once settled: its new deadline, or why it was refused.
    pub(super) outcome: Option<Result<std::result::Result<NewDeadline, Refused>>>,
    pub(super) reply: oneshot::Sender<Result<std::result::Result<Renewed, Refused>>>,
}

impl Job for Heartbeat {
    fn tenant(&self) -> Option<TenantId> {
        None
    }

    fn claim(&self) -> bool {
        !self.reply.is_closed() && self.state.claim()
    }

    /// Alone (a batch run one write at a time), a heartbeat is a swap of one.
    fn run(
        &mut self,
        conn: &mut DbConnection,
        _writes: Option<&mut TenantWrites>,
    ) -> Result<(), LiveError> {
        let applied = heartbeats::swap_tokens(conn, &[&self.swap])?;
        self.settle(conn, applied.first().copied().flatten())
    }

    fn answer(self: Box<Self>, failure: Option<LiveError>) {
        let next = self.swap.next;
        let outcome = match (failure, self.outcome) {
            (Some(failure), _) => Err(failure),
            (None, Some(Ok(Ok(deadline)))) => Ok(Ok(Renewed { next, deadline })),
            (None, Some(Ok(Err(refused)))) => Ok(Err(refused)),
            (None, Some(Err(failure))) => Err(failure),
            (None, None) => Err(DbError::Unanswered.into()),
        };
        let _ = self.reply.send(outcome);
    }

    fn swap(&self) -> Option<&Swap> {
        Some(&self.swap)
    }

    fn settle(
        &mut self,
        conn: &mut DbConnection,
        applied: Option<NewDeadline>,
    ) -> Result<(), LiveError> {
        self.outcome = Some(Ok(match applied {
            Some(deadline) => Ok(deadline),
            None => Err(heartbeats::refusal(conn, &self.swap)?),
        }));
        Ok(())
    }
}

pub(super) struct Pending<T, F> {
    pub(super) state: Claim,
    pub(super) tenant: Option<TenantId>,
    pub(super) reads_under_lock: bool,
    pub(super) work: F,
    pub(super) outcome: Option<Result<T>>,
    pub(super) reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: Fn(&mut DbConnection, Option<&mut TenantWrites>) -> Result<T> + Send + 'static,
{
    fn tenant(&self) -> Option<TenantId> {
        self.tenant
    }

    fn reads_under_lock(&self) -> bool {
        self.reads_under_lock
    }

    fn claim(&self) -> bool {
        !self.reply.is_closed() && self.state.claim()
    }

    fn run(
        &mut self,
        conn: &mut DbConnection,
        writes: Option<&mut TenantWrites>,
    ) -> Result<(), LiveError> {
        self.outcome = None;
        match (self.work)(conn, writes) {
            Err(failure @ (LiveError::Storage(_) | LiveError::Corrupt { .. })) => Err(failure),
            outcome => {
                self.outcome = Some(outcome);
                Ok(())
            }
        }
    }

    fn answer(self: Box<Self>, failure: Option<LiveError>) {
        let outcome = match (failure, self.outcome) {
            (Some(failure), _) => Err(failure),
            (None, Some(outcome)) => outcome,
            (None, None) => Err(DbError::Unanswered.into()),
        };
        // A caller that stopped waiting has nobody to tell.
        let _ = self.reply.send(outcome);
    }
}
