//! Endpoint templates in the database: rows, their queries, and [`TemplateStore`], the
//! only way the rest of the catalog reaches them. Their tenant associations and the
//! catalog's query are in `tenants.rs`, v3's endpoints in `endpoints.rs`, regions in
//! `regions.rs`.

use diesel::prelude::*;

mod endpoints;
mod regions;
mod tenants;

pub use endpoints::{EndpointChanges, NewEndpoint};
pub use regions::{NewRegion, RegionChanges, RegionRecord};

use crate::catalog::domain::{
    EndpointUrl, Liveness, Region, Switches, TemplateFields, TemplateId, Version,
};
use crate::catalog::error::{CatalogError as Error, Result};
use crate::catalog::schema::endpoint_templates;
use crate::platform::db::{now_millis, Database, DbConnection, DbError};
use crate::platform::paging::{Page, PageSize, HP_IDM};
use crate::registry::domain::{ReleaseState, ServiceId};

/// The templates of one database, and (`tenants.rs`) their tenants. Cheap to clone.
#[derive(Clone)]
pub struct TemplateStore {
    database: Database,
}

impl TemplateStore {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// Returns once the row is committed; the id and the service's region are unique.
    pub async fn insert(
        &self,
        fields: TemplateFields,
        service: ServiceId,
        service_name: String,
        release_state: ReleaseState,
    ) -> Result<()> {
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    insert(conn, &fields, service, &service_name, release_state)
                })
            })
            .await
    }

    /// A full replacement; `release_state: None` keeps the stored one.
    pub async fn update(
        &self,
        fields: TemplateFields,
        service: ServiceId,
        service_name: String,
        release_state: Option<ReleaseState>,
    ) -> Result<()> {
        self.database
            .run_write(move |conn| update(conn, &fields, service, &service_name, release_state))
            .await
    }

    /// The template's tenant associations go with it.
    pub async fn delete(&self, id: TemplateId) -> Result<()> {
        self.database.run_write(move |conn| delete(conn, id)).await
    }

    pub async fn find(&self, id: TemplateId) -> Result<StoredTemplate> {
        self.database.run(move |conn| find(conn, id)).await
    }

    pub async fn list(&self, query: PageQuery) -> Result<Page<StoredTemplate, TemplateId>> {
        self.database.run(move |conn| list(conn, &query)).await
    }
}

/// A template as stored: its fields, its service's id and its own release state.
#[derive(Debug, Clone)]
pub struct StoredTemplate {
    pub fields: TemplateFields,
    pub service_id: ServiceId,
    pub release_state: ReleaseState,
    pub switches: Switches,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = endpoint_templates)]
struct TemplateRow {
    id: i64,
    service_id: i64,
    region: Option<String>,
    public_url: String,
    public_url2: Option<String>,
    internal_url: Option<String>,
    admin_url: Option<String>,
    is_global: i64,
    enabled: i64,
    release_state: String,
    version_id: Option<String>,
    version_info: Option<String>,
    version_list: Option<String>,
    liveness_tenant_id: Option<i64>,
    liveness_tag: Option<String>,
    liveness_min_alive: Option<i64>,
    public_enabled: i64,
    internal_enabled: i64,
    admin_enabled: i64,
}

impl TryFrom<TemplateRow> for StoredTemplate {
    type Error = Error;

    fn try_from(row: TemplateRow) -> Result<Self> {
        let corrupt = |reason: String| Error::Corrupt { id: row.id, reason };
        let liveness = match (
            row.liveness_tenant_id,
            row.liveness_tag,
            row.liveness_min_alive,
        ) {
            (Some(tenant), Some(tag), Some(min_alive)) => Some(
                Liveness::parse(
                    Some(&tenant.to_string()),
                    Some(&tag),
                    Some(&min_alive.to_string()),
                )
                .map_err(|e| corrupt(e.to_string()))?,
            ),
            (None, None, None) => None,
            _ => return Err(corrupt("a part of its liveness binding is missing".into())),
        };
        Ok(Self {
            service_id: ServiceId::from_stored(row.service_id)
                .map_err(|e| corrupt(e.to_string()))?,
            release_state: ReleaseState::parse(&row.release_state)
                .map_err(|e| corrupt(e.to_string()))?,
            switches: Switches {
                public: row.public_enabled != 0,
                internal: row.internal_enabled != 0,
                admin: row.admin_enabled != 0,
            },
            fields: TemplateFields {
                id: TemplateId::from_stored(row.id),
                region: row.region.map(Region::from_stored),
                public_url: EndpointUrl::from_stored(row.public_url),
                public_url2: row.public_url2.map(EndpointUrl::from_stored),
                internal_url: row.internal_url.map(EndpointUrl::from_stored),
                admin_url: row.admin_url.map(EndpointUrl::from_stored),
                global: row.is_global != 0,
                enabled: row.enabled != 0,
                version: Version {
                    id: row.version_id,
                    info: row.version_info,
                    list: row.version_list,
                },
                liveness,
            },
        })
    }
}

/// A full replacement of a template's fields: `None` writes NULL.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = endpoint_templates, treat_none_as_null = true)]
struct TemplateChanges<'a> {
    service_id: i64,
    region_key: &'a str,
    region: Option<&'a str>,
    public_url: &'a str,
    public_url2: Option<&'a str>,
    internal_url: Option<&'a str>,
    admin_url: Option<&'a str>,
    is_global: i64,
    enabled: i64,
    version_id: Option<&'a str>,
    version_info: Option<&'a str>,
    version_list: Option<&'a str>,
    liveness_tenant_id: Option<i64>,
    liveness_tag: Option<&'a str>,
    liveness_min_alive: Option<i64>,
    updated_at: i64,
}

