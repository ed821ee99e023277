//! `/v3/regions`: every region a template names, and those created here. Every
//! principal reads them; SA and SVC write them. A region with endpoints or child
//! regions is not deleted (409).

use actix_web::HttpRequest;

use super::{created, one, Answer, AnyPrincipal, As, CatalogWriter, JsonBody, Links, PathId};
use crate::catalog::domain::Region;
use crate::catalog::{CatalogError, NewRegion};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::{decode_region, RegionFields};
use crate::keystone::requests::query;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::Reply;

/// A region id from the path: one that cannot be a region's is not found.
fn region_id(raw: &str) -> Result<Region> {
    Region::parse(raw).map_err(|_| KeystoneError::not_found("region", raw))
}

/// Keystone's 404 for a region that is none.
fn found<T>(result: Result<T, CatalogError>) -> Result<T> {
    result.map_err(|error| match error {
        CatalogError::NoSuchRegion(id) => KeystoneError::not_found("region", id),
        other => other.into(),
    })
}

/// `GET /v3/regions[?parent_region_id=]`, by id.
pub async fn list(sources: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let parent = query(&request, "parent_region_id")?
        .map(|parent| Region::parse(&parent))
        .transpose()?;
    let regions = sources.catalog.regions(parent).await?;
    Ok(links.each("regions", &regions, views::region))
}

/// `GET /v3/regions/{id}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let region = found(sources.catalog.region(region_id(&path)?).await)?;
    Ok(one("region", views::region(&region, links.base())))
}

/// `POST /v3/regions`: 201; without an id, a random one (as Keystone).
pub async fn create(sources: As<CatalogWriter>, links: Links, body: JsonBody) -> Answer {
    let fields = decode_region(&body.read("region").await?)?;
    let id = match &fields.id {
        Some(id) => id.clone(),
        None => Region::parse(&uuid::Uuid::new_v4().simple().to_string())?,
    };
    store(&sources, &links, id, fields).await
}

/// `PUT /v3/regions/{id}`: 201, a region with the path's id (a body id must match).
pub async fn put(sources: As<CatalogWriter>, links: Links, path: PathId, body: JsonBody) -> Answer {
    let id = Region::parse(&path)?;
    let fields = decode_region(&body.read("region").await?)?;
    if fields.id.as_ref().is_some_and(|body_id| *body_id != id) {
        return Err(KeystoneError::invalid(
            "the body's region id is not the path's",
        ));
    }
    store(&sources, &links, id, fields).await
}

/// Creates region `id` as `fields` describe it (their id is checked already).
async fn store(sources: &Sources, links: &Links, id: Region, fields: RegionFields) -> Answer {
    let new = NewRegion {
        id,
        description: fields.description.unwrap_or_default(),
        parent: fields.parent.flatten(),
    };
    let region = sources.catalog.create_region(new).await?;
    Ok(created("region", views::region(&region, links.base())))
}

/// `PATCH /v3/regions/{id}`: description and parent (no cycles).
pub async fn update(
    sources: As<CatalogWriter>,
    links: Links,
    region: PathId,
    body: JsonBody,
) -> Answer {
    let id = region_id(&region)?;
    let fields = decode_region(&body.read("region").await?)?;
    if fields.id.as_ref().is_some_and(|body_id| *body_id != id) {
        return Err(KeystoneError::invalid("a region's id does not change"));
    }
    let region = found(sources.catalog.update_region(id, fields.changes()).await)?;
    Ok(one("region", views::region(&region, links.base())))
}

/// `DELETE /v3/regions/{id}`: 204.
pub async fn delete(sources: As<CatalogWriter>, path: PathId) -> Result<Reply<()>> {
    found(sources.catalog.delete_region(region_id(&path)?).await)?;
    Ok(Reply::no_content())
}
