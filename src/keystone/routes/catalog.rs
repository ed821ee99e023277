//! `/v3/services`, `/v3/endpoints` and `/v3/regions`: the registry's services and the
//! catalog's endpoint templates as v3's admin commands read them. Every principal may
//! read them, as on v2.0 (`GET /services` and the templates are open to every level).
//! An id that cannot be one of ours is simply not found, as Keystone answers.

use actix_web::{web, HttpRequest};

use super::{listed, one, AnyPrincipal};
use crate::catalog::domain::TemplateId;
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::requests::query;
use crate::keystone::views::{self, EndpointJson};
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};
use crate::platform::text::fold_key;
use crate::registry::domain::ServiceId;

/// `GET /v3/services[?type=&name=]`, by id.
pub async fn services(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let wanted_type = query(&request, "type")?;
    let wanted_name = query(&request, "name")?.map(|name| fold_key(name.trim()));
    let all = sources
        .services
        .all(None)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    let items = all
        .iter()
        .filter(|s| {
            wanted_type
                .as_deref()
                .is_none_or(|t| s.service_type.as_str() == t)
        })
        .filter(|s| wanted_name.as_deref().is_none_or(|n| s.name.key() == n))
        .map(|s| views::service(s, &base))
        .collect();
    Ok(listed(&request, "services", items))
}

/// `GET /v3/services/{id}`.
pub async fn service(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let raw = path.into_inner();
    let not_found = || KeystoneError::not_found("service", &raw);
    let id = ServiceId::parse("serviceId", &raw).map_err(|_| not_found())?;
    let found = match sources.services.find(id).await {
        Ok(found) => found,
        Err(crate::registry::RegistryError::NotFound(_)) => return Err(not_found().into()),
        Err(other) => return Err(KeystoneError::from(other).into()),
    };
    let base = absolute_url(&request, "");
    Ok(one("service", views::service(&found, &base)))
}

/// Every endpoint: one per template and interface.
async fn all_endpoints(sources: &Sources, base: &str) -> Result<Vec<EndpointJson>> {
    let templates = sources.catalog.all_templates().await?;
    Ok(templates
        .iter()
        .flat_map(|template| views::endpoints_of(template, base))
        .collect())
}

/// `GET /v3/endpoints[?service_id=&interface=&region_id=]` (`region` is read as
/// `region_id`, as older clients send it).
pub async fn endpoints(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let service_id = query(&request, "service_id")?;
    let interface = query(&request, "interface")?;
    let region = match query(&request, "region_id")? {
        Some(region) => Some(region),
        None => query(&request, "region")?,
    };
    let base = absolute_url(&request, "");
    let items = all_endpoints(&sources, &base)
        .await?
        .into_iter()
        .filter(|e| service_id.as_deref().is_none_or(|id| e.service_id == id))
        .filter(|e| interface.as_deref().is_none_or(|i| e.interface == i))
        .filter(|e| {
            region
                .as_deref()
                .is_none_or(|r| e.region_id.as_deref() == Some(r))
        })
        .collect();
    Ok(listed(&request, "endpoints", items))
}

/// `GET /v3/endpoints/{template}-{interface}`.
pub async fn endpoint(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let raw = path.into_inner();
    let not_found = || KeystoneError::not_found("endpoint", &raw);
    let template = raw
        .split_once('-')
        .and_then(|(template, _)| TemplateId::parse("endpointId", template).ok())
        .ok_or_else(not_found)?;
    let found = match sources.catalog.get(template).await {
        Ok(found) => found,
        Err(crate::catalog::CatalogError::NotFound(_)) => return Err(not_found().into()),
        Err(other) => return Err(KeystoneError::from(other).into()),
    };
    let base = absolute_url(&request, "");
    let endpoint = views::endpoints_of(&found, &base)
        .into_iter()
        .find(|endpoint| endpoint.id == raw)
        .ok_or_else(not_found)?;
    Ok(one("endpoint", endpoint))
}

/// Every region a template names, sorted.
async fn region_ids(sources: &Sources) -> Result<Vec<String>> {
    let templates = sources.catalog.all_templates().await?;
    let mut ids: Vec<String> = templates
        .iter()
        .filter_map(|template| template.fields.region.as_ref())
        .map(|region| region.as_str().to_owned())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// `GET /v3/regions/{id}`: a region some template names.
pub async fn region(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let wanted = path.into_inner();
    if !region_ids(&sources).await?.contains(&wanted) {
        return Err(KeystoneError::not_found("region", wanted).into());
    }
    let base = absolute_url(&request, "");
    Ok(one("region", views::region(&wanted, &base)))
}

/// `GET /v3/regions`: every region a template names, sorted.
pub async fn regions(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let ids = region_ids(&sources).await?;
    let base = absolute_url(&request, "");
    Ok(listed(
        &request,
        "regions",
        ids.iter().map(|id| views::region(id, &base)).collect(),
    ))
}
