//! Live services. A service is alive while `deadline` is in the future: every read and
//! heartbeat compares with it, so nothing past its deadline is ever shown or revived,
//! whether or not a reaper has removed it yet.

use diesel::prelude::*;

use super::super::domain::{
    HeartbeatTimeout, HeartbeatToken, Metadata, NewService, Service, ServiceChanges, ServiceId,
    Tags,
};
use super::super::error::{LiveError, Result};
use super::super::schema::{live_service_tags, live_services};
use super::tenant_writes::{Counted, TenantWrites};
use crate::identity::TenantId;
use crate::live::events::{EventKind, NewEvent};
use crate::platform::db::{now_millis, DbConnection};

#[derive(Queryable, Selectable)]
#[diesel(table_name = live_services)]
struct ServiceRow {
    id: String,
    heartbeat_timeout: i64,
    tags: String,
    metadata: String,
    last_seen: Option<i64>,
    deadline: i64,
}

impl ServiceRow {
    fn into_service(self) -> Result<Service> {
        let corrupt = |reason: &str| LiveError::corrupt(format!("service '{}'", self.id), reason);
        let id = ServiceId::parse(&self.id).ok_or_else(|| corrupt("id"))?;
        let heartbeat_timeout =
            HeartbeatTimeout::new(self.heartbeat_timeout).ok_or_else(|| corrupt("timeout"))?;
        let tags = serde_json::from_str(&self.tags)
            .ok()
            .and_then(|tags| Tags::new(tags).ok())
            .ok_or_else(|| corrupt("tags"))?;
        let metadata = serde_json::from_str(&self.metadata)
            .ok()
            .and_then(|pairs| Metadata::new(pairs).ok())
            .ok_or_else(|| corrupt("metadata"))?;
        Ok(Service {
            id,
            heartbeat_timeout,
            tags,
            metadata,
            last_seen: self.last_seen,
        })
    }
}

/// What the feed says about a service that joined, left or timed out.
fn payload(service: &Service) -> serde_json::Value {
    serde_json::json!({
        "id": service.id.as_str(),
        "heartbeat_timeout": service.heartbeat_timeout.seconds(),
        "tags": service.tags.as_slice(),
        "metadata": service.metadata.as_map(),
    })
}

/// Creates a service, its tags and its `service.join` event, and returns its first
/// heartbeat token. The insert is conditional (`ON CONFLICT DO NOTHING`), so the common
/// case is one statement; when the id is taken, a dead holder the reaper has not removed
/// yet is timed out (which stands even if the create is then refused: it was due) and the
/// insert tried once more. Of racing creates of one id, one wins: the primary key decides.
pub fn create(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    new: &NewService,
    limit: i64,
    now: i64,
) -> Result<HeartbeatToken> {
    // Dead services the reaper has not removed yet still count, for a second at most; a
    // dead holder of this very id gives its place to its successor.
    if !writes.has_room(conn, Counted::Services, limit)? {
        time_out(conn, writes, tenant, new.id.as_str(), now)?;
        if !writes.has_room(conn, Counted::Services, limit)? {
            return Err(LiveError::LimitReached {
                resource: "service",
                max: limit,
            });
        }
    }
    let token = HeartbeatToken::generate();
    // Its first timeout counts from the answer, as a heartbeat's does.
    let answered = now_millis().max(now);
    // Taken: by a dead holder, which is timed out and the insert tried once more, or by a
    // live one, which refuses this create.
    if insert_service(conn, tenant, new, &token, answered)? == 0
        && (!time_out(conn, writes, tenant, new.id.as_str(), now)?
            || insert_service(conn, tenant, new, &token, answered)? == 0)
    {
        return Err(LiveError::ServiceExists(new.id.to_string()));
    }
    insert_tags(conn, tenant, &new.id, &new.tags)?;
    writes.count(1, 0);
    let service = Service {
        id: new.id.clone(),
        heartbeat_timeout: new.heartbeat_timeout,
        tags: new.tags.clone(),
        metadata: new.metadata.clone(),
        last_seen: None,
    };
    writes.append(NewEvent {
        kind: EventKind::ServiceJoin,
        occurred_at: now,
        payload: payload(&service),
    });
    Ok(token)
}

