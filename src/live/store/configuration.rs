//! Configuration values. Changes are recorded in the feed in the same transaction.

use diesel::prelude::*;

use super::super::domain::{ConfigurationId, ConfigurationValue, Namespace};
use super::super::error::{LiveError, Result};
use super::super::schema::live_configuration;
use super::tenant_writes::{Counted, TenantWrites};
use crate::identity::TenantId;
use crate::live::events::{EventKind, NewEvent};
use crate::platform::db::DbConnection;

/// Sets a value, creating it if needed (which takes a place under the tenant's limit;
/// [`remove`] gives it back); an unchanged value writes nothing and records no
/// event. Creating past the tenant's limit is refused.
pub fn set(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    id: &ConfigurationId,
    value: &ConfigurationValue,
    limit: i64,
    now: i64,
) -> Result<()> {
    let old = current(conn, tenant, id)?;
    if old.as_deref() == Some(value.as_str()) {
        return Ok(());
    }
    if old.is_none() {
        if !writes.has_room(conn, Counted::ConfigurationValues, limit)? {
            return Err(LiveError::LimitReached {
                resource: "configuration_value",
                max: limit,
            });
        }
        diesel::insert_into(live_configuration::table)
            .values((
                live_configuration::tenant_id.eq(tenant.get()),
                live_configuration::id.eq(id.as_str()),
                live_configuration::value.eq(value.as_str()),
            ))
            .execute(conn)?;
        writes.count(0, 1);
    } else {
        diesel::update(live_configuration::table.find((tenant.get(), id.as_str())))
            .set(live_configuration::value.eq(value.as_str()))
            .execute(conn)?;
    }
    writes.append(NewEvent {
        kind: EventKind::ConfigurationValueUpdate,
        occurred_at: now,
        payload: serde_json::json!({
            "configuration_value_id": id.as_str(),
            "old_value": old,
            "new_value": value.as_str(),
        }),
    });
    Ok(())
}

/// Whether `id` holds `value` already (a set that would change nothing).
pub fn holds(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ConfigurationId,
    value: &ConfigurationValue,
) -> Result<bool> {
    Ok(current(conn, tenant, id)?.as_deref() == Some(value.as_str()))
}

pub fn get(conn: &mut DbConnection, tenant: TenantId, id: &ConfigurationId) -> Result<String> {
    current(conn, tenant, id)?.ok_or_else(|| LiveError::not_found("ConfigurationValue", id))
}

fn current(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ConfigurationId,
) -> Result<Option<String>> {
    Ok(live_configuration::table
        .find((tenant.get(), id.as_str()))
        .select(live_configuration::value)
        .first(conn)
        .optional()?)
}

/// Removes a value and records its removal.
pub fn remove(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    id: &ConfigurationId,
    now: i64,
) -> Result<()> {
    let old = get(conn, tenant, id)?;
    diesel::delete(live_configuration::table.find((tenant.get(), id.as_str()))).execute(conn)?;
    writes.count(0, -1);
    writes.append(NewEvent {
        kind: EventKind::ConfigurationValueRemove,
        occurred_at: now,
        payload: serde_json::json!({
            "configuration_value_id": id.as_str(),
            "old_value": old,
        }),
    });
    Ok(())
}

/// Up to `limit` values from `marker` (inclusive), inside `namespace` if given.
pub fn list(
    conn: &mut DbConnection,
    tenant: TenantId,
    namespace: Option<&Namespace>,
    marker: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let mut query = live_configuration::table
        .filter(live_configuration::tenant_id.eq(tenant.get()))
        .select((live_configuration::id, live_configuration::value))
        .order(live_configuration::id)
        .limit(limit)
        .into_boxed();
    if let Some(namespace) = namespace {
        let (from, to) = namespace.id_range();
        query = query
            .filter(live_configuration::id.ge(from))
            .filter(live_configuration::id.lt(to));
    }
    if let Some(marker) = marker {
        query = query.filter(live_configuration::id.ge(marker.to_owned()));
    }
    Ok(query.load(conn)?)
}
