//! Heartbeats a node refused for a moment are signs of life. A heartbeat answered 503
//! because its write could not be committed in time (the queue full, the database slow or
//! away) is kept here, one entry per service, and written before this node's next reaper
//! run as a reprieve (one still waiting needs none: the registry's clock waits for it, see
//! `watch`): the service's deadline moves to *the heartbeat's arrival + its timeout*, if
//! the token it presented is still the service's current one and the service was alive
//! when it arrived. The token is not swapped (a refused caller never got a new one), so
//! the client's retry with the same token is still good; a heartbeat that commits after
//! all swaps it, and its reprieve then finds nothing to move.
//!
//! A heartbeat committed but answered late is kept too: a new deadline counts from the
//! commit plus the node's wait to answer as it was then, and a wait that grew after the
//! commit would eat into the client's next interval (it cannot beat again before it has
//! the new token). Its reprieve moves the deadline to *when the answer left + the
//! timeout*, if the token the answer carries is still the service's current one. Most
//! never need writing: the service's next heartbeat commits before the deadline, and
//! drops it. It is written only once its deadline comes near ([`DUE_WITHIN`]), and holds
//! the registry's clock just before that deadline until then.
//!
//! Until it is written, a refused heartbeat's reprieve holds the registry's clock at its
//! arrival, as the heartbeat did while it waited: no reaper run and no events read on
//! this node judges the service by a later time meanwhile, and a write that fails keeps
//! it held.
//! Refusals that follow one another are a chain: the service was alive at the last if it
//! was at the first and the last came within a timeout of it.
//!
//! It cannot keep a dead service alive: only a request carrying the service's current
//! token (which only its live process holds) before its deadline earns a reprieve, or an
//! answer carrying the token it was just given, and each counts from its own arrival or
//! answer, so a service that stops sending dies one timeout after its last attempt or
//! answer, as it would after a heartbeat answered at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::Connection;
use prometheus::IntCounter;

use super::super::domain::{HeartbeatToken, ServiceId};
use super::super::error::Result;
use crate::identity::TenantId;
use crate::platform::db::{now_millis, Database};
use crate::platform::intake::TakingIn;
use crate::platform::lock;
use update::{grant, rows, ANSWERED_LATE, REFUSED};

#[cfg(test)]
mod tests;
mod update;

/// How much later than credited at its commit an answer may leave before it earns a
/// reprieve: a commit's own time, and a margin a client's cadence leaves anyway.
pub const LATE_ANSWER: i64 = 250;

/// A late answer's reprieve is written by the first reaper run that finds its deadline
/// this close to the wall clock (which the registry's clock never passes), so that the
/// clock seldom has to wait for it.
const DUE_WITHIN: i64 = 2_000;

/// Heartbeats of one service not committed at once: the hash of the token the last one
/// presented, and when the first and the last arrived.
struct Refused {
    token_hash: String,
    first: i64,
    last: i64,
    /// Holds the registry's clock at `first` until the reprieve is written.
    _holding: TakingIn,
}

/// A heartbeat committed and answered late, as its handler saw it.
pub struct LateAnswer {
    /// The token the answer carries.
    pub next: HeartbeatToken,
    pub arrival: i64,
    pub answered: i64,
    /// The deadline its commit wrote.
    pub deadline: i64,
}

/// A late answer of one service, kept: the hash of the token it carries, when the
/// heartbeat arrived, when the answer left, and the deadline its commit wrote.
struct AnsweredLate {
    token_hash: String,
    arrival: i64,
    answered: i64,
    deadline: i64,
    /// Holds the registry's clock before `deadline` until the reprieve is written or
    /// dropped.
    _holding: TakingIn,
}

type Key = (TenantId, ServiceId);

#[derive(Default)]
struct Pending {
    refused: HashMap<Key, Refused>,
    answered_late: HashMap<Key, AnsweredLate>,
}

#[derive(Clone)]
pub struct Reprieves {
    pending: Arc<Mutex<Pending>>,
    /// Deadlines moved by a refused heartbeat's reprieve.
    granted: IntCounter,
    /// Deadlines moved by a late answer's reprieve.
    granted_late: IntCounter,
}

impl Reprieves {
    pub fn new(granted: IntCounter, granted_late: IntCounter) -> Self {
        Self {
            pending: Arc::default(),
            granted,
            granted_late,
        }
    }

