//! Successful responses: a representation plus status and headers, written in the format
//! the edge negotiated for the request.

use actix_web::http::header::HeaderName;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};

use super::edge::negotiated_format;
use super::representation::{encode, Representation};

pub struct Reply<T> {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    body: T,
}

impl<T: Representation> Reply<T> {
    pub fn ok(body: T) -> Self {
        Self::with_status(StatusCode::OK, body)
    }

    pub fn created(body: T) -> Self {
        Self::with_status(StatusCode::CREATED, body)
    }

    fn with_status(status: StatusCode, body: T) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// Adds a header (`Location`, `Link`); `None` adds nothing.
    pub fn header(mut self, name: HeaderName, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.headers.push((name, value));
        }
        self
    }
}

impl<T: Representation> Responder for Reply<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let format = negotiated_format(request);
        let mut response = HttpResponse::build(self.status);
        response.content_type(format.media_type());
        for header in self.headers {
            response.insert_header(header);
        }
        response.body(encode(&self.body, format))
    }
}

/// `scheme://host:port` + `path`, from what the client used to reach us.
pub fn absolute_url(request: &HttpRequest, path: &str) -> String {
    let info = request.connection_info();
    format!("{}://{}{path}", info.scheme(), info.host())
}
