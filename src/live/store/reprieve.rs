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

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, RunQueryDsl};
use prometheus::IntCounter;

use super::super::domain::{HeartbeatToken, ServiceId};
use super::super::error::Result;
use crate::identity::TenantId;
use crate::platform::db::{now_millis, values_placeholders, Database, DbConnection};
use crate::platform::intake::TakingIn;

/// Reprieves per UPDATE: 5 parameters each, far below either backend's limit.
const REPRIEVES_PER_UPDATE: usize = 500;

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
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The rows of kept reprieves, each read by `fields` as (token hash, first, last).
fn rows<T>(kept: &HashMap<Key, T>, fields: impl Fn(&T) -> (&String, i64, i64)) -> Vec<Row> {
    kept.iter()
        .map(|((tenant, id), reprieve)| {
            let (token_hash, first, last) = fields(reprieve);
            Row {
                tenant: tenant.get(),
                id: id.as_str().to_owned(),
                token_hash: token_hash.clone(),
                first,
                last,
            }
        })
        .collect()
}

/// A reprieve as written.
struct Row {
    tenant: i64,
    id: String,
    token_hash: String,
    first: i64,
    last: i64,
}

/// The new deadline of a refused heartbeat's reprieve: to the last refusal's arrival +
/// the timeout if the service was alive then (its deadline still ahead, or the last within
/// a timeout of the first), else to the first's if it was alive at that.
const REFUSED: &str = "live_services.heartbeat_timeout * 1000 + CASE \
    WHEN live_services.deadline > v.column5 \
    OR live_services.heartbeat_timeout * 1000 + v.column4 > v.column5 \
    THEN v.column5 ELSE v.column4 END";

/// The new deadline of a late answer's reprieve: when it left + the timeout. Its first is
/// the heartbeat's arrival, before the deadline its commit wrote. Written before the
/// refusals', whose check that the service was alive needs the deadline it earned.
const ANSWERED_LATE: &str = "live_services.heartbeat_timeout * 1000 + v.column5";