/// Inserts the service's row unless its id is taken; how many rows it inserted.
fn insert_service(
    conn: &mut DbConnection,
    tenant: TenantId,
    new: &NewService,
    token: &HeartbeatToken,
    counted_from: i64,
) -> Result<usize> {
    use diesel::sql_types::{BigInt, Text};
    // Raw SQL only because diesel's two-backend connection has no ON CONFLICT builder;
    // `$n` parameters mean the same on both backends.
    Ok(diesel::sql_query(
        "INSERT INTO live_services \
         (tenant_id, id, heartbeat_timeout, tags, metadata, last_seen, deadline, token_hash) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(tenant.get())
    .bind::<Text, _>(new.id.as_str())
    .bind::<BigInt, _>(new.heartbeat_timeout.seconds())
    .bind::<Text, _>(serde_json::to_string(new.tags.as_slice()).unwrap_or_default())
    .bind::<Text, _>(serde_json::to_string(new.metadata.as_map()).unwrap_or_default())
    .bind::<BigInt, _>(counted_from + new.heartbeat_timeout.millis())
    .bind::<Text, _>(token.hash())
    .execute(conn)?)
}

fn insert_tags(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ServiceId,
    tags: &Tags,
) -> Result<()> {
    let mut distinct: Vec<&String> = tags.as_slice().iter().collect();
    distinct.sort();
    distinct.dedup();
    // One row per statement: batch inserts are not portable across the two backends.
    for tag in distinct {
        diesel::insert_into(live_service_tags::table)
            .values((
                live_service_tags::tenant_id.eq(tenant.get()),
                live_service_tags::service_id.eq(id.as_str()),
                live_service_tags::tag.eq(tag.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The service if it is alive.
pub fn find(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ServiceId,
    now: i64,
) -> Result<Service> {
    live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .filter(live_services::id.eq(id.as_str()))
        .filter(live_services::deadline.gt(now))
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| LiveError::not_found("Service", id))?
        .into_service()
}

/// How many services of `tenant` with tag `tag` are alive at `now`; counting stops at
/// `at_most` when given (a catalog asks only whether a fleet has enough). The tag's rows
/// lead (their key is tenant, tag, service), each probing its service by key, so a
/// capped count reads about as many rows as it counts.
pub fn count_alive_with_tag(
    conn: &mut DbConnection,
    tenant: TenantId,
    tag: &str,
    now: i64,
    at_most: Option<i64>,
) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        alive: i64,
    }
    let limit = at_most.map_or(String::new(), |n| format!(" LIMIT {n}"));
    let count: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS alive FROM (SELECT 1 FROM live_service_tags AS t \
         JOIN live_services AS s ON s.tenant_id = t.tenant_id AND s.id = t.service_id \
         WHERE t.tenant_id = $1 AND t.tag = $2 AND s.deadline > $3{limit}) AS alive_ones"
    ))
    .bind::<diesel::sql_types::BigInt, _>(tenant.get())
    .bind::<diesel::sql_types::Text, _>(tag)
    .bind::<diesel::sql_types::BigInt, _>(now)
    .get_result(conn)?;
    Ok(count.alive)
}

/// Up to `limit` live services from `marker` (inclusive), with tag `tag` if given.
pub fn list(
    conn: &mut DbConnection,
    tenant: TenantId,
    tag: Option<&str>,
    marker: Option<&str>,
    limit: i64,
    now: i64,
) -> Result<Vec<Service>> {
    let mut query = live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .filter(live_services::deadline.gt(now))
        .select(ServiceRow::as_select())
        .order(live_services::id)
        .limit(limit)
        .into_boxed();
    if let Some(marker) = marker {
        query = query.filter(live_services::id.ge(marker.to_owned()));
    }
    if let Some(tag) = tag {
        query = query.filter(
            live_services::id.eq_any(
                live_service_tags::table
                    .filter(live_service_tags::tenant_id.eq(tenant.get()))
                    .filter(live_service_tags::tag.eq(tag.to_owned()))
                    .select(live_service_tags::service_id),
            ),
        );
    }
    let rows: Vec<ServiceRow> = query.load(conn)?;
    rows.into_iter().map(ServiceRow::into_service).collect()
}

/// Replaces the fields `changes` names. A new timeout applies from the next heartbeat.
pub fn update(
    conn: &mut DbConnection,
    tenant: TenantId,
    id: &ServiceId,
    changes: &ServiceChanges,
    now: i64,
) -> Result<()> {
    let target = live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .filter(live_services::id.eq(id.as_str()))
        .filter(live_services::deadline.gt(now));
    // A write on the row first: it locks the row (PostgreSQL) and tells whether it lives.
    let found = diesel::update(target)
        .set(live_services::deadline.eq(live_services::deadline))
        .execute(conn)?;
    if found == 0 {
        return Err(LiveError::not_found("Service", id));
    }
    if let Some(timeout) = changes.heartbeat_timeout {
        diesel::update(target)
            .set(live_services::heartbeat_timeout.eq(timeout.seconds()))
            .execute(conn)?;
    }
    if let Some(metadata) = &changes.metadata {
        diesel::update(target)
            .set(
                live_services::metadata
                    .eq(serde_json::to_string(metadata.as_map()).unwrap_or_default()),
            )
            .execute(conn)?;
    }
    if let Some(tags) = &changes.tags {
        diesel::update(target)
            .set(live_services::tags.eq(serde_json::to_string(tags.as_slice()).unwrap_or_default()))
            .execute(conn)?;
        diesel::delete(
            live_service_tags::table
                .filter(live_service_tags::tenant_id.eq(tenant.get()))
                .filter(live_service_tags::service_id.eq(id.as_str())),
        )
        .execute(conn)?;
        insert_tags(conn, tenant, id, tags)?;
    }
    Ok(())
}

/// Removes a live service (its tags and heartbeat token with it) and records
/// `service.remove`.
pub fn remove(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    id: &ServiceId,
    now: i64,
) -> Result<()> {
    let service = find(conn, tenant, id, now)?;
    let removed = diesel::delete(
        live_services::table
            .filter(live_services::tenant_id.eq(tenant.get()))
            .filter(live_services::id.eq(id.as_str()))
            .filter(live_services::deadline.gt(now)),
    )
    .execute(conn)?;
    if removed == 0 {
        return Err(LiveError::not_found("Service", id));
    }
    writes.count(-1, 0);
    writes.append(NewEvent {
        kind: EventKind::ServiceRemove,
        occurred_at: now,
        payload: payload(&service),
    });
    Ok(())
}

/// Whether `tenant` has a service past its deadline (the deadline index holds only the
/// few the reapers have not removed yet).
pub fn has_dead(conn: &mut DbConnection, tenant: TenantId, now: i64) -> Result<bool> {
    Ok(live_services::table
        .filter(live_services::deadline.le(now))
        .filter(live_services::tenant_id.eq(tenant.get()))
        .select(live_services::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// Tenants with services past their deadline (at most `limit` of them).
pub fn tenants_with_dead(conn: &mut DbConnection, now: i64, limit: i64) -> Result<Vec<i64>> {
    Ok(live_services::table
        .filter(live_services::deadline.le(now))
        .select(live_services::tenant_id)
        .distinct()
        .limit(limit)
        .load(conn)?)
}

/// Removes `tenant`'s dead services, each with its `service.timeout` event (timestamped
/// with its deadline). Each delete is conditional, so of several nodes reaping at once,
/// or a reaper racing a late heartbeat, exactly one outcome is recorded per service.
pub fn reap(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    now: i64,
) -> Result<usize> {
    let dead: Vec<String> = live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .filter(live_services::deadline.le(now))
        .order((live_services::deadline, live_services::id))
        .select(live_services::id)
        .load(conn)?;
    let mut reaped = 0;
    for id in dead {
        reaped += usize::from(time_out(conn, writes, tenant, &id, now)?);
    }
    Ok(reaped)
}

/// Removes the service `id` if it is dead and records its timeout; whether it did.
fn time_out(
    conn: &mut DbConnection,
    writes: &mut TenantWrites,
    tenant: TenantId,
    id: &str,
    now: i64,
) -> Result<bool> {
    let target = live_services::table
        .filter(live_services::tenant_id.eq(tenant.get()))
        .filter(live_services::id.eq(id))
        .filter(live_services::deadline.le(now));
    let Some(row) = target
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(false);
    };
    let deadline = row.deadline;
    let service = row.into_service()?;
    if diesel::delete(target).execute(conn)? == 0 {
        return Ok(false);
    }
    writes.count(-1, 0);
    writes.append(NewEvent {
        kind: EventKind::ServiceTimeout,
        occurred_at: deadline,
        payload: payload(&service),
    });
    Ok(true)
}
