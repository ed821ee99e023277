//! Registered services in the database: rows, their queries, and [`ServiceStore`], the
//! only way the rest of the crate reaches them.

use diesel::prelude::*;

use super::domain::{
    Description, PageRequest, ReleaseState, Service, ServiceId, ServiceName, ServiceType,
    ServiceUpdate,
};
use super::error::{RegistryError as Error, Result};
use super::schema::services;
use crate::platform::db::{now_millis, Database, DbConnection, DbError};
use crate::platform::freshness::Freshness;
use crate::platform::paging::{Page, HP_IDM};
use crate::settings::CacheSettings;

/// The registered services of one database. Cheap to clone.
#[derive(Clone)]
pub struct ServiceStore {
    database: Database,
    freshness: Freshness,
}

impl ServiceStore {
    /// Every write bumps `freshness` in its transaction and moves its epoch once answered,
    /// so representations cached from earlier reads are never served again.
    pub(super) fn new(database: Database, freshness: Freshness) -> Self {
        Self {
            database,
            freshness,
        }
    }

    /// A store outside a server (seeding): its writes still bump the generation, so
    /// running servers drop what they cached within their staleness bound.
    pub fn standalone(database: Database) -> Self {
        let freshness = Freshness::new(super::GENERATION, &CacheSettings::default());
        Self::new(database, freshness)
    }

    pub async fn find(&self, id: ServiceId) -> Result<Service> {
        self.database.run(move |conn| find(conn, id)).await
    }

    /// The service with this name, compared as names are (case-insensitively).
    pub async fn find_by_name(&self, name: ServiceName) -> Result<Option<Service>> {
        self.database
            .run(move |conn| {
                services::table
                    .filter(services::name_key.eq(name.key()))
                    .select(ServiceRow::as_select())
                    .first(conn)
                    .optional()?
                    .map(Service::try_from)
                    .transpose()
            })
            .await
    }

    /// The services with these ids that exist, in id order.
    pub async fn find_many(&self, ids: Vec<ServiceId>) -> Result<Vec<Service>> {
        self.database
            .run(move |conn| {
                services::table
                    .filter(services::id.eq_any(ids.iter().map(|id| id.get()).collect::<Vec<_>>()))
                    .order(services::id.asc())
                    .select(ServiceRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(Service::try_from)
                    .collect()
            })
            .await
    }

    pub async fn list(&self, request: PageRequest) -> Result<Page<Service, ServiceId>> {
        self.database.run(move |conn| list(conn, &request)).await
    }

    /// Every service (of `service_type`, if given), by id: Keystone v3's unpaged list.
    pub async fn all(&self, service_type: Option<ServiceType>) -> Result<Vec<Service>> {
        let mut all = Vec::new();
        let mut request = PageRequest {
            marker: None,
            size: HP_IDM.limit(Some("1000"))?,
            service_type,
        };
        loop {
            let page = self.list(request.clone()).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => request.marker = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Returns once the row is committed.
    pub async fn register(&self, service: Service) -> Result<Service> {
        self.write(move |conn| register(conn, service)).await
    }

    pub async fn update(&self, update: ServiceUpdate) -> Result<Service> {
        self.write(move |conn| self::update(conn, update)).await
    }

    /// Runs `write` in one transaction with the bump of the registry's freshness, so that
    /// every node's cached reads learn of it; returns once committed.
    async fn write<F>(&self, write: F) -> Result<Service>
    where
        F: FnOnce(&mut DbConnection) -> Result<Service> + Send + 'static,
    {
        let freshness = self.freshness.clone();
        let written = self
            .database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    let service = write(conn)?;
                    freshness.bump(conn)?;
                    Ok(service)
                })
            })
            .await;
        self.freshness.wrote();
        written
    }

    /// Registers a service under the next free id, whatever id it holds (Keystone v3's
    /// creates name none).
    /// The id is read and inserted in one transaction; a racing writer that takes it
    /// first makes the primary key refuse this one, which then tries the next.
    pub async fn register_next(&self, service: Service) -> Result<Service> {
        for _ in 0..8 {
            let mut attempt = service.clone();
            let registered = self
                .write(move |conn| {
                    attempt.id = next_free_id(conn)?;
                    register(conn, attempt)
                })
                .await;
            if !matches!(registered, Err(Error::IdTaken(_))) {
                return registered;
            }
        }
        Err(Error::invalid(
            "no free service id after several tries; try again",
        ))
    }

    /// Registers many services in one transaction, blocking (seeding a benchmark).
    pub fn register_all(&self, services: impl IntoIterator<Item = Service>) -> Result<()> {
        self.database.with_connection(|conn| {
            conn.transaction(|conn| {
                services
                    .into_iter()
                    .try_for_each(|service| register(conn, service).map(drop))?;
                Ok::<_, Error>(self.freshness.bump(conn)?)
            })
        })?;
        self.freshness.wrote();
        Ok(())
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = services)]
struct ServiceRow {
    id: i64,
    name: String,
    service_type: String,
    release_state: String,
    description: Option<String>,
    enabled: i64,
}

/// Rows hold only what the domain types accepted when they were written, so reading
/// trusts the text columns (re-checking them was the costliest part of a page) and parses
/// only what a hand-edited row could break: the id and the release state.
impl TryFrom<ServiceRow> for Service {
    type Error = Error;

