use actix_web::http::header;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{ListServices, Read, Services, SERVICES_ROUTE};
use crate::platform::http::{negotiated_format, HandlerResult, RenderedReply};
use crate::platform::paging::next_link;
use crate::registry::domain::{PageRequest, ServiceId};
use crate::registry::views::ServicePage;
use crate::registry::RegistryError;

#[derive(Deserialize)]
struct ListParams {
    limit: Option<String>,
    marker: Option<String>,
    #[serde(rename = "serviceType")]
    service_type: Option<String>,
}

/// `GET /services?limit=&marker=&serviceType=`
pub async fn list_services(
    services: Services<ListServices>,
    request: HttpRequest,
) -> HandlerResult<RenderedReply<Option<ServiceId>>> {
    let params = web::Query::<ListParams>::from_query(request.query_string())
        .map_err(|e| RegistryError::invalid(format!("malformed query string: {e}")))?;
    let page_request = PageRequest::parse(
        params.limit.as_deref(),
        params.marker.as_deref(),
        params.service_type.as_deref(),
    )?;
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
