//! How many services and configuration values each tenant holds. Every write that changes
//! a count holds the tenant's feed lock, so the counts move one writer at a time and a
//! create checks its limit in constant time.

use diesel::prelude::*;

use super::super::error::Result;
use super::super::schema::live_usage;
use crate::identity::TenantId;
use crate::platform::db::DbConnection;

/// (services, configuration values) of `tenant`.
pub fn current(conn: &mut DbConnection, tenant: TenantId) -> Result<(i64, i64)> {
    Ok(live_usage::table
        .find(tenant.get())
        .select((live_usage::services, live_usage::configuration_values))
        .first(conn)
        .optional()?
        .unwrap_or((0, 0)))
}

/// Adds the deltas (negative to remove). Call behind the tenant's feed lock.
pub fn add(conn: &mut DbConnection, tenant: TenantId, services: i64, values: i64) -> Result<()> {
    let tenant = tenant.get();
    // An integer of ours: nothing from outside is spliced into the SQL.
    diesel::sql_query(format!(
        "INSERT INTO live_usage (tenant_id, services, configuration_values) VALUES ({tenant}, 0, 0) \
         ON CONFLICT DO NOTHING"
    ))
    .execute(conn)?;
    diesel::update(live_usage::table.find(tenant))
        .set((
            live_usage::services.eq(live_usage::services + services),
            live_usage::configuration_values.eq(live_usage::configuration_values + values),
        ))
        .execute(conn)?;
    Ok(())
}
