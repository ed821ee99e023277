//! The feed's queries. Appending happens inside the writer's own transaction (a service
//! and its `service.join` commit together), behind the tenant's feed lock.

use diesel::prelude::*;

use super::domain::{Event, EventId, EventKind, NewEvent};
use super::schema::{event_feeds, events};
use crate::identity::TenantId;
use crate::platform::db::{now_millis, DbConnection, DbError};

/// A tenant's feed, locked until the surrounding transaction ends. Everything that appends
/// takes it, and numbers its events only while holding it, so one tenant's events get
/// their ids, and commit, one after the other: on PostgreSQL an event with a smaller id can
/// then never become visible after a larger one, and a reader paging by id never skips one.
pub struct FeedLock {
    tenant: i64,
    last: Option<EventId>,
}

#[derive(QueryableByName)]
struct LastEventId {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = last_event_id)]
    last: String,
}

/// An event a writer appended: what the node counts once the transaction commits.
#[derive(Debug, Clone, Copy)]
pub struct Appended {
    pub kind: EventKind,
    pub occurred_at: i64,
}

impl FeedLock {
    /// Call inside a transaction; the lock is held until it ends.
    pub fn acquire(conn: &mut DbConnection, tenant: TenantId) -> Result<Self, DbError> {
        let tenant = tenant.get();
        // One statement creates the feed's row if needed and writes it, which takes the
        // row lock PostgreSQL holds to the end of the transaction (SQLite has one writer at
        // a time anyway). An integer of ours: nothing from outside is spliced into the SQL.
        let LastEventId { last } = diesel::sql_query(format!(
            "INSERT INTO event_feeds (tenant_id, last_event_id, version) VALUES ({tenant}, '', 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET version = event_feeds.version + 1 \
             RETURNING last_event_id"
        ))
        .get_result(conn)?;
        Ok(Self {
            tenant,
            last: EventId::parse(&last),
        })
    }

    /// Numbers `appended` after the feed's last event and writes them (a few statements
    /// however many there are) and the feed's last id; gives back what was appended, for
    /// `Events::appended` once the transaction has committed.
    pub fn append(
        mut self,
        conn: &mut DbConnection,
        appended: Vec<NewEvent>,
    ) -> Result<Vec<Appended>, DbError> {
        use diesel::sql_types::{BigInt, Text};
        let recorded_at = now_millis();
        for chunk in appended.chunks(EVENTS_PER_INSERT) {
            let mut sql = String::from(
                "INSERT INTO events (tenant_id, id, recorded_at, occurred_at, kind, payload) VALUES ",
            );
            for n in 0..chunk.len() {
                let first = n * 6;
                let placeholders: Vec<String> =
                    (first + 1..=first + 6).map(|p| format!("${p}")).collect();
                if n > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(&placeholders.join(", "));
                sql.push(')');
            }
            let mut insert = diesel::sql_query(sql).into_boxed::<Backend>();
            for event in chunk {
                let id = EventId::next_after(self.last);
                self.last = Some(id);
                insert = insert
                    .bind::<BigInt, _>(self.tenant)
                    .bind::<Text, _>(id.to_string())
                    .bind::<BigInt, _>(recorded_at)
                    .bind::<BigInt, _>(event.occurred_at)
                    .bind::<Text, _>(event.kind.as_str())
                    .bind::<Text, _>(event.payload.to_string());
            }
            insert.execute(conn)?;
        }
        if let (Some(last), false) = (self.last, appended.is_empty()) {
            diesel::update(event_feeds::table.find(self.tenant))
                .set(event_feeds::last_event_id.eq(last.to_string()))
                .execute(conn)?;
        }
        Ok(appended
            .iter()
            .map(|event| Appended {
                kind: event.kind,
                occurred_at: event.occurred_at,
            })
            .collect())
    }
}

/// Rows per INSERT: 6 parameters each, far below either backend's limit on parameters.
const EVENTS_PER_INSERT: usize = 500;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// Up to `limit` events of `tenant` from `start` (inclusive), of `kind` if given, in order.
pub fn page(
    conn: &mut DbConnection,
    tenant: TenantId,
    start: EventId,
    kind: Option<EventKind>,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    let mut query = events::table
        .filter(events::tenant_id.eq(tenant.get()))
        .filter(events::id.ge(start.to_string()))
        .select((
            events::id,
            events::occurred_at,
            events::kind,
            events::payload,
        ))
        .order(events::id)
        .limit(limit)
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(events::kind.eq(kind.as_str()));
    }
    let rows: Vec<(String, i64, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, occurred_at, kind, payload)| Event {
            id,
            occurred_at,
            kind,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}

/// The last event id of each of `tenants` that has one.
pub fn last_ids(conn: &mut DbConnection, tenants: &[i64]) -> Result<Vec<(i64, String)>, DbError> {
    Ok(event_feeds::table
        .filter(event_feeds::tenant_id.eq_any(tenants))
        .select((event_feeds::tenant_id, event_feeds::last_event_id))
        .load(conn)?)
}

/// Deletes events recorded before `before`; the feeds' last ids stay, so ids keep growing.
pub fn purge(conn: &mut DbConnection, before: i64) -> Result<usize, DbError> {
    Ok(diesel::delete(events::table.filter(events::recorded_at.lt(before))).execute(conn)?)
}