/// One conditional UPDATE per 500 reprieves, moving each deadline to `reprieved`; how many
/// moved. A deadline only ever moves later, only for the token the service holds now, and
/// only if the service was alive at the first arrival.
fn grant(conn: &mut DbConnection, reprieves: &[Row], reprieved: &str) -> Result<usize> {
    type Backend = <DbConnection as diesel::Connection>::Backend;
    let mut granted = 0;
    for chunk in reprieves.chunks(REPRIEVES_PER_UPDATE) {
        // VALUES' columns are column1.. on both backends (tenant, id, token hash, first,
        // last); `$n` parameters too.
        let sql = format!(
            "UPDATE live_services SET deadline = {reprieved} \
             FROM (VALUES {}) AS v \
             WHERE live_services.tenant_id = v.column1 AND live_services.id = v.column2 \
             AND live_services.token_hash = v.column3 AND live_services.deadline > v.column4 \
             AND live_services.deadline < {reprieved}",
            values_placeholders(chunk.len(), 5)
        );
        let mut update = diesel::sql_query(sql).into_boxed::<Backend>();
        for row in chunk {
            update = update
                .bind::<BigInt, _>(row.tenant)
                .bind::<Text, _>(row.id.clone())
                .bind::<Text, _>(row.token_hash.clone())
                .bind::<BigInt, _>(row.first)
                .bind::<BigInt, _>(row.last);
        }
        granted += update.execute(conn)?;
    }
    Ok(granted)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{database, deadlines, service, statement};
    use super::*;
    use crate::platform::intake::IntakeLag;

    fn reprieves() -> Reprieves {
        let counter = |name: &str| IntCounter::new(name, name).unwrap();
        Reprieves::new(counter("granted"), counter("granted_late"))
    }

    #[tokio::test]
    async fn a_reprieve_moves_a_live_services_deadline_for_its_current_token_only() {
        let (_directory, database) = database();
        let deadline = 1_800_000_000_000;
        let held = HeartbeatToken::generate();
        let ids = [
            "kept", "forged", "late", "shrunk", "twice", "chained", "broken",
        ];
        for id in ids {
            service(&database, id, 3, deadline, &held.hash());
        }
        let reprieves = reprieves();
        let intake = IntakeLag::default();
        let tenant = TenantId::new(1).unwrap();
        let keep = |id: &str, token: &HeartbeatToken, arrival: i64| {
            let id = ServiceId::parse(id).unwrap();
            reprieves.keep(tenant, id, token, arrival, intake.taking_in(arrival));
        };
        keep("kept", &held, deadline - 500);
        keep("forged", &HeartbeatToken::generate(), deadline - 500);
        keep("late", &held, deadline + 1);
        keep("shrunk", &held, deadline - 3_500);
        // Of two for one service, the later arrival counts.
        keep("twice", &held, deadline - 100);
        keep("twice", &held, deadline - 900);
        // Alive at the first refusal, and the last within a timeout of it: past the
        // deadline as written, but not past the one the first earned.
        keep("chained", &held, deadline - 500);
        keep("chained", &held, deadline + 2_000);
        // The last more than a timeout after the first: the first's reprieve only.
        keep("broken", &held, deadline - 500);
        keep("broken", &held, deadline + 2_600);

        // Until written, they hold the registry's clock at the earliest arrival.
        let earliest = deadline - 3_500;
        assert!(intake.millis() >= now_millis() - earliest);
        // A grant that fails keeps every reprieve, and its hold, for the next one.
        statement(&database, "ALTER TABLE live_services RENAME TO away");
        assert!(reprieves.grant(&database).await.is_err());
        assert!(intake.millis() >= now_millis() - earliest);
        statement(&database, "ALTER TABLE away RENAME TO live_services");
        assert_eq!(reprieves.grant(&database).await.unwrap(), 4);
        assert_eq!(reprieves.grant(&database).await.unwrap(), 0, "granted once");
        assert_eq!(reprieves.pending(), 0);
        assert_eq!(intake.millis(), 0, "written: the clock is let go");

        let after = deadlines(&database);
        assert_eq!(after["kept"], deadline - 500 + 3_000);
        assert_eq!(after["twice"], deadline - 100 + 3_000);
        assert_eq!(after["chained"], deadline + 2_000 + 3_000);
        assert_eq!(after["broken"], deadline - 500 + 3_000);
        assert_eq!(after["forged"], deadline, "not the service's token");
        assert_eq!(after["late"], deadline, "arrived after its deadline");
        assert_eq!(after["shrunk"], deadline, "a deadline never moves earlier");
        assert_eq!(reprieves.granted.get(), 4);
    }

    #[tokio::test]
    async fn a_late_answer_moves_the_deadline_to_when_it_left_once_due() {
        let (_directory, database) = database();
        // Each committed with a 3 s timeout, its answer leaving later; the deadline its
        // commit wrote is near (`committed`), or not (`ahead`).
        let arrival = now_millis() - 4_000;
        let committed = arrival + 3_000;
        let ahead = arrival + 60_000;
        let next = HeartbeatToken::generate();
        for id in [
            "late", "spent", "prompt", "twice", "after", "renewed", "refused",
        ] {
            service(&database, id, 3, committed, &next.hash());
        }
        service(&database, "ahead", 3, ahead, &next.hash());
        let reprieves = reprieves();
        let intake = IntakeLag::default();
        let tenant = TenantId::new(1).unwrap();
        let keep = |id: &str, token: &HeartbeatToken, answered: i64, deadline: i64| {
            let id = ServiceId::parse(id).unwrap();
            let (next, holding) = (*token, intake.taking_in(deadline - 1));
            let late = LateAnswer {
                next,
                arrival,
                answered,
                deadline,
            };
            reprieves.keep_answered_late(tenant, id, late, holding);
        };
        keep("late", &next, arrival + 2_000, committed);
        keep(
            "spent",
            &HeartbeatToken::generate(),
            arrival + 2_000,
            committed,
        );
        keep("prompt", &next, arrival - 100, committed);
        // Of two for one service, the last answered counts.
        keep("twice", &next, arrival + 2_500, committed);
        keep("twice", &next, arrival + 1_000, committed);
        // Answered after the deadline its commit wrote, before a reaper judged it (the
        // clock is held before that deadline): it lives from its answer.
        keep("after", &next, committed + 500, committed);
        // Its next heartbeat committed: nothing to write.
        keep("renewed", &next, arrival + 2_000, committed);
        reprieves.renewed(tenant, &ServiceId::parse("renewed").unwrap());
        // Not due: kept, its hold before a deadline still ahead.
        keep("ahead", &next, arrival + 2_000, ahead);
        // Refused after the deadline its commit wrote, within the one its answer earned:
        // the answer's reprieve is written first.
        keep("refused", &next, committed + 500, committed);
        let refused = ServiceId::parse("refused").unwrap();
        let holding = intake.taking_in(committed + 1_000);
        reprieves.keep(tenant, refused, &next, committed + 1_000, holding);

        assert!(
            intake.millis() >= now_millis() - committed,
            "held before the deadline"
        );
        statement(&database, "ALTER TABLE live_services RENAME TO away");
        assert!(reprieves.grant(&database).await.is_err());
        assert_eq!(reprieves.pending(), 8);
        assert!(intake.millis() >= now_millis() - committed, "still held");
        statement(&database, "ALTER TABLE away RENAME TO live_services");
        assert_eq!(reprieves.grant(&database).await.unwrap(), 5);
        assert_eq!(reprieves.grant(&database).await.unwrap(), 0, "granted once");
        assert_eq!(reprieves.pending(), 1, "the one not due");
        assert_eq!(intake.millis(), 0, "written: the clock is let go");

        let after = deadlines(&database);
        assert_eq!(after["late"], arrival + 2_000 + 3_000);
        assert_eq!(after["twice"], arrival + 2_500 + 3_000);
        assert_eq!(after["after"], committed + 500 + 3_000);
        assert_eq!(after["refused"], committed + 1_000 + 3_000);
        assert_eq!(
            after["spent"], committed,
            "not the token the answer carried"
        );
        assert_eq!(after["prompt"], committed, "a deadline never moves earlier");
        assert_eq!(after["renewed"], committed, "dropped");
        assert_eq!(after["ahead"], ahead, "not written yet");
        assert_eq!(reprieves.granted_late.get(), 4);
        assert_eq!(reprieves.granted.get(), 1);
    }
}
