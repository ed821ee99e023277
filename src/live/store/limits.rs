//! Per-tenant resource limits and the shared request counts of the rate limit.

use diesel::prelude::*;

use super::super::domain::RatePolicy;
use super::super::error::Result;
use super::super::schema::{live_limits, live_request_counts};
use crate::identity::TenantId;
use crate::platform::db::DbConnection;

/// A tenant's own limits (`tenant limits`); `None` where the settings' default applies.
/// As a changeset, only the limits given are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = live_limits)]
pub struct OwnLimits {
    pub services: Option<i64>,
    pub configuration_values: Option<i64>,
    pub requests: Option<i64>,
    pub rate_window_ms: Option<i64>,
}

impl OwnLimits {
    /// The rate limit in force: the tenant's own values over `default`.
    pub fn rate(&self, default: RatePolicy) -> RatePolicy {
        default.overridden(self.requests, self.rate_window_ms)
    }
}

/// The tenant's rate limit in force.
pub fn rate_policy(
    conn: &mut DbConnection,
    tenant: TenantId,
    default: RatePolicy,
) -> Result<RatePolicy> {
    Ok(own_limits(conn, tenant)?.rate(default))
}

pub fn own_limits(conn: &mut DbConnection, tenant: TenantId) -> Result<OwnLimits> {
    Ok(live_limits::table
        .find(tenant.get())
        .select(OwnLimits::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

/// Sets the limits `changes` gives, keeping the others.
pub fn set_own_limits(
    conn: &mut DbConnection,
    tenant: TenantId,
    changes: &OwnLimits,
) -> Result<()> {
    if *changes == OwnLimits::default() {
        return Ok(());
    }
    conn.transaction(|conn| {
        let tenant = tenant.get();
        // An integer of ours: nothing from outside is spliced into the SQL.
        diesel::sql_query(format!(
            "INSERT INTO live_limits (tenant_id) VALUES ({tenant}) ON CONFLICT DO NOTHING"
        ))
        .execute(conn)?;
        diesel::update(live_limits::table.find(tenant))
            .set(changes)
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes the tenant's counts of windows before `window_start` (which has begun).
pub fn forget_windows_before(
    conn: &mut DbConnection,
    tenant: i64,
    window_start: i64,
) -> Result<usize> {
    Ok(diesel::delete(
        live_request_counts::table
            .filter(live_request_counts::tenant_id.eq(tenant))
            .filter(live_request_counts::window_start.lt(window_start)),
    )
    .execute(conn)?)
}
