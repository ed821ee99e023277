//! The one place where an [`Error`] becomes an HTTP status and a fault document.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::negotiation::Format;
use super::wire::{self, Document};
use crate::error::Error;

/// A fault as both wire formats show it: the element (XML) or top-level key (JSON) named
/// by status, a fixed message, and details a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub status: StatusCode,
    pub element: &'static str,
    pub message: &'static str,
    pub details: String,
}

impl From<&Error> for Fault {
    fn from(error: &Error) -> Self {
        let (status, element, message) = match error {
            Error::Invalid(_) => (StatusCode::BAD_REQUEST, "badRequest", "BAD_REQUEST"),
            Error::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthorized", "UNAUTHORIZED"),
            Error::Disabled(_) => (StatusCode::FORBIDDEN, "userDisabled", "FORBIDDEN"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "itemNotFound", "NOT_FOUND"),
            Error::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "identityFault",
                "METHOD_NOT_ALLOWED",
            ),
            Error::NotAcceptable => (
                StatusCode::NOT_ACCEPTABLE,
                "identityFault",
                "NOT_ACCEPTABLE",
            ),
            Error::Conflict(_) => (StatusCode::CONFLICT, "identityFault", "CONFLICT"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "overLimit", "OVER_LIMIT"),
            Error::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "identityFault",
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            Error::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceUnavailable",
                "SERVICE_UNAVAILABLE",
            ),
            Error::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "identityFault",
                "INTERNAL_SERVER_ERROR",
            ),
        };
        Self {
            status,
            element,
            message,
            details: error.to_string(),
        }
    }
}

/// The complete fault response: body in `format`, plus the headers some statuses require.
pub fn fault_response(error: &Error, format: Format) -> HttpResponse {
    let fault = Fault::from(error);
    let mut response = HttpResponse::build(fault.status);
    response.content_type(format.media_type());
    match error {
        Error::MethodNotAllowed { allow } => {
            response.insert_header((header::ALLOW, *allow));
        }
        Error::Unauthenticated(_) => {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                r#"Keystone realm="service-registry""#,
            ));
        }
        Error::Unavailable => {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        _ => {}
    }
    response.body(wire::encode(&Document::Fault(&fault), format))
}

/// Lets handlers return `Result<_, Error>`. The edge middleware re-renders the fault in
/// the negotiated format; JSON here is only the fallback outside that middleware.
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        Fault::from(self).status
    }

    fn error_response(&self) -> HttpResponse {
        fault_response(self, Format::Json)
    }
}
