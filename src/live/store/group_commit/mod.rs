//! Group commit: every write of the live registry on this node goes through one queue.
//! A writer takes what is queued (up to `live.write_batch_size`; when nothing else is
//! queued, a lone write goes at once unless `live.write_batch_wait` says to wait for
//! company) and commits it in one transaction: one WAL flush for the batch, and one
//! acquisition of each tenant's feed lock, whatever the number of writes.
//!
//! - Each write is answered only after its batch has committed: a 2xx still means
//!   durable.
//! - One write's refusal (a spent token, a duplicate id, a limit) never fails its
//!   neighbours: each write decides with conditional statements whose row counts are its
//!   outcome (a heartbeat's UPDATE … WHERE token_hash = ?, a create's INSERT … ON
//!   CONFLICT DO NOTHING), and refuses before it has changed anything. Any other error
//!   fails the batch.
//! - On PostgreSQL, writes that record no event (heartbeats, updates) and writes behind a
//!   feed lock queue apart: heartbeats never wait for a feed lock another batch holds,
//!   and several batches of them are in flight at once.
//! - The feed stays in one order: a batch numbers a tenant's events only while it holds
//!   the tenant's feed lock, and holds it to its commit, so events are numbered in commit
//!   order and batches of several nodes commit one after the other. On PostgreSQL a batch
//!   takes its feed locks last, in tenant order, just before the commit: another node's
//!   batch of the same tenant waits for a few statements, not for all of this one's work
//!   (see `tenant_writes.rs` for what such writes may decide, and how a limit check is
//!   kept). A batch holding a write that reads what only the lock keeps still (a
//!   configuration value's old value), and every batch on SQLite, where one writer runs at
//!   a time anyway, takes them first, before any row lock, so it never waits for a feed
//!   lock while holding rows another node's reaper waits for.
//! - A batch that fails before its commit (a deadlock with another node, a lost
//!   connection) is run again one write per transaction, so each write gets its own
//!   outcome. A failed commit fails the writes of its batch: their outcome is unknown,
//!   as any write's whose commit fails.
//! - A write whose caller has gone (its deadline passed while it was queued, the client
//!   hung up) is dropped before it runs: a 503 for a full queue means it never ran.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::{Histogram, IntCounter};
use tokio::sync::{mpsc, oneshot};

mod batch;
mod jobs;

use batch::run_batch;
use jobs::{Claim, Heartbeat, Job, Pending};

use super::heartbeats::{Refused, Renewed, Swap};
use super::tenant_writes::{LockAt, TenantWrites};
use crate::identity::TenantId;
use crate::live::error::Result;
use crate::live::events::Events;
use crate::platform::db::{Database, DbConnection, DbError};
use crate::platform::error_chain;
use crate::platform::metrics::Metrics;
use crate::platform::workers::Workers;
use crate::settings::LiveSettings;

/// The queues' handle: cheap to clone, one per node.
#[derive(Clone)]
pub struct GroupCommit {
    /// Writes that record no event (heartbeats, updates); on SQLite, every write.
    plain: Queue,
    /// On PostgreSQL, writes behind a feed lock (creates, removals, configuration, the
    /// reaper's timeouts): one writer takes them, since they queue behind the tenant's
    /// lock anyway, and fewer, larger batches hold it for less in all.
    recording: Queue,
    database: Database,
    events: Events,
    batch_size: usize,
    batch_wait: Duration,
    batch_sizes: Histogram,
    relocked: IntCounter,
}

type Receiver = mpsc::Receiver<Box<dyn Job>>;

#[derive(Clone)]
struct Queue {
    sender: mpsc::Sender<Box<dyn Job>>,
    /// Taken by the writers when the server starts.
    receiver: Arc<Mutex<Option<Receiver>>>,
}

impl Queue {
    fn new(capacity: usize) -> Self {
        let (sender, receiver) = mpsc::channel(capacity);
        Self {
            sender,
            receiver: Arc::new(Mutex::new(Some(receiver))),
        }
    }

