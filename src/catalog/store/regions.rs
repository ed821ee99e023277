//! Regions: every region a template names exists here (templates written through HP-IDM
//! create theirs, as Keystone's legacy `region` attribute does); Keystone v3 creates,
//! changes and deletes them.

use diesel::prelude::*;

use super::TemplateStore;
use crate::catalog::domain::Region;
use crate::catalog::error::{CatalogError as Error, Result};
use crate::catalog::schema::{endpoint_templates, regions};
use crate::platform::db::{DbConnection, DbError};

/// A region as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = regions)]
pub struct RegionRecord {
    pub id: String,
    pub description: String,
    #[diesel(column_name = parent_region_id)]
    pub parent: Option<String>,
}

/// A region to create; its parent, if any, must exist.
#[derive(Debug, Clone)]
pub struct NewRegion {
    pub id: Region,
    pub description: String,
    pub parent: Option<Region>,
}

/// A PATCH: `None` leaves a field as it is; `parent: Some(None)` makes it a top region.
#[derive(Debug, Clone, Default)]
pub struct RegionChanges {
    pub description: Option<String>,
    pub parent: Option<Option<Region>>,
}

impl TemplateStore {
    /// Every region (or the children of `parent`), by id.
    pub async fn regions(&self, parent: Option<Region>) -> Result<Vec<RegionRecord>> {
        self.database
            .run(move |conn| {
                let mut query = regions::table
                    .select(RegionRecord::as_select())
                    .order(regions::id.asc())
                    .into_boxed();
                if let Some(parent) = parent {
                    query = query.filter(regions::parent_region_id.eq(parent.as_str().to_owned()));
                }
                Ok(query.load(conn)?)
            })
            .await
    }

    pub async fn region(&self, id: Region) -> Result<RegionRecord> {
        self.database.run(move |conn| find(conn, &id)).await
    }

    /// The id and the parent's existence are decided in one transaction; the primary key
    /// decides a race between two creates of one id.
    pub async fn create_region(&self, new: NewRegion) -> Result<RegionRecord> {
        let NewRegion {
            id,
            description,
            parent,
        } = new;
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    if let Some(parent) = &parent {
                        find(conn, parent).map_err(|_| unknown_parent(parent))?;
                    }
                    diesel::insert_into(regions::table)
                        .values((
                            regions::id.eq(id.as_str()),
                            regions::description.eq(&description),
                            regions::parent_region_id.eq(parent.as_ref().map(Region::as_str)),
                        ))
                        .execute(conn)
                        .map_err(|e| match DbError::from(e) {
                            e if e.unique_violation().is_some() => {
                                Error::RegionExists(id.as_str().to_owned())
                            }
                            e => Error::Storage(e),
                        })?;
                    find(conn, &id)
                })
            })
            .await
    }

    /// A parent must exist and may not be the region itself or one of its descendants.
    pub async fn update_region(&self, id: Region, changes: RegionChanges) -> Result<RegionRecord> {
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    find(conn, &id)?;
                    if let Some(description) = &changes.description {
                        diesel::update(regions::table.find(id.as_str()))
                            .set(regions::description.eq(description))
                            .execute(conn)?;
                    }
                    if let Some(parent) = &changes.parent {
                        if let Some(parent) = parent {
                            check_ancestry(conn, &id, parent)?;
                        }
                        diesel::update(regions::table.find(id.as_str()))
                            .set(regions::parent_region_id.eq(parent.as_ref().map(Region::as_str)))
                            .execute(conn)?;
                    }
                    find(conn, &id)
                })
            })
            .await
    }

    pub async fn ensure_region(&self, id: Region) -> Result<()> {
        self.database
            .run_write(move |conn| ensure(conn, Some(&id)))
            .await
    }

    /// Refused while an endpoint or another region refers to it.
    pub async fn delete_region(&self, id: Region) -> Result<()> {
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    find(conn, &id)?;
                    let endpoints: i64 = endpoint_templates::table
                        .filter(endpoint_templates::region.eq(id.as_str()))
                        .count()
                        .get_result(conn)?;
                    let children: i64 = regions::table
                        .filter(regions::parent_region_id.eq(id.as_str()))
                        .count()
                        .get_result(conn)?;
                    let referred = [(endpoints, "endpoints"), (children, "child regions")];
                    if let Some((_, by)) = referred.into_iter().find(|(count, _)| *count > 0) {
                        let region = id.as_str().to_owned();
                        return Err(Error::RegionInUse { region, by });
                    }
                    diesel::delete(regions::table.find(id.as_str())).execute(conn)?;
                    Ok(())
                })
            })
            .await
    }
}

fn find(conn: &mut DbConnection, id: &Region) -> Result<RegionRecord> {
    regions::table
        .find(id.as_str())
        .select(RegionRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NoSuchRegion(id.as_str().to_owned()))
}

fn unknown_parent(parent: &Region) -> Error {
    Error::invalid(format!(
        "parent region '{}' does not exist",
        parent.as_str()
    ))
}

/// Walks up from `parent`: meeting `region` on the way would make a cycle.
fn check_ancestry(conn: &mut DbConnection, region: &Region, parent: &Region) -> Result<()> {
    let mut next = Some(find(conn, parent).map_err(|_| unknown_parent(parent))?);
    while let Some(ancestor) = next {
        if ancestor.id == region.as_str() {
            return Err(Error::invalid(format!(
                "region '{}' cannot have '{}' as parent: that would make a cycle",
                region.as_str(),
                parent.as_str()
            )));
        }
        next = match ancestor.parent {
            Some(up) => Some(find(conn, &Region::from_stored(up))?),
            None => None,
        };
    }
    Ok(())
}

/// The region a template names exists afterwards (in the template's transaction).
pub(super) fn ensure(conn: &mut DbConnection, region: Option<&Region>) -> Result<()> {
    let Some(region) = region else {
        return Ok(());
    };
    diesel::sql_query("INSERT INTO regions (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")
        .bind::<diesel::sql_types::Text, _>(region.as_str())
        .execute(conn)?;
    Ok(())
}

/// Whether a region exists, inside a write's transaction.
pub(super) fn exists(conn: &mut DbConnection, region: &Region) -> Result<bool> {
    match find(conn, region) {
        Ok(_) => Ok(true),
        Err(Error::NoSuchRegion(_)) => Ok(false),
        Err(other) => Err(other),
    }
}
