//! `/v3/services`: the registry's services. Every principal reads them (as on v2.0);
//! SA and SVC write them. A v3 create takes the next free id and is `public` in HP-IDM's
//! lifecycle; `enabled` is v3's own switch; `DELETE` decommissions (final), after which
//! v3 shows the service no more while HP-IDM shows it decommissioned.

use actix_web::HttpRequest;

use super::{created, one, Answer, AnyPrincipal, As, CatalogWriter, JsonBody, Links, PathId};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::decode_service;
use crate::keystone::requests::query;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::Reply;
use crate::platform::text::fold_key;
use crate::registry::domain::{ReleaseState, Service, ServiceId, ServiceUpdate};
use crate::registry::RegistryError;

/// The service in the path, unless it is none or decommissioned (404 either way).
pub(super) async fn shown(sources: &Sources, raw: &str) -> Result<Service> {
    let not_found = || KeystoneError::not_found("service", raw);
    let id = ServiceId::parse("serviceId", raw).map_err(|_| not_found())?;
    match sources.services.find(id).await {
        Ok(found) if found.release_state != ReleaseState::Decommissioned => Ok(found),
        Ok(_) | Err(RegistryError::NotFound(_)) => Err(not_found()),
        Err(other) => Err(other.into()),
    }
}

/// `GET /v3/services[?type=&name=]`, by id.
pub async fn list(sources: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let wanted_type = query(&request, "type")?;
    let wanted_name = query(&request, "name")?.map(|name| fold_key(name.trim()));
    let all = sources.services.all(None).await?;
    let shown = all
        .iter()
        .filter(|s| s.release_state != ReleaseState::Decommissioned)
        .filter(|s| {
            wanted_type
                .as_deref()
                .is_none_or(|t| s.service_type.as_str() == t)
        })
        .filter(|s| wanted_name.as_deref().is_none_or(|n| s.name.key() == n));
    Ok(links.each("services", shown, views::service))
}

/// `GET /v3/services/{id}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let found = shown(&sources, &path).await?;
    Ok(one("service", views::service(&found, links.base())))
}

/// `POST /v3/services`: 201; the name is unique case-insensitively, as in HP-IDM.
pub async fn create(sources: As<CatalogWriter>, links: Links, body: JsonBody) -> Answer {
    let fields = decode_service(&body.read("service").await?, true)?;
    let (Some(name), Some(service_type)) = (fields.name, fields.service_type) else {
        return Err(KeystoneError::invalid(
            "service.name and service.type are required",
        ));
    };
    let service = Service {
        id: ServiceId::FIRST,
        name,
        service_type,
        release_state: ReleaseState::Public,
        description: fields.description.flatten(),
        enabled: fields.enabled.unwrap_or(true),
    };
    let registered = sources.services.register_next(service).await?;
    Ok(created(
        "service",
        views::service(&registered, links.base()),
    ))
}

/// `PATCH /v3/services/{id}`: name, type, description, enabled.
pub async fn update(
    sources: As<CatalogWriter>,
    links: Links,
    service: PathId,
    body: JsonBody,
) -> Answer {
    let found = shown(&sources, &service).await?;
    let fields = decode_service(&body.read("service").await?, false)?;
    let update = ServiceUpdate {
        id: found.id,
        name: fields.name.unwrap_or(found.name),
        service_type: fields.service_type.unwrap_or(found.service_type),
        release_state: None,
        description: fields.description.unwrap_or(found.description),
        enabled: fields.enabled,
    };
    let updated = sources.services.update(update).await?;
    Ok(one("service", views::service(&updated, links.base())))
}

/// `DELETE /v3/services/{id}`: 204; the service is decommissioned, for good.
pub async fn delete(sources: As<CatalogWriter>, path: PathId) -> Result<Reply<()>> {
    let found = shown(&sources, &path).await?;
    let update = ServiceUpdate {
        id: found.id,
        name: found.name,
        service_type: found.service_type,
        release_state: Some(ReleaseState::Decommissioned),
        description: found.description,
        enabled: None,
    };
    sources.services.update(update).await?;
    Ok(Reply::no_content())
}
