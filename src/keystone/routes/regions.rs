//! `/v3/regions`: every region a template names, and those created here. Every
//! principal reads them; SA and SVC write them. A region with endpoints or child
//! regions is not deleted (409).

use actix_web::{web, HttpRequest};

use super::{created, json_body, listed, one, AnyPrincipal, CatalogWriter};
use crate::catalog::domain::Region;
use crate::catalog::CatalogError;
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::requests::admin::decode_region;
use crate::keystone::requests::query;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};

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
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let parent = query(&request, "parent_region_id")?
        .map(|parent| Region::parse(&parent))
        .transpose()
        .map_err(KeystoneError::from)?;
    let regions = sources
        .catalog
        .regions(parent)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    let items = regions.iter().map(|r| views::region(r, &base)).collect();
    Ok(listed(&request, "regions", items))
}

/// `GET /v3/regions/{id}`.
pub async fn get(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let region = found(sources.catalog.region(region_id(&path)?).await)?;
    let base = absolute_url(&request, "");
    Ok(one("region", views::region(&region, &base)))
}

/// `POST /v3/regions`: 201; without an id, a random one (as Keystone).
pub async fn create(
    sources: V3<CatalogWriter, Sources>,
    request: HttpRequest,
    payload: web::Payload,
) -> HandlerResult<Reply<Json>> {
    let body = json_body(&request, payload, "region").await?;
    let fields = decode_region(&body)?;
    let id = match fields.id {
        Some(id) => id,
        None => Region::parse(&uuid::Uuid::new_v4().simple().to_string())
            .map_err(KeystoneError::from)?,
    };
    store(
        &sources,
        &request,
        id,
        fields.description,
        fields.parent.flatten(),
    )
    .await
}

/// `PUT /v3/regions/{id}`: 201, a region with the path's id (a body id must match).
pub async fn put(
    sources: V3<CatalogWriter, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<Json>> {
    let id = Region::parse(&path).map_err(KeystoneError::from)?;
    let body = json_body(&request, payload, "region").await?;
    let fields = decode_region(&body)?;
    if fields.id.as_ref().is_some_and(|body_id| *body_id != id) {
        return Err(KeystoneError::invalid("the body's region id is not the path's").into());
    }
    store(
        &sources,
        &request,
        id,
        fields.description,
        fields.parent.flatten(),
    )
    .await
}

async fn store(
    sources: &Sources,
    request: &HttpRequest,
    id: Region,
    description: Option<String>,
    parent: Option<Region>,
) -> HandlerResult<Reply<Json>> {
    let region = sources
        .catalog
        .create_region(id, description.unwrap_or_default(), parent)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(request, "");
    Ok(created("region", views::region(&region, &base)))
}

/// `PATCH /v3/regions/{id}`: description and parent (no cycles).
pub async fn update(
    sources: V3<CatalogWriter, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<Json>> {
    let id = region_id(&path)?;
    let body = json_body(&request, payload, "region").await?;
    let fields = decode_region(&body)?;
    if fields.id.as_ref().is_some_and(|body_id| *body_id != id) {
        return Err(KeystoneError::invalid("a region's id does not change").into());
    }
    let region = found(sources.catalog.update_region(id, fields.changes()).await)?;
    let base = absolute_url(&request, "");
    Ok(one("region", views::region(&region, &base)))
}

/// `DELETE /v3/regions/{id}`: 204.
pub async fn delete(
    sources: V3<CatalogWriter, Sources>,
    path: web::Path<String>,
) -> HandlerResult<Reply<()>> {
    found(sources.catalog.delete_region(region_id(&path)?).await)?;
    Ok(Reply::no_content())
}
