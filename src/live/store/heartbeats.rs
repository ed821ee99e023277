//! Heartbeats: every heartbeat of a batch swaps its one-time token in one conditional
//! UPDATE, whose RETURNING rows say which swaps held.

use diesel::prelude::*;

use super::super::domain::{HeartbeatToken, ServiceId};
use super::super::error::Result;
use super::super::schema::live_services;
use crate::identity::TenantId;
use crate::platform::db::{now_millis, values_placeholders, DbConnection};

/// A heartbeat applied: the client's next token and its new deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewed {
    pub next: HeartbeatToken,
    pub deadline: NewDeadline,
}

/// A deadline a heartbeat wrote, and the time it counts from (it, less the timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewDeadline {
    pub counted_from: i64,
    pub at: i64,
}

/// Why a heartbeat was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    NoService,
    BadToken,
}

/// One heartbeat: swap `presented` for `next` if the token is the service's current one
/// and the service was alive at `now` (its arrival, on the registry's clock). The new
/// deadline counts from the answer (the commit, by the wall clock) and `delivery`, the
/// time this node's answers take to leave it now (its workers' lag): a client's cadence
/// starts when it is answered, so a slow answer never eats into its next interval.
pub struct Swap {
    pub tenant: TenantId,
    pub id: ServiceId,
    pub presented: HeartbeatToken,
    pub next: HeartbeatToken,
    pub now: i64,
    pub delivery: i64,
}

#[derive(QueryableByName)]
struct Swapped {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    tenant_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    token_hash: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    heartbeat_timeout: i64,
}

/// Heartbeats per UPDATE: 6 parameters each, far below either backend's limit.
const SWAPS_PER_UPDATE: usize = 500;

/// Applies `swaps` with one conditional UPDATE per 500 (`UPDATE … FROM (VALUES …)
/// WHERE token_hash = presented AND deadline > now RETURNING …`), and tells which did:
/// for each, its new deadline if it applied.
/// Of two uses of one token, or a heartbeat racing the reaper, exactly one wins: the row
/// changes at most once per statement, and the hash it holds afterwards names the winner.
pub fn swap_tokens(conn: &mut DbConnection, swaps: &[&Swap]) -> Result<Vec<Option<NewDeadline>>> {
    use diesel::sql_types::{BigInt, Text};
    type Backend = <DbConnection as diesel::Connection>::Backend;
    let mut applied = Vec::with_capacity(swaps.len());
    for chunk in swaps.chunks(SWAPS_PER_UPDATE) {
        // VALUES' columns are column1.. on both backends; `$n` parameters too (SQLite
        // numbers them in order of appearance, so they appear in order).
        let sql = format!(
            "UPDATE live_services SET token_hash = v.column4, last_seen = v.column5, \
             deadline = live_services.heartbeat_timeout * 1000 + v.column6 \
             FROM (VALUES {}) AS v \
             WHERE live_services.tenant_id = v.column1 AND live_services.id = v.column2 \
             AND live_services.token_hash = v.column3 AND live_services.deadline > v.column5 \
             RETURNING live_services.tenant_id, live_services.id, live_services.token_hash, \
             live_services.heartbeat_timeout",
            values_placeholders(chunk.len(), 6)
        );
        let mut update = diesel::sql_query(sql).into_boxed::<Backend>();
        let answered = now_millis();
        let counted_from = |swap: &Swap| answered.max(swap.now).saturating_add(swap.delivery);
        for swap in chunk {
            update = update
                .bind::<BigInt, _>(swap.tenant.get())
                .bind::<Text, _>(swap.id.as_str().to_owned())
                .bind::<Text, _>(swap.presented.hash())
                .bind::<Text, _>(swap.next.hash())
                .bind::<BigInt, _>(swap.now)
                .bind::<BigInt, _>(counted_from(swap));
        }
        let swapped: std::collections::HashMap<(i64, String, String), i64> = update
            .load::<Swapped>(conn)?
            .into_iter()
            .map(|row| {
                (
                    (row.tenant_id, row.id, row.token_hash),
                    row.heartbeat_timeout,
                )
            })
            .collect();
        applied.extend(chunk.iter().map(|swap| {
            let key = (
                swap.tenant.get(),
                swap.id.as_str().to_owned(),
                swap.next.hash(),
            );
            swapped.get(&key).map(|timeout| NewDeadline {
                counted_from: counted_from(swap),
                at: counted_from(swap).saturating_add(timeout.saturating_mul(1000)),
            })
        }));
    }
    Ok(applied)
}

/// Why a swap that did not apply was refused: the service is alive (a stale token) or not.
pub fn refusal(conn: &mut DbConnection, swap: &Swap) -> Result<Refused> {
    let alive = live_services::table
        .filter(live_services::tenant_id.eq(swap.tenant.get()))
        .filter(live_services::id.eq(swap.id.as_str()))
        .filter(live_services::deadline.gt(swap.now))
        .select(live_services::id)
        .first::<String>(conn)
        .optional()?
        .is_some();
    Ok(if alive {
        Refused::BadToken
    } else {
        Refused::NoService
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{database, deadlines, service};
    use super::*;

    #[test]
    fn a_new_deadline_counts_from_the_answer_and_the_nodes_delivery_lag() {
        let (_directory, database) = database();
        let held = HeartbeatToken::generate();
        let far = now_millis() + 60_000;
        service(&database, "prompt", 3, far, &held.hash());
        service(&database, "slow", 3, far, &held.hash());
        let swap = |id: &str, delivery| Swap {
            tenant: TenantId::new(1).unwrap(),
            id: ServiceId::parse(id).unwrap(),
            presented: held,
            next: HeartbeatToken::generate(),
            now: now_millis(),
            delivery,
        };
        let (prompt, slow) = (swap("prompt", 0), swap("slow", 2_500));
        let before = now_millis();
        let applied = database
            .with_connection(|conn| swap_tokens(conn, &[&prompt, &slow]))
            .unwrap();
        let after = now_millis();
        let deadlines = deadlines(&database);
        assert!((before + 3_000..=after + 3_000).contains(&deadlines["prompt"]));
        assert!((before + 5_500..=after + 5_500).contains(&deadlines["slow"]));
        let written = ["prompt", "slow"].map(|id| {
            Some(NewDeadline {
                counted_from: deadlines[id] - 3_000,
                at: deadlines[id],
            })
        });
        assert_eq!(applied, written);
    }
}
