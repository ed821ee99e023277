//! Configuration values. Changes are recorded in the feed in the same transaction.

use diesel::prelude::*;

use super::super::domain::{ConfigurationId, ConfigurationValue, Namespace};
use super::super::error::{LiveError, Result};
use super::super::schema::live_configuration;
use super::usage;
use crate::identity::TenantId;
use crate::live::events::{Appended, EventKind, FeedLock, NewEvent};
use crate::platform::db::DbConnection;

/// Sets a value, creating it if needed (which takes a place under the tenant's limit;
/// [`remove`] gives it back); an unchanged value writes nothing and records no
/// event. Creating past the tenant's limit is refused.
pub fn set(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ConfigurationId,
    value: &ConfigurationValue,
    limit: i64,
    now: i64,
) -> Result<Vec<Appended>> {
    // The common unchanged case writes nothing at all, not even the feed lock's row.
    if current(conn, tenant, id)?.as_deref() == Some(value.as_str()) {
        return Ok(Vec::new());
    }
    conn.transaction(|conn| {
        let mut feed = FeedLock::acquire(conn, tenant)?;
        let old = current(conn, tenant, id)?;
        if old.as_deref() == Some(value.as_str()) {
            return Ok(Vec::new());
        }
        if old.is_none() {
            if usage::current(conn, tenant)?.1 >= limit {
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
            usage::add(conn, tenant, 0, 1)?;
        } else {
            diesel::update(live_configuration::table.find((tenant.get(), id.as_str())))
                .set(live_configuration::value.eq(value.as_str()))
                .execute(conn)?;
        }
        feed.append(
            conn,
            NewEvent {
                kind: EventKind::ConfigurationValueUpdate,
                occurred_at: now,
                payload: serde_json::json!({
                    "configuration_value_id": id.as_str(),
                    "old_value": old,
                    "new_value": value.as_str(),
                }),
            },
        )?;
        Ok(feed.into_appended())
    })
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

pub fn remove(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ConfigurationId,
    now: i64,
) -> Result<Vec<Appended>> {
    conn.transaction(|conn| {
        let mut feed = FeedLock::acquire(conn, tenant)?;
        let old = get(conn, tenant, id)?;
        diesel::delete(live_configuration::table.find((tenant.get(), id.as_str())))
            .execute(conn)?;
        usage::add(conn, tenant, 0, -1)?;
        feed.append(
            conn,
            NewEvent {
                kind: EventKind::ConfigurationValueRemove,
                occurred_at: now,
                payload: serde_json::json!({
                    "configuration_value_id": id.as_str(),
                    "old_value": old,
                }),
            },
        )?;
        Ok(feed.into_appended())
    })
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
