//! Successful responses: a body plus status and headers, written in the format the edge
//! negotiated for the request, with the media type of the path's dialect.

use actix_web::http::header::HeaderName;
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, Responder};
use serde::Serialize;

use super::edge::negotiated_format;
use super::fault_document::Dialect;
use super::negotiation::Format;
use super::representation::{encode, Representation};

/// What a reply carries: a representation written in the negotiated format, JSON already
/// written (for a dialect that speaks only JSON), or nothing.
pub trait Body {
    /// The bytes and the format they are in, given the negotiated format; `None`: no body.
    fn into_bytes(self, negotiated: Format) -> Option<(Vec<u8>, Format)>;
}

impl<T: Representation> Body for T {
    fn into_bytes(self, negotiated: Format) -> Option<(Vec<u8>, Format)> {
        Some((encode(&self, negotiated), negotiated))
    }
}

/// A JSON document, written at once: RSR's views borrow what the handler loaded.
pub struct Json(Vec<u8>);

impl Json {
    pub fn of(value: &impl Serialize) -> Self {
        Self(
            serde_json::to_vec(value)
                .expect("views hold plain strings, numbers and maps, which always serialize"),
        )
    }
}

impl Body for Json {
    fn into_bytes(self, _: Format) -> Option<(Vec<u8>, Format)> {
        Some((self.0, Format::Json))
    }
}

/// No body at all (204).
impl Body for () {
    fn into_bytes(self, _: Format) -> Option<(Vec<u8>, Format)> {
        None
    }
}

pub struct Reply<T> {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    body: T,
}

impl<T: Body> Reply<T> {
    pub fn ok(body: T) -> Self {
        Self::with_status(StatusCode::OK, body)
    }

    pub fn created(body: T) -> Self {
        Self::with_status(StatusCode::CREATED, body)
    }

    /// 300: the body lists the choices (version discovery).
    pub fn multiple_choices(body: T) -> Self {
        Self::with_status(StatusCode::MULTIPLE_CHOICES, body)
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

impl Reply<()> {
    pub fn no_content() -> Self {
        Self::with_status(StatusCode::NO_CONTENT, ())
    }
}

impl<T: Body> Responder for Reply<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let negotiated = negotiated_format(request);
        let dialect = request
            .extensions()
            .get::<Dialect>()
            .copied()
            .unwrap_or(Dialect::Identity);
        let mut response = HttpResponse::build(self.status);
        let body = self.body.into_bytes(negotiated);
        if let Some((_, format)) = &body {
            response.content_type(dialect.media_type(*format));
        }
        for header in self.headers {
            response.insert_header(header);
        }
        match body {
            Some((bytes, _)) => response.body(bytes),
            None => response.finish(),
        }
    }
}

/// `scheme://host:port` + `path`, from what the client used to reach us.
pub fn absolute_url(request: &HttpRequest, path: &str) -> String {
    let info = request.connection_info();
    format!("{}://{}{path}", info.scheme(), info.host())
}
