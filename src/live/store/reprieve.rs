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
//! Until it is written, a reprieve holds the registry's clock at its arrival, as the
//! heartbeat did while it waited: no reaper run and no events read on this node judges
//! the service by a later time meanwhile, and a write that fails keeps it held. Refusals
//! that follow one another are a chain: the service was alive at the last if it was at
//! the first and the last came within a timeout of it.
//!
//! It cannot keep a dead service alive: only a request carrying the service's current
//! token (which only its live process holds) before its deadline earns a reprieve, and
//! each counts from its own arrival, so a service that stops sending dies one timeout
//! after its last attempt, as it would after its last accepted heartbeat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::sql_types::{BigInt, Text};
use diesel::RunQueryDsl;
use prometheus::IntCounter;

use super::super::domain::{HeartbeatToken, ServiceId};
use super::super::error::Result;
use crate::identity::TenantId;
use crate::platform::db::{values_placeholders, Database, DbConnection};
use crate::platform::intake::TakingIn;

/// Reprieves per UPDATE: 5 parameters each, far below either backend's limit.
const REPRIEVES_PER_UPDATE: usize = 500;

/// Heartbeats of one service not committed at once: the hash of the token the last one
/// presented, and when the first and the last arrived.
struct Refused {
    token_hash: String,
    first: i64,
    last: i64,
    /// Holds the registry's clock at `first` until the reprieve is written.
    _holding: TakingIn,
}

#[derive(Clone)]
pub struct Reprieves {
    pending: Arc<Mutex<HashMap<(TenantId, ServiceId), Refused>>>,
    /// Deadlines moved by a reprieve.
    granted: IntCounter,
}

impl Reprieves {
    pub fn new(granted: IntCounter) -> Self {
        Self {
            pending: Arc::default(),
            granted,
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
        match pending.get_mut(&(tenant, id.clone())) {
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
                pending.insert(
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
    pub async fn grant(&self, database: &Database) -> Result<usize> {
        let taken: Vec<((TenantId, ServiceId), Refused)> = self.lock().drain().collect();
        if taken.is_empty() {
            return Ok(0);
        }
        let rows: Vec<Row> = taken
            .iter()
            .map(|((tenant, id), refused)| Row {
                tenant: tenant.get(),
                id: id.as_str().to_owned(),
                token_hash: refused.token_hash.clone(),
                first: refused.first,
                last: refused.last,
            })
            .collect();
        match database.run_write(move |conn| grant(conn, &rows)).await {
            Ok(granted) => {
                self.granted.inc_by(granted as u64);
                Ok(granted)
            }
            Err(error) => {
                let mut pending = self.lock();
                for (key, refused) in taken {
                    match pending.get_mut(&key) {
                        Some(later) if refused.first < later.first => {
                            later.first = refused.first;
                            later._holding = refused._holding;
                        }
                        Some(_) => {}
                        None => {
                            pending.insert(key, refused);
                        }
                    }
                }
                Err(error)
            }
        }
    }

    /// Reprieves kept and not yet written.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, ServiceId), Refused>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A reprieve as written.
struct Row {
    tenant: i64,
    id: String,
    token_hash: String,
    first: i64,
    last: i64,
}

/// One conditional UPDATE per 500 reprieves; how many deadlines moved. A deadline only
/// ever moves later, and only for the token the service holds now: to the last refusal's
/// arrival + the timeout if the service was alive then (its deadline still ahead, or the
/// last within a timeout of the first), else to the first's if it was alive at that.
fn grant(conn: &mut DbConnection, reprieves: &[Row]) -> Result<usize> {
    type Backend = <DbConnection as diesel::Connection>::Backend;
    let mut granted = 0;
    for chunk in reprieves.chunks(REPRIEVES_PER_UPDATE) {
        // VALUES' columns are column1.. on both backends (tenant, id, token hash, first,
        // last); `$n` parameters too.
        let timeout = "live_services.heartbeat_timeout * 1000";
        let reprieved = format!(
            "{timeout} + CASE WHEN live_services.deadline > v.column5 \
             OR {timeout} + v.column4 > v.column5 THEN v.column5 ELSE v.column4 END"
        );
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
    use crate::platform::db::now_millis;
    use crate::platform::intake::IntakeLag;

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
        let reprieves = Reprieves::new(IntCounter::new("granted", "granted").unwrap());
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
}
