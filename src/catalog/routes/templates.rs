use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{
    ReadTemplates, Templates, WriteTemplates, ENABLED_ROUTE, TEMPLATES_ROUTE, TEMPLATE_ROUTE,
};
use crate::catalog::domain::TemplateId;
use crate::catalog::requests::{decode_template, template_listing, TemplateListing, DOCUMENT};
use crate::catalog::views::{TemplatePage, TemplateView};
use crate::platform::http::{read_document, HandlerResult, Reply};
use crate::platform::paging::next_link;

/// `POST /endpointTemplates`: 201 with `Location` once committed.
pub async fn add(
    catalog: Templates<WriteTemplates>,
    request: HttpRequest,
    payload: web::Payload,
) -> HandlerResult<Reply<TemplateView>> {
    let document = read_document(&request, payload, DOCUMENT).await?;
    let template = decode_template(&document)?.parse(None)?;
    let stored = catalog.add(template).await?;
    let location = request
        .url_for(TEMPLATE_ROUTE, [stored.fields.id.to_string()])
        .ok()
        .map(String::from);
    Ok(Reply::created(TemplateView(stored)).header(header::LOCATION, location))
}

/// `GET /endpointTemplates/{templateId}`.
pub async fn get(
    catalog: Templates<ReadTemplates>,
    path: web::Path<String>,
) -> HandlerResult<Reply<TemplateView>> {
    let id = TemplateId::parse("templateId", &path)?;
    Ok(Reply::ok(TemplateView(catalog.get(id).await?)))
}

/// `PUT /endpointTemplates/{templateId}`: a full replacement; an omitted `releaseState`
/// keeps the stored one.
pub async fn update(
    catalog: Templates<WriteTemplates>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<TemplateView>> {
    let id = TemplateId::parse("templateId", &path)?;
    let document = read_document(&request, payload, DOCUMENT).await?;
    let template = decode_template(&document)?.parse(Some(id))?;
    Ok(Reply::ok(TemplateView(catalog.replace(template).await?)))
}

/// `DELETE /endpointTemplates/{templateId}`: 204; its tenant associations go with it.
pub async fn delete(
    catalog: Templates<WriteTemplates>,
    path: web::Path<String>,
) -> HandlerResult<HttpResponse> {
    let id = TemplateId::parse("templateId", &path)?;
    catalog.remove(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /endpointTemplates?serviceName=&limit=&marker=`.
pub async fn list(
    catalog: Templates<ReadTemplates>,
    request: HttpRequest,
) -> HandlerResult<Reply<TemplatePage>> {
    page(&catalog, &request, false).await
}

/// `GET /endpointTemplates/enabled?...`: the enabled ones only.
pub async fn list_enabled(
    catalog: Templates<ReadTemplates>,
    request: HttpRequest,
) -> HandlerResult<Reply<TemplatePage>> {
    page(&catalog, &request, true).await
}

async fn page(
    catalog: &crate::catalog::Catalog,
    request: &HttpRequest,
    enabled_only: bool,
) -> HandlerResult<Reply<TemplatePage>> {
    let TemplateListing {
        size,
        marker,
        service_name,
    } = template_listing(request.query_string())?;
    let page = catalog
        .page(marker, size, service_name.clone(), enabled_only)
        .await?;
    let link = page.next.and_then(|last| {
        let route = if enabled_only {
            ENABLED_ROUTE
        } else {
            TEMPLATES_ROUTE
        };
        let (marker, limit) = (last.to_string(), size.get().to_string());
        let mut query = vec![("marker", marker.as_str()), ("limit", limit.as_str())];
        if let Some(name) = &service_name {
            query.push(("serviceName", name.as_str()));
        }
        next_link(request, route, &query)
    });
    Ok(Reply::ok(TemplatePage(page.items)).header(header::LINK, link))
}