    /// Keeps a heartbeat answered late, holding the registry's clock before the deadline
    /// its commit wrote by `holding`; of several for one service, the last answered.
    pub fn keep_answered_late(
        &self,
        tenant: TenantId,
        id: ServiceId,
        late: LateAnswer,
        holding: TakingIn,
    ) {
        let answered = late.answered;
        let late = AnsweredLate {
            token_hash: late.next.hash(),
            arrival: late.arrival,
            answered,
            deadline: late.deadline,
            _holding: holding,
        };
        let mut pending = self.lock();
        match pending.answered_late.get_mut(&(tenant, id.clone())) {
            Some(kept) if kept.answered > answered => {}
            Some(kept) => *kept = late,
            None => {
                pending.answered_late.insert((tenant, id), late);
            }
        }
    }

    /// A heartbeat of the service committed: the reprieve of an earlier late answer would
    /// find its token spent, and is dropped with its hold.
    pub fn renewed(&self, tenant: TenantId, id: &ServiceId) {
        let mut pending = self.lock();
        if !pending.answered_late.is_empty() {
            pending.answered_late.remove(&(tenant, id.clone()));
        }
    }

    /// Keeps a heartbeat not committed at once, which arrived at `arrival` and holds the
    /// registry's clock there by `holding`; of several for one service, the chain from the
    /// first to the last.
    pub fn keep(
        &self,
        tenant: TenantId,
        id: ServiceId,
        token: &HeartbeatToken,
        arrival: i64,
        holding: TakingIn,
    ) {
        let mut pending = self.lock();
        match pending.refused.get_mut(&(tenant, id.clone())) {
            Some(kept) => {
                if arrival >= kept.last {
                    kept.last = arrival;
                    kept.token_hash = token.hash();
                }
                // The first keeps its own hold, which is at or before this one.
                if arrival < kept.first {
                    kept.first = arrival;
                    kept._holding = holding;
                }
            }
            None => {
                pending.refused.insert(
                    (tenant, id),
                    Refused {
                        token_hash: token.hash(),
                        first: arrival,
                        last: arrival,
                        _holding: holding,
                    },
                );
            }
        }
    }

    /// Writes every reprieve kept; those a failure could not write are kept for the next
    /// call, still holding the clock (a later refusal of the same service joins its own).
    /// Late answers are written once due, or with a refusal of the same service (whose
    /// reprieve needs the deadline the answer earned).
    pub async fn grant(&self, database: &Database) -> Result<usize> {
        let taken = {
            let mut pending = self.lock();
            let refused = std::mem::take(&mut pending.refused);
            let due = now_millis().saturating_add(DUE_WITHIN);
            let late = &mut pending.answered_late;
            let due: Vec<Key> = late
                .iter()
                .filter(|(key, late)| late.deadline <= due || refused.contains_key(key))
                .map(|(key, _)| key.clone())
                .collect();
            let answered_late = due
                .iter()
                .filter_map(|key| late.remove_entry(key))
                .collect();
            Pending {
                refused,
                answered_late,
            }
        };
        if taken.refused.is_empty() && taken.answered_late.is_empty() {
            return Ok(0);
        }
        let refused = rows(&taken.refused, |refused| {
            (&refused.token_hash, refused.first, refused.last)
        });
        let answered_late = rows(&taken.answered_late, |late| {
            (&late.token_hash, late.arrival, late.answered)
        });
        let written = database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    let granted_late = grant(conn, &answered_late, ANSWERED_LATE)?;
                    Ok((grant(conn, &refused, REFUSED)?, granted_late))
                })
            })
            .await;
        match written {
            Ok((granted, granted_late)) => {
                self.granted.inc_by(granted as u64);
                self.granted_late.inc_by(granted_late as u64);
                Ok(granted + granted_late)
            }
            Err(error) => {
                self.keep_again(taken);
                Err(error)
            }
        }
    }

    /// Puts back reprieves a failure could not write, beside those kept since.
    fn keep_again(&self, taken: Pending) {
        let mut pending = self.lock();
        for (key, refused) in taken.refused {
            match pending.refused.get_mut(&key) {
                Some(later) if refused.first < later.first => {
                    later.first = refused.first;
                    later._holding = refused._holding;
                }
                Some(_) => {}
                None => {
                    pending.refused.insert(key, refused);
                }
            }
        }
        for (key, late) in taken.answered_late {
            pending.answered_late.entry(key).or_insert(late);
        }
    }

    /// Reprieves kept and not yet written.
    #[cfg(test)]
    fn pending(&self) -> usize {
        let pending = self.lock();
        pending.refused.len() + pending.answered_late.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        lock(&self.pending)
    }
}
