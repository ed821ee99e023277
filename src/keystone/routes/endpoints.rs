//! `/v3/endpoints`: one per template and interface (`{template}-{interface}`). Every
//! principal reads them; SA and SVC write them. A service's first endpoint in a region
//! is its public one (it creates the template, global); internal and admin fill the
//! template's other URLs; a second endpoint for one service, region and interface is a
//! 409. `region_id` must name a region; the legacy `region` creates it if need be.

use actix_web::HttpRequest;

use super::{created, one, Answer, AnyPrincipal, As, CatalogWriter, JsonBody, Links, PathId};
use crate::catalog::domain::{EndpointTemplate, Interface, TemplateId};
use crate::catalog::{CatalogError, EndpointChanges};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::decode_endpoint;
use crate::keystone::requests::query;
use crate::keystone::views::{self, EndpointJson};
use crate::keystone::Sources;
use crate::platform::http::Reply;
use crate::registry::domain::ServiceId;

/// Every endpoint: one per template and interface.
async fn all_endpoints(sources: &Sources, base: &str) -> Result<Vec<EndpointJson>> {
    let templates = sources.catalog.all_templates().await?;
    Ok(templates
        .iter()
        .flat_map(|template| views::endpoints_of(template, base))
        .collect())
}

/// The template and interface an endpoint id names, if both exist.
async fn located(sources: &Sources, raw: &str) -> Result<(EndpointTemplate, Interface)> {
    let not_found = || KeystoneError::not_found("endpoint", raw);
    let (template, interface) = raw.split_once('-').ok_or_else(not_found)?;
    let template = TemplateId::parse("endpointId", template).map_err(|_| not_found())?;
    let interface = Interface::parse(interface).map_err(|_| not_found())?;
    let found = match sources.catalog.get(template).await {
        Ok(found) => found,
        Err(CatalogError::NotFound(_)) => return Err(not_found()),
        Err(other) => return Err(other.into()),
    };
    if found.url(interface).is_none() {
        return Err(not_found());
    }
    Ok((found, interface))
}

fn view_of(template: &EndpointTemplate, interface: Interface, base: &str) -> Result<EndpointJson> {
    let id = views::endpoint_id(template, interface);
    views::endpoints_of(template, base)
        .into_iter()
        .find(|endpoint| endpoint.id == id)
        .ok_or_else(|| KeystoneError::not_found("endpoint", id))
}

/// `GET /v3/endpoints[?service_id=&interface=&region_id=]` (`region` is read as
/// `region_id`, as older clients send it).
pub async fn list(sources: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let service_id = query(&request, "service_id")?;
    let interface = query(&request, "interface")?;
    let region = match query(&request, "region_id")? {
        Some(region) => Some(region),
        None => query(&request, "region")?,
    };
    let items = all_endpoints(&sources, links.base())
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
    Ok(links.listed("endpoints", items))
}

/// `GET /v3/endpoints/{template}-{interface}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let (template, interface) = located(&sources, &path).await?;
    Ok(one(
        "endpoint",
        view_of(&template, interface, links.base())?,
    ))
}

/// `POST /v3/endpoints`: 201.
pub async fn create(sources: As<CatalogWriter>, links: Links, body: JsonBody) -> Answer {
    let fields = decode_endpoint(&body.read("endpoint").await?)?;
    let (Some(service_id), Some(interface), Some(url)) =
        (fields.service_id, fields.interface, fields.url)
    else {
        return Err(KeystoneError::invalid(
            "endpoint.service_id, endpoint.interface and endpoint.url are required",
        ));
    };
    let service = ServiceId::parse("service_id", &service_id)
        .map_err(|_| KeystoneError::invalid(format!("service_id {service_id} names no service")))?;
    if let (Some(region), true) = (&fields.region, fields.legacy_region) {
        sources.catalog.ensure_region(region.clone()).await?;
    }
    let template = sources
        .catalog
        .create_endpoint(
            service,
            fields.region,
            interface,
            url,
            fields.enabled.unwrap_or(true),
        )
        .await?;
    Ok(created(
        "endpoint",
        view_of(&template, interface, links.base())?,
    ))
}

/// `PATCH /v3/endpoints/{id}`: its `url` and `enabled`. Its service, region and
/// interface are where it lives (a template's column): naming others is a 400.
pub async fn update(
    sources: As<CatalogWriter>,
    links: Links,
    endpoint: PathId,
    body: JsonBody,
) -> Answer {
    let (template, interface) = located(&sources, &endpoint).await?;
    let fields = decode_endpoint(&body.read("endpoint").await?)?;
    let moved = fields
        .service_id
        .is_some_and(|id| id != template.service_id.to_string())
        || fields.interface.is_some_and(|i| i != interface)
        || fields
            .region
            .is_some_and(|r| Some(&r) != template.fields.region.as_ref());
    if moved {
        return Err(KeystoneError::invalid(
            "an endpoint's service, region and interface are fixed: create the endpoint \
             where it belongs and delete this one",
        ));
    }
    let changes = EndpointChanges {
        url: fields.url,
        enabled: fields.enabled,
    };
    let updated = sources
        .catalog
        .set_endpoint(template.fields.id, interface, changes)
        .await?;
    Ok(one("endpoint", view_of(&updated, interface, links.base())?))
}

/// `DELETE /v3/endpoints/{id}`: 204. A template's public endpoint goes last, with it.
pub async fn delete(sources: As<CatalogWriter>, path: PathId) -> Result<Reply<()>> {
    let (template, interface) = located(&sources, &path).await?;
    sources
        .catalog
        .delete_endpoint(template.fields.id, interface)
        .await?;
    Ok(Reply::no_content())
}
