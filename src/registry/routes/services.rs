//! `/services` and `/services/{serviceId}` of the HP-IDM API: list, register, get and
//! update, each guarded by its policy.

use actix_web::http::header;
use actix_web::{web, HttpRequest};

use super::{
    GetService, ListServices, Read, RegisterService, Services, UpdateService, SERVICES_ROUTE,
    SERVICE_ROUTE,
};
use crate::platform::http::{
    negotiated_format, read_document, HandlerResult, RenderedReply, Reply,
};
use crate::platform::paging::next_link;
use crate::registry::domain::{PageRequest, ServiceId};
use crate::registry::requests::{decode_service, page_request, DOCUMENT};
use crate::registry::views::{ServicePage, ServiceView};
use crate::registry::RegistryError;

/// `GET /services?limit=&marker=&serviceType=`
pub async fn list_services(
    services: Services<ListServices>,
    request: HttpRequest,
) -> HandlerResult<RenderedReply<Option<ServiceId>>> {
    let page_request = page_request(request.query_string())?;
    let store = services.store();
    let load = || async {
        let page = store.list(page_request.clone()).await?;
        Ok::<_, RegistryError>((ServicePage(page.items), page.next))
    };
    let rendered = services
        .rendered()
        .get_or_render(
            Read::Page(page_request.clone()),
            negotiated_format(&request),
            load,
        )
        .await?;
    let link = rendered
        .meta
        .and_then(|last| next_page(&request, last, &page_request));
    Ok(RenderedReply::ok(rendered).header(header::LINK, link))
}

/// `Link: <...?marker=N&limit=M[&serviceType=T]>; rel="next"` when more services follow
/// the page that ends with `last`.
fn next_page(request: &HttpRequest, last: ServiceId, page_request: &PageRequest) -> Option<String> {
    let (marker, limit) = (last.to_string(), page_request.size.get().to_string());
    let mut query = vec![("marker", marker.as_str()), ("limit", limit.as_str())];
    if let Some(service_type) = &page_request.service_type {
        query.push(("serviceType", service_type.as_str()));
    }
    next_link(request, SERVICES_ROUTE, &query)
}

/// `POST /services`: 201 once the row is committed.
pub async fn register_service(
    services: Services<RegisterService>,
    request: HttpRequest,
    payload: web::Payload,
) -> HandlerResult<Reply<ServiceView>> {
    let document = read_document(&request, payload, DOCUMENT).await?;
    let service = decode_service(&document)?.into_new_service()?;
    let stored = services.store().register(service).await?;
    let location = request
        .url_for(SERVICE_ROUTE, [stored.id.to_string()])
        .ok()
        .map(String::from);
    Ok(Reply::created(ServiceView(stored)).header(header::LOCATION, location))
}

/// `GET /services/{serviceId}`
pub async fn get_service(
    services: Services<GetService>,
    path: web::Path<String>,
    request: HttpRequest,
) -> HandlerResult<RenderedReply<Option<ServiceId>>> {
    let id = ServiceId::parse("serviceId", &path)?;
    let store = services.store();
    let rendered = services
        .rendered()
        .get_or_render(Read::One(id), negotiated_format(&request), || async {
            Ok::<_, RegistryError>((ServiceView(store.find(id).await?), None))
        })
        .await?;
    Ok(RenderedReply::ok(rendered))
}

/// `PUT /services/{serviceId}`: full replacement; the path id is authoritative.
pub async fn update_service(
    services: Services<UpdateService>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<ServiceView>> {
    let id = ServiceId::parse("serviceId", &path)?;
    let document = read_document(&request, payload, DOCUMENT).await?;
    let update = decode_service(&document)?.into_update(id)?;
    let stored = services.store().update(update).await?;
    Ok(Reply::ok(ServiceView(stored)))
}
