//! Successful responses: a document plus status and headers, rendered in the format the
//! edge negotiated for the request.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, Responder};

use super::edge::negotiated_format;
use super::wire::{self, Document};
use super::{SERVICES_ROUTE, SERVICE_ROUTE};
use crate::domain::{Page, PageRequest, Service};

pub struct Reply {
    status: StatusCode,
    body: Body,
}

enum Body {
    Service(Service),
    Page {
        page: Page<Service>,
        request: PageRequest,
    },
}

impl Reply {
    pub fn ok(service: Service) -> Self {
        Self {
            status: StatusCode::OK,
            body: Body::Service(service),
        }
    }

    pub fn created(service: Service) -> Self {
        Self {
            status: StatusCode::CREATED,
            body: Body::Service(service),
        }
    }

    pub fn page(page: Page<Service>, request: PageRequest) -> Self {
        Self {
            status: StatusCode::OK,
            body: Body::Page { page, request },
        }
    }
}

impl Responder for Reply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let format = negotiated_format(request);
        let mut response = HttpResponse::build(self.status);
        response.content_type(format.media_type());
        let bytes = match &self.body {
            Body::Service(service) => {
                if self.status == StatusCode::CREATED {
                    if let Ok(location) = request.url_for(SERVICE_ROUTE, [service.id.to_string()]) {
                        response.insert_header((header::LOCATION, location.as_str()));
                    }
                }
                wire::encode(&Document::Service(service), format)
            }
            Body::Page {
                page,
                request: page_request,
            } => {
                if let Some(link) = next_page_link(request, page, page_request) {
                    response.insert_header((header::LINK, link));
                }
                wire::encode(&Document::Services(&page.items), format)
            }
        };
        response.body(bytes)
    }
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
