//! Writing reprieves: the rows kept reprieves become, and the conditional UPDATEs that
//! move deadlines.

use std::collections::HashMap;

use diesel::sql_types::{BigInt, Text};
use diesel::RunQueryDsl;

use super::Key;
use crate::live::error::Result;
use crate::platform::db::{values_placeholders, DbConnection};

/// Reprieves per UPDATE: 5 parameters each, far below either backend's limit.
const REPRIEVES_PER_UPDATE: usize = 500;

/// The rows of kept reprieves, each read by `fields` as (token hash, first, last).
pub(super) fn rows<T>(
    kept: &HashMap<Key, T>,
    fields: impl Fn(&T) -> (&String, i64, i64),
) -> Vec<Row> {
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
pub(super) struct Row {
    tenant: i64,
    id: String,
    token_hash: String,
    first: i64,
    last: i64,
}

/// The new deadline of a refused heartbeat's reprieve: to the last refusal's arrival +
/// the timeout if the service was alive then (its deadline still ahead, or the last within
/// a timeout of the first), else to the first's if it was alive at that.
pub(super) const REFUSED: &str = "live_services.heartbeat_timeout * 1000 + CASE \
    WHEN live_services.deadline > v.column5 \
    OR live_services.heartbeat_timeout * 1000 + v.column4 > v.column5 \
    THEN v.column5 ELSE v.column4 END";

/// The new deadline of a late answer's reprieve: when it left + the timeout. Its first is
/// the heartbeat's arrival, before the deadline its commit wrote. Written before the
/// refusals', whose check that the service was alive needs the deadline it earned.
pub(super) const ANSWERED_LATE: &str = "live_services.heartbeat_timeout * 1000 + v.column5";

/// One conditional UPDATE per 500 reprieves, moving each deadline to `reprieved`; how many
/// moved. A deadline only ever moves later, only for the token the service holds now, and
/// only if the service was alive at the first arrival.
pub(super) fn grant(conn: &mut DbConnection, reprieves: &[Row], reprieved: &str) -> Result<usize> {
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
