//! How many services and configuration values each tenant holds. Every write that changes
//! a count does so holding the tenant's feed lock (its batch's
//! [`super::tenant_writes::TenantWrites`] moves them), so the counts move one batch at a
//! time and a create checks its limit in constant time.

use diesel::prelude::*;

use super::super::error::Result;
use super::super::schema::live_usage;
use crate::identity::TenantId;
use crate::platform::db::{DbConnection, DbError};

/// (services, configuration values) of `tenant`.
pub fn current(conn: &mut DbConnection, tenant: TenantId) -> Result<(i64, i64), DbError> {
    Ok(live_usage::table
        .find(tenant.get())
        .select((live_usage::services, live_usage::configuration_values))
        .first(conn)
        .optional()?
        .unwrap_or((0, 0)))
}

/// Adds the deltas (negative to remove) in one statement. Call behind the tenant's feed
/// lock.
pub fn add(
    conn: &mut DbConnection,
    tenant: TenantId,
    services: i64,
    values: i64,
) -> Result<(), DbError> {
    let tenant = tenant.get();
    // A tenant without a row holds nothing, so only additions can be new; the CHECK
    // constraints would refuse a negative row even when the conflict turns it into an
    // update. Integers of ours: nothing from outside is spliced into the SQL.
    let (new_services, new_values) = (services.max(0), values.max(0));
    diesel::sql_query(format!(
        "INSERT INTO live_usage (tenant_id, services, configuration_values) \
         VALUES ({tenant}, {new_services}, {new_values}) ON CONFLICT (tenant_id) DO UPDATE SET \
         services = live_usage.services + {services}, \
         configuration_values = live_usage.configuration_values + {values}"
    ))
    .execute(conn)?;
    Ok(())
}
