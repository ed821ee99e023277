use actix_web::http::header;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{ListServices, Services, SERVICES_ROUTE};
use crate::platform::http::{next_page_link, HandlerResult, Reply};
use crate::registry::domain::{Page, PageRequest, Service};
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
) -> HandlerResult<Reply<ServicePage>> {
    let params = web::Query::<ListParams>::from_query(request.query_string())
        .map_err(|e| RegistryError::invalid(format!("malformed query string: {e}")))?;
    let page_request = PageRequest::parse(
        params.limit.as_deref(),
        params.marker.as_deref(),
        params.service_type.as_deref(),
    )?;
    let page = services.list(page_request.clone()).await?;
    let link = next_page(&request, &page, &page_request);
    Ok(Reply::ok(ServicePage(page.items)).header(header::LINK, link))
}

/// `Link: <...?marker=N&limit=M[&serviceType=T]>; rel="next"` when more services follow.
fn next_page(
    request: &HttpRequest,
    page: &Page<Service>,
    page_request: &PageRequest,
) -> Option<String> {
    let last = page.items.last().filter(|_| page.has_more)?;
    let (marker, limit) = (last.id.to_string(), page_request.limit.get().to_string());
    let mut query = vec![("marker", marker.as_str()), ("limit", limit.as_str())];
    if let Some(service_type) = &page_request.service_type {
        query.push(("serviceType", service_type.as_str()));
    }
    next_page_link(request, SERVICES_ROUTE, &query)
}