    fn try_from(row: ServiceRow) -> Result<Self> {
        let release_state =
            ReleaseState::parse(&row.release_state).map_err(|e| Error::Corrupt {
                id: row.id,
                reason: e.to_string(),
            })?;
        Ok(Service {
            id: ServiceId::from_stored(row.id)?,
            name: ServiceName::from_stored(row.name),
            service_type: ServiceType::from_stored(row.service_type),
            release_state,
            description: row.description.map(Description::from_stored),
            enabled: row.enabled != 0,
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = services)]
struct NewServiceRow<'a> {
    id: i64,
    name: &'a str,
    name_key: &'a str,
    service_type: &'a str,
    release_state: &'a str,
    description: Option<&'a str>,
    created_at: i64,
    updated_at: i64,
    enabled: i64,
}

/// A full replacement; `release_state: None` leaves the column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = services)]
struct ServiceChanges<'a> {
    name: &'a str,
    name_key: &'a str,
    service_type: &'a str,
    release_state: Option<&'a str>,
    description: Option<Option<&'a str>>,
    enabled: Option<i64>,
    updated_at: i64,
}

fn find(conn: &mut DbConnection, id: ServiceId) -> Result<Service> {
    services::table
        .find(id.get())
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound(id))?
        .try_into()
}

/// Keyset pagination: `id > marker ORDER BY id LIMIT n+1` walks the primary key (or the
/// `(service_type, id)` index), so the last page costs what the first does.
fn list(conn: &mut DbConnection, request: &PageRequest) -> Result<Page<Service, ServiceId>> {
    if let Some(marker) = request.marker {
        let exists = services::table
            .find(marker.get())
            .select(services::id)
            .first::<i64>(conn)
            .optional()?
            .is_some();
        if !exists {
            return Err(Error::MarkerNotFound(marker));
        }
    }
    let mut query = services::table
        .select(ServiceRow::as_select())
        .order(services::id.asc())
        .limit(request.size.rows_to_fetch())
        .into_boxed();
    if let Some(marker) = request.marker {
        query = query.filter(services::id.gt(marker.get()));
    }
    if let Some(service_type) = &request.service_type {
        query = query.filter(services::service_type.eq(service_type.as_str().to_owned()));
    }
    let rows = query
        .load(conn)?
        .into_iter()
        .map(Service::try_from)
        .collect::<Result<_>>()?;
    Ok(HP_IDM.page(rows, request.size, |service: &Service| service.id))
}

/// One INSERT: the primary key and the UNIQUE folded name decide races, so of any number
/// of concurrent registrations of one id or name exactly one commits.
fn register(conn: &mut DbConnection, service: Service) -> Result<Service> {
    let now = now_millis();
    let name_key = service.name.key();
    let row = NewServiceRow {
        id: service.id.get(),
        name: service.name.as_str(),
        name_key: &name_key,
        service_type: service.service_type.as_str(),
        release_state: service.release_state.as_str(),
        description: service.description.as_ref().map(Description::as_str),
        created_at: now,
        updated_at: now,
        enabled: i64::from(service.enabled),
    };
    diesel::insert_into(services::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| conflict_or_unexpected(e, service.id, &service.name))?;
    Ok(service)
}

/// Replaces the service in a transaction whose first statement is the UPDATE (so
/// SQLite takes the write lock at once). The lifecycle rule is part of the UPDATE's WHERE
/// clause, so no interleaving of writers can move a service out of `decommissioned`.
fn update(conn: &mut DbConnection, update: ServiceUpdate) -> Result<Service> {
    let id = update.id;
    conn.transaction::<_, Error, _>(|conn| {
        // A row may take the new state unless it is decommissioned and the new state is
        // not; keeping the state (None) is always allowed, like staying decommissioned.
        let guard_state = update
            .release_state
            .unwrap_or(ReleaseState::Decommissioned)
            .as_str();
        let name_key = update.name.key();
        let changes = ServiceChanges {
            name: update.name.as_str(),
            name_key: &name_key,
            service_type: update.service_type.as_str(),
            release_state: update.release_state.map(ReleaseState::as_str),
            description: Some(update.description.as_ref().map(Description::as_str)),
            enabled: update.enabled.map(i64::from),
            updated_at: now_millis(),
        };
        let updated = diesel::update(
            services::table.filter(services::id.eq(id.get())).filter(
                services::release_state
                    .ne(ReleaseState::Decommissioned.as_str())
                    .or(services::release_state.eq(guard_state)),
            ),
        )
        .set(&changes)
        .execute(conn)
        .map_err(|e| conflict_or_unexpected(e, id, &update.name))?;
        if updated == 0 {
            // Services are never deleted and never leave `decommissioned`, so a service
            // that exists now but was not updated is decommissioned.
            return Err(match find(conn, id) {
                Ok(_) => Error::Decommissioned,
                Err(e) => e,
            });
        }
        find(conn, id)
    })
}

/// One past the largest id in use.
fn next_free_id(conn: &mut DbConnection) -> Result<ServiceId> {
    let largest: Option<i64> = services::table
        .select(diesel::dsl::max(services::id))
        .first(conn)?;
    ServiceId::from_stored(largest.unwrap_or(0).saturating_add(1))
}

fn conflict_or_unexpected(
    error: diesel::result::Error,
    id: ServiceId,
    name: &ServiceName,
) -> Error {
    let error = DbError::from(error);
    match error.unique_violation() {
        Some(constraint) if constraint.contains("name_key") => {
            Error::NameTaken(name.as_str().to_owned())
        }
        Some(_) => Error::IdTaken(id),
        None => Error::Storage(error),
    }
}
