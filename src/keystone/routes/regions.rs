//! `/v3/regions`: every region a template names, and those created here. Every
//! principal reads them; SA and SVC write them. A region with endpoints or child
//! regions is not deleted (409).

use actix_web::{web, HttpRequest};

use super::{created, json_body, one, AnyPrincipal, As, CatalogWriter, Links, PathId};
use crate::catalog::domain::Region;
use crate::catalog::{CatalogError, NewRegion};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::{decode_region, RegionFields};
use crate::keystone::requests::query;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{Json, Reply};

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
pub async fn list(
    sources: As<AnyPrincipal>,
    request: HttpRequest,
    links: Links,
) -> Result<Reply<Json>> {
    let parent = query(&request, "parent_region_id")?
        .map(|parent| Region::parse(&parent))
        .transpose()?;
    let regions = sources.catalog.regions(parent).await?;
    let items = regions
        .iter()
        .map(|r| views::region(r, links.base()))
        .collect();
    Ok(links.listed("regions", items))
}

/// `GET /v3/regions/{id}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Result<Reply<Json>> {
    let region = found(sources.catalog.region(region_id(&path)?).await)?;
    Ok(one("region", views::region(&region, links.base())))
}

/// `POST /v3/regions`: 201; without an id, a random one (as Keystone).
pub async fn create(
    sources: As<CatalogWriter>,
    request: HttpRequest,
    links: Links,
    payload: web::Payload,
) -> Result<Reply<Json>> {
    let fields = decode_region(&json_body(&request, payload, "region").await?)?;
    let id = match &fields.id {
        Some(id) => id.clone(),
        None => Region::parse(&uuid::Uuid::new_v4().simple().to_string())?,
    };
    store(&sources, &links, id, fields).await
}

/// `PUT /v3/regions/{id}`: 201, a region with the path's id (a body id must match).
pub async fn put(
    sources: As<CatalogWriter>,
    request: HttpRequest,
    links: Links,
    path: PathId,
    payload: web::Payload,
) -> Result<Reply<Json>> {
    let id = Region::parse(&path)?;
    let fields = decode_region(&json_body(&request, payload, "region").await?)?;
    if fields.id.as_ref().is_some_and(|body_id| *body_id != id) {
        return Err(KeystoneError::invalid(
            "the body's region id is not the path's",
        ));
    }
    store(&sources, &links, id, fields).await
}

/// Creates region `id` as `fields` describe it (their id is checked already).
async fn store(
    sources: &Sources,
    links: &Links,
    id: Region,
    fields: RegionFields,
) -> Result<Reply<Json>> {
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
    request: HttpRequest,
    links: Links,
    path: PathId,
    payload: web::Payload,
) -> Result<Reply<Json>> {
    let id = region_id(&path)?;
    let body = json_body(&request, payload, "region").await?;
    let fields = decode_region(&body)?;
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