fn url(url: &Option<EndpointUrl>) -> Option<&str> {
    url.as_ref().map(EndpointUrl::as_str)
}

fn changes(fields: &TemplateFields, service: ServiceId) -> TemplateChanges<'_> {
    TemplateChanges {
        service_id: service.get(),
        region_key: fields.region.as_ref().map_or("", Region::as_str),
        region: fields.region.as_ref().map(Region::as_str),
        public_url: fields.public_url.as_str(),
        public_url2: url(&fields.public_url2),
        internal_url: url(&fields.internal_url),
        admin_url: url(&fields.admin_url),
        is_global: i64::from(fields.global),
        enabled: i64::from(fields.enabled),
        version_id: fields.version.id.as_deref(),
        version_info: fields.version.info.as_deref(),
        version_list: fields.version.list.as_deref(),
        liveness_tenant_id: fields.liveness.as_ref().map(|l| l.tenant.get()),
        liveness_tag: fields.liveness.as_ref().map(|l| l.tag.as_str()),
        liveness_min_alive: fields.liveness.as_ref().map(|l| i64::from(l.min_alive)),
        updated_at: now_millis(),
    }
}

/// Which unique constraint a write broke, as the client should hear it.
fn conflict(error: DbError, fields: &TemplateFields, service_name: &str) -> Error {
    match error.unique_violation() {
        Some(constraint) if constraint.contains("region") || constraint.contains("service_id") => {
            Error::RegionTaken {
                service: service_name.to_owned(),
                region: fields
                    .region
                    .as_ref()
                    .map_or("without a region".to_owned(), |r| {
                        format!("in region '{}'", r.as_str())
                    }),
            }
        }
        Some(_) => Error::IdTaken(fields.id),
        None => Error::Storage(error),
    }
}

fn insert(
    conn: &mut DbConnection,
    fields: &TemplateFields,
    service: ServiceId,
    service_name: &str,
    release_state: ReleaseState,
) -> Result<()> {
    regions::ensure(conn, fields.region.as_ref())?;
    let row = changes(fields, service);
    diesel::insert_into(endpoint_templates::table)
        .values((
            endpoint_templates::id.eq(fields.id.get()),
            &row,
            endpoint_templates::release_state.eq(release_state.as_str()),
            endpoint_templates::created_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map_err(|e| conflict(e.into(), fields, service_name))?;
    Ok(())
}

/// A full replacement; `release_state: None` keeps the stored one.
fn update(
    conn: &mut DbConnection,
    fields: &TemplateFields,
    service: ServiceId,
    service_name: &str,
    release_state: Option<ReleaseState>,
) -> Result<()> {
    conn.transaction(|conn| {
        regions::ensure(conn, fields.region.as_ref())?;
        let template = endpoint_templates::table.find(fields.id.get());
        let updated = diesel::update(template)
            .set(&changes(fields, service))
            .execute(conn)
            .map_err(|e| conflict(e.into(), fields, service_name))?;
        if updated == 0 {
            return Err(Error::NotFound(fields.id));
        }
        if let Some(state) = release_state {
            diesel::update(template)
                .set(endpoint_templates::release_state.eq(state.as_str()))
                .execute(conn)?;
        }
        Ok(())
    })
}

fn delete(conn: &mut DbConnection, id: TemplateId) -> Result<()> {
    let deleted = diesel::delete(endpoint_templates::table.find(id.get())).execute(conn)?;
    if deleted == 0 {
        return Err(Error::NotFound(id));
    }
    Ok(())
}

fn find(conn: &mut DbConnection, id: TemplateId) -> Result<StoredTemplate> {
    endpoint_templates::table
        .find(id.get())
        .select(TemplateRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound(id))?
        .try_into()
}

/// One keyset page after `marker`, `size` long.
pub struct PageQuery {
    pub marker: Option<TemplateId>,
    pub size: PageSize,
    /// Only the templates of these services (a name filter resolved by the registry).
    pub services: Option<Vec<ServiceId>>,
    pub enabled_only: bool,
}

fn list(conn: &mut DbConnection, page: &PageQuery) -> Result<Page<StoredTemplate, TemplateId>> {
    if let Some(marker) = page.marker {
        find(conn, marker).map_err(|e| match e {
            Error::NotFound(id) => Error::MarkerNotFound(id),
            other => other,
        })?;
    }
    let mut query = endpoint_templates::table
        .select(TemplateRow::as_select())
        .order(endpoint_templates::id.asc())
        .limit(page.size.rows_to_fetch())
        .into_boxed();
    if let Some(marker) = page.marker {
        query = query.filter(endpoint_templates::id.gt(marker.get()));
    }
    if let Some(services) = &page.services {
        let ids: Vec<i64> = services.iter().map(|id| id.get()).collect();
        query = query.filter(endpoint_templates::service_id.eq_any(ids));
    }
    if page.enabled_only {
        query = query.filter(endpoint_templates::enabled.eq(1));
    }
    let rows = stored(query.load(conn)?)?;
    Ok(HP_IDM.page(rows, page.size, |template| template.fields.id))
}

fn stored(rows: Vec<TemplateRow>) -> Result<Vec<StoredTemplate>> {
    rows.into_iter().map(StoredTemplate::try_from).collect()
}
