//! Per-tenant resource limits and the shared request counts of the rate limit.

use diesel::prelude::*;

use super::super::error::Result;
use super::super::schema::{live_limits, live_request_counts};
use crate::identity::TenantId;
use crate::platform::db::DbConnection;

/// A tenant's own limits; `None` where the settings' default applies.
pub fn resource_limits(
    conn: &mut DbConnection,
    tenant: TenantId,
) -> Result<(Option<i64>, Option<i64>)> {
    Ok(live_limits::table
        .find(tenant.get())
        .select((live_limits::services, live_limits::configuration_values))
        .first(conn)
        .optional()?
        .unwrap_or((None, None)))
}

/// Sets the limits given, keeping the other.
pub fn set_resource_limits(
    conn: &mut DbConnection,
    tenant: TenantId,
    services: Option<i64>,
    configuration_values: Option<i64>,
) -> Result<()> {
    conn.transaction(|conn| {
        let tenant = tenant.get();
        // An integer of ours: nothing from outside is spliced into the SQL.
        diesel::sql_query(format!(
            "INSERT INTO live_limits (tenant_id) VALUES ({tenant}) ON CONFLICT DO NOTHING"
        ))
        .execute(conn)?;
        if let Some(services) = services {
            diesel::update(live_limits::table.find(tenant))
                .set(live_limits::services.eq(services))
                .execute(conn)?;
        }
        if let Some(values) = configuration_values {
            diesel::update(live_limits::table.find(tenant))
                .set(live_limits::configuration_values.eq(values))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Adds `requests` to the tenant's count for the window, and returns the new total (every
/// node's requests).
pub fn add_requests(
    conn: &mut DbConnection,
    tenant: i64,
    window_start: i64,
    requests: i64,
) -> Result<i64> {
    conn.transaction(|conn| {
        diesel::sql_query(format!(
            "INSERT INTO live_request_counts (tenant_id, window_start, used) \
             VALUES ({tenant}, {window_start}, 0) ON CONFLICT DO NOTHING"
        ))
        .execute(conn)?;
        diesel::update(live_request_counts::table.find((tenant, window_start)))
            .set(live_request_counts::used.eq(live_request_counts::used + requests))
            .execute(conn)?;
        Ok(live_request_counts::table
            .find((tenant, window_start))
            .select(live_request_counts::used)
            .first(conn)?)
    })
}

/// Deletes the counts of windows that ended.
pub fn forget_windows_before(conn: &mut DbConnection, window_start: i64) -> Result<usize> {
    Ok(diesel::delete(
        live_request_counts::table.filter(live_request_counts::window_start.lt(window_start)),
    )
    .execute(conn)?)
}
