use actix_web::http::header;
use actix_web::{web, HttpRequest};
use serde::Deserialize;

use super::{ListServices, Services, SERVICES_ROUTE};
use crate::platform::http::{HandlerResult, Reply};
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
    let link = next_page_link(&request, &page, &page_request);
    Ok(Reply::ok(ServicePage(page.items)).header(header::LINK, link))
}

/// `Link: <...?marker=N&limit=M[&serviceType=T]>; rel="next"` when more services follow,
/// so clients can page without knowing the marker rule.
fn next_page_link(
    request: &HttpRequest,
    page: &Page<Service>,
    page_request: &PageRequest,
) -> Option<String> {
    let last = page.items.last().filter(|_| page.has_more)?;
    let mut url = request.url_for_static(SERVICES_ROUTE).ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("marker", &last.id.to_string());
        query.append_pair("limit", &page_request.limit.get().to_string());
        if let Some(service_type) = &page_request.service_type {
            query.append_pair("serviceType", service_type.as_str());
        }
    }
    Some(format!("<{url}>; rel=\"next\""))
}