    fn take_receiver(&self) -> Option<Receiver> {
        self.receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

impl GroupCommit {
    /// The node's queues, batched as `settings` say; registers the writer's metrics.
    pub fn new(
        database: Database,
        events: Events,
        settings: &LiveSettings,
        metrics: &Metrics,
    ) -> Self {
        let batch_size = settings.write_batch_size.max(1);
        // Room for a few batches: past that, callers wait their turn (and their deadline).
        let capacity = batch_size.saturating_mul(4);
        Self {
            plain: Queue::new(capacity),
            recording: Queue::new(capacity),
            database,
            events,
            batch_size,
            batch_wait: settings.write_batch_wait,
            batch_sizes: metrics.histogram(
                "live_write_batch_size",
                "Writes of the live registry committed together in one transaction",
                &[
                    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
                ],
            ),
            relocked: metrics.counter(
                "live_write_batches_relocked_total",
                "Batches of live writes run again with their feed locks taken first, because \
                 other nodes took the room one of their limit checks counted on",
            ),
        }
    }

    /// A write that records no event (a heartbeat, an update). It must refuse before it
    /// changes anything.
    pub async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        self.submit(None, move |conn, _| work(conn)).await
    }

    /// A write that appends to `tenant`'s feed or moves its usage counts. It decides only
    /// by conditional statements and [`TenantWrites::has_room`], so its batch may take the
    /// feed lock last, and must refuse before it changes anything (a timeout it finds due
    /// may stand).
    pub async fn recording<T, F>(&self, tenant: TenantId, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, &mut TenantWrites) -> Result<T> + Send + 'static,
    {
        self.record(tenant, false, work).await
    }

    /// As [`Self::recording`], for a write that reads what only the feed lock keeps still
    /// (what it records as the old value): its batch takes the lock before running it.
    pub async fn recording_under_lock<T, F>(&self, tenant: TenantId, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, &mut TenantWrites) -> Result<T> + Send + 'static,
    {
        self.record(tenant, true, work).await
    }

    async fn record<T, F>(&self, tenant: TenantId, under_lock: bool, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, &mut TenantWrites) -> Result<T> + Send + 'static,
    {
        self.submit(Some((tenant, under_lock)), move |conn, writes| {
            let writes = writes.ok_or(DbError::Unanswered)?;
            work(conn, writes)
        })
        .await
    }

    /// A heartbeat: the batch applies every heartbeat it holds in one statement.
    pub async fn heartbeat(&self, swap: Swap) -> Result<std::result::Result<Renewed, Refused>> {
        let (reply, answer) = oneshot::channel();
        let state = Claim::default();
        let job = Box::new(Heartbeat {
            state: state.clone(),
            swap,
            outcome: None,
            reply,
        });
        self.enqueue(&self.plain, job, &state, answer).await
    }

    /// `recording`: the tenant whose feed the write appends to, and whether it reads under
    /// the lock.
    async fn submit<T, F>(&self, recording: Option<(TenantId, bool)>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Option<&mut TenantWrites>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let state = Claim::default();
        let job = Box::new(Pending {
            state: state.clone(),
            tenant: recording.map(|(tenant, _)| tenant),
            reads_under_lock: recording.is_some_and(|(_, under_lock)| under_lock),
            work,
            outcome: None,
            reply,
        });
        let queue = if recording.is_some() && !self.database.is_sqlite() {
            &self.recording
        } else {
            &self.plain
        };
        self.enqueue(queue, job, &state, answer).await
    }

    /// Queues `job` and waits for its answer. Past the database's deadline a write still
    /// queued is withdrawn and answered 503, so a 503 for that reason means it never ran;
    /// one a batch has taken is waited for (its outcome is on its way), at most one more
    /// deadline, past which its outcome is unknown, as any write's whose database hangs.
    async fn enqueue<T>(
        &self,
        queue: &Queue,
        job: Box<dyn Job>,
        state: &Claim,
        mut answer: oneshot::Receiver<Result<T>>,
    ) -> Result<T> {
        let deadline = self.database.deadline();
        let until = tokio::time::Instant::now() + deadline;
        match tokio::time::timeout_at(until, queue.sender.send(job)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(DbError::WriterStopped.into()),
            // The queue stayed full: the write was never queued.
            Err(_) => return Err(DbError::Deadline(deadline).into()),
        }
        let answered = match tokio::time::timeout_at(until, &mut answer).await {
            Ok(answered) => answered,
            Err(_) if state.withdraw() => return Err(DbError::Deadline(deadline).into()),
            Err(_) => match tokio::time::timeout(deadline, answer).await {
                Ok(answered) => answered,
                Err(_) => return Err(DbError::Deadline(deadline * 2).into()),
            },
        };
        answered.unwrap_or_else(|_| Err(DbError::Unanswered.into()))
    }

    /// Starts the writers; they stop with the server, after committing what was queued.
    /// SQLite commits one transaction at a time: one writer takes every write. On
    /// PostgreSQL, `plain_writers` writers take the writes that record no event, each
    /// gathering a batch while the others commit, and one takes those behind feed locks.
    pub fn start(&self, workers: &mut Workers, plain_writers: usize) {
        let (Some(plain), Some(recording)) =
            (self.plain.take_receiver(), self.recording.take_receiver())
        else {
            log::warn!("the live registry's writers were started twice");
            return;
        };
        if self.database.is_sqlite() {
            self.spawn_writers(workers, plain, 1);
        } else {
            self.spawn_writers(workers, plain, plain_writers.max(1));
            self.spawn_writers(workers, recording, 1);
        }
    }

    fn spawn_writers(&self, workers: &mut Workers, receiver: Receiver, count: usize) {
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        for _ in 0..count {
            let (writer, receiver) = (self.clone(), Arc::clone(&receiver));
            workers.spawn("live writer", move |mut stop| async move {
                loop {
                    let batch = {
                        let mut receiver = tokio::select! {
                            biased;
                            receiver = receiver.lock() => receiver,
                            _ = stop.stopped() => break,
                        };
                        let first = tokio::select! {
                            biased;
                            job = receiver.recv() => job,
                            _ = stop.stopped() => None,
                        };
                        let Some(first) = first else { break };
                        writer.gather(first, &mut receiver).await
                    };
                    writer.commit(batch).await;
                }
                // Stopping: what is queued already is committed and answered, nothing more.
                loop {
                    let batch = {
                        let mut receiver = receiver.lock().await;
                        receiver.close();
                        let Some(first) = receiver.recv().await else {
                            break;
                        };
                        writer.gather(first, &mut receiver).await
                    };
                    writer.commit(batch).await;
                }
            });
        }
    }

    /// `first` and what is queued behind it, up to the batch size; with a batch wait, what
    /// arrives within it too.
    async fn gather(&self, first: Box<dyn Job>, receiver: &mut Receiver) -> Vec<Box<dyn Job>> {
        let mut batch = vec![first];
        while batch.len() < self.batch_size {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if !self.batch_wait.is_zero() {
            let until = tokio::time::Instant::now() + self.batch_wait;
            while batch.len() < self.batch_size {
                match tokio::time::timeout_at(until, receiver.recv()).await {
                    Ok(Some(job)) => batch.push(job),
                    _ => break,
                }
            }
        }
        batch
    }

    async fn commit(&self, batch: Vec<Box<dyn Job>>) {
        let batch: Vec<Box<dyn Job>> = batch.into_iter().filter(|job| job.claim()).collect();
        if batch.is_empty() {
            return;
        }
        self.batch_sizes.observe(batch.len() as f64);
        let (events, relocked) = (self.events.clone(), self.relocked.clone());
        let lock = if self.database.is_sqlite() || batch.iter().any(|job| job.reads_under_lock()) {
            LockAt::Start
        } else {
            LockAt::End
        };
        // A failure here (no connection, the deadline) drops the batch unrun: its callers
        // are told it was not answered.
        if let Err(failure) = self
            .database
            .run_write(move |conn| {
                run_batch(conn, batch, &events, &relocked, lock);
                Ok::<_, DbError>(())
            })
            .await
        {
            log::warn!("a batch of live writes failed: {}", error_chain(&failure));
        }
    }
}
