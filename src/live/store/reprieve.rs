//! Heartbeats a node refused for a moment are signs of life. A heartbeat answered 503
//! because its write could not be committed in time (the queue full, the database slow or
//! away) is kept here, one per service, and written before this node's next reaper run as
//! a reprieve (one still waiting needs none: the registry's clock waits for it, see
//! `watch`): the service's
//! deadline moves to *the heartbeat's arrival + its timeout*, if the token it presented is
//! still the service's current one and the service was alive when it arrived. The token is
//! not swapped (a refused caller never got a new one), so the client's retry with the same
//! token is still good; a heartbeat that commits after all swaps it, and its reprieve then
//! finds nothing to move.
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
use crate::platform::db::{Database, DbConnection};

/// Reprieves per UPDATE: 4 parameters each, far below either backend's limit.
const REPRIEVES_PER_UPDATE: usize = 500;

/// A heartbeat not committed at once: the hash of the token it presented, and when it
/// arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refused {
    token_hash: String,
    arrival: i64,
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

    /// Keeps a heartbeat not committed at once; of several for one service, the latest.
    pub fn keep(&self, tenant: TenantId, id: ServiceId, token: &HeartbeatToken, arrival: i64) {
        let refused = Refused {
            token_hash: token.hash(),
            arrival,
        };
        let mut pending = self.lock();
        let kept = pending
            .entry((tenant, id))
            .or_insert_with(|| refused.clone());
        if refused.arrival >= kept.arrival {
            *kept = refused;
        }
    }

    /// Writes every reprieve kept; those a failure could not write are kept for the next
    /// call (a later refusal of the same service replaces its own).
    pub async fn grant(&self, database: &Database) -> Result<usize> {
        let taken: Vec<((TenantId, ServiceId), Refused)> = self.lock().drain().collect();
        if taken.is_empty() {
            return Ok(0);
        }
        let rows = taken.clone();
        match database.run_write(move |conn| grant(conn, &rows)).await {
            Ok(granted) => {
                self.granted.inc_by(granted as u64);
                Ok(granted)
            }
            Err(error) => {
                let mut pending = self.lock();
                for (key, refused) in taken {
                    pending.entry(key).or_insert(refused);
                }
                Err(error)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, ServiceId), Refused>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One conditional UPDATE per 500 reprieves; how many deadlines moved. A deadline only
/// ever moves later, and only for the token the service holds now.
fn grant(conn: &mut DbConnection, reprieves: &[((TenantId, ServiceId), Refused)]) -> Result<usize> {
    type Backend = <DbConnection as diesel::Connection>::Backend;
    let mut granted = 0;
    for chunk in reprieves.chunks(REPRIEVES_PER_UPDATE) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|n| {
                let p = n * 4;
                format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4)
            })
            .collect();
        // VALUES' columns are column1.. on both backends; `$n` parameters too.
        let sql = format!(
            "UPDATE live_services SET deadline = live_services.heartbeat_timeout * 1000 + v.column4 \
             FROM (VALUES {}) AS v \
             WHERE live_services.tenant_id = v.column1 AND live_services.id = v.column2 \
             AND live_services.token_hash = v.column3 AND live_services.deadline > v.column4 \
             AND live_services.deadline < live_services.heartbeat_timeout * 1000 + v.column4",
            rows.join(", ")
        );
        let mut update = diesel::sql_query(sql).into_boxed::<Backend>();
        for ((tenant, id), refused) in chunk {
            update = update
                .bind::<BigInt, _>(tenant.get())
                .bind::<Text, _>(id.as_str().to_owned())
                .bind::<Text, _>(refused.token_hash.clone())
                .bind::<BigInt, _>(refused.arrival);
        }
        granted += update.execute(conn)?;
    }
    Ok(granted)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{database, deadlines, service, statement};
    use super::*;

    #[tokio::test]
    async fn a_reprieve_moves_a_live_services_deadline_for_its_current_token_only() {
        let (_directory, database) = database();
        let deadline = 1_800_000_000_000;
        let held = HeartbeatToken::generate();
        for id in ["kept", "forged", "late", "shrunk", "twice"] {
            service(&database, id, 3, deadline, &held.hash());
        }
        let reprieves = Reprieves::new(IntCounter::new("granted", "granted").unwrap());
        let tenant = TenantId::new(1).unwrap();
        let id = |id: &str| ServiceId::parse(id).unwrap();
        reprieves.keep(tenant, id("kept"), &held, deadline - 500);
        reprieves.keep(
            tenant,
            id("forged"),
            &HeartbeatToken::generate(),
            deadline - 500,
        );
        reprieves.keep(tenant, id("late"), &held, deadline + 1);
        reprieves.keep(tenant, id("shrunk"), &held, deadline - 3_500);
        // Of two for one service, the later arrival counts.
        reprieves.keep(tenant, id("twice"), &held, deadline - 100);
        reprieves.keep(tenant, id("twice"), &held, deadline - 900);

        // A grant that fails keeps every reprieve for the next one.
        statement(&database, "ALTER TABLE live_services RENAME TO away");
        assert!(reprieves.grant(&database).await.is_err());
        statement(&database, "ALTER TABLE away RENAME TO live_services");
        assert_eq!(reprieves.grant(&database).await.unwrap(), 2);
        assert_eq!(reprieves.grant(&database).await.unwrap(), 0, "granted once");

        let after = deadlines(&database);
        assert_eq!(after["kept"], deadline - 500 + 3_000);
        assert_eq!(after["twice"], deadline - 100 + 3_000);
        assert_eq!(after["forged"], deadline, "not the service's token");
        assert_eq!(after["late"], deadline, "arrived after its deadline");
        assert_eq!(after["shrunk"], deadline, "a deadline never moves earlier");
        assert_eq!(reprieves.granted.get(), 2);
    }
}
