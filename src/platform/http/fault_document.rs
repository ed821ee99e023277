//! The fault document every route answers errors with, in both formats. Which error
//! becomes which fault is decided in one place, `crate::faults`; this file only knows
//! the shapes and the headers some statuses require.

use actix_web::http::header::{self, HeaderName};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::negotiation::Format;
use super::representation::{encode, Representation};
use super::xml::XmlWriter;

pub const FAULT_NS: &str = "http://docs.openstack.org/identity/api/v2.0";

/// A fault as both wire formats show it: the element (XML) or top-level key (JSON) named
/// by status, a fixed message, and details a person can act on. `cause` is what went wrong
/// underneath, for the log line only; it never reaches the client.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: StatusCode,
    pub element: &'static str,
    pub message: &'static str,
    pub details: String,
    /// RSR's own `type` and message, for faults of the live registry.
    rsr: Option<(&'static str, String)>,
    headers: Vec<(HeaderName, String)>,
    cause: Option<String>,
}

/// The fault shapes, by the API family a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// HP-IDM: the seed's named fault (`{"unauthorized": {…}}`, `<unauthorized>`), exactly.
    Identity,
    /// OpenStack Identity v2.0's own routes: the named fault and, in JSON, Keystone's
    /// `"error": {code, title, message}` beside it, which Keystone's clients read.
    KeystoneV2,
    /// Keystone v3 and version discovery: JSON only, `{"error": {code, title, message}}`.
    KeystoneV3,
    /// The live registry (`/v1.0`): RSR's `{type, code, message, details, txnId}`.
    Rsr,
    /// The web console's files: no negotiation (a browser asks for HTML), the identity
    /// family's faults in JSON.
    Console,
}

impl Dialect {
    /// The media type of a body in `format`: RSR writes JSON only, with its charset.
    pub fn media_type(self, format: Format) -> &'static str {
        match self {
            Self::Identity | Self::KeystoneV2 | Self::KeystoneV3 | Self::Console => {
                format.media_type()
            }
            Self::Rsr => RSR_JSON,
        }
    }

    /// Whether the dialect speaks XML as well as JSON (by `Accept`).
    pub fn negotiates(self) -> bool {
        matches!(self, Self::Identity | Self::KeystoneV2)
    }
}

/// RSR's media type for JSON.
pub const RSR_JSON: &str = "application/json; charset=UTF-8";

impl Fault {
    fn new(status: StatusCode, element: &'static str, message: &'static str) -> Self {
        Self {
            status,
            element,
            message,
            details: String::new(),
            rsr: None,
            headers: Vec::new(),
            cause: None,
        }
    }

    fn details(mut self, details: impl ToString) -> Self {
        self.details = details.to_string();
        self
    }

    pub fn bad_request(details: impl ToString) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "badRequest", "BAD_REQUEST").details(details)
    }

    /// 401, with the challenge RFC 9110 requires.
    pub fn unauthorized(details: impl ToString) -> Self {
        let mut fault =
            Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "UNAUTHORIZED").details(details);
        fault.headers.push((
            header::WWW_AUTHENTICATE,
            r#"Keystone realm="service-registry""#.to_owned(),
        ));
        fault
    }

    /// 403 for a caller whose levels do not allow the action (Keystone v3's answer).
    pub fn forbidden(details: impl ToString) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "FORBIDDEN").details(details)
    }

    pub fn user_disabled(details: impl ToString) -> Self {
        Self::new(StatusCode::FORBIDDEN, "userDisabled", "FORBIDDEN").details(details)
    }

    pub fn not_found(details: impl ToString) -> Self {
        Self::new(StatusCode::NOT_FOUND, "itemNotFound", "NOT_FOUND").details(details)
    }

    pub fn method_not_allowed(allow: &str, details: impl ToString) -> Self {
        let mut fault = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "identityFault",
            "METHOD_NOT_ALLOWED",
        )
        .details(details);
        fault.headers.push((header::ALLOW, allow.to_owned()));
        fault
    }

    pub fn not_acceptable(details: impl ToString) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "identityFault",
            "NOT_ACCEPTABLE",
        )
        .details(details)
    }

    pub fn conflict(details: impl ToString) -> Self {
        Self::new(StatusCode::CONFLICT, "identityFault", "CONFLICT").details(details)
    }

    pub fn over_limit(details: impl ToString) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "overLimit", "OVER_LIMIT").details(details)
    }

    pub fn unsupported_media_type(details: impl ToString) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "identityFault",
            "UNSUPPORTED_MEDIA_TYPE",
        )
        .details(details)
    }

    /// 429 with `Retry-After`: the client must wait before trying again.
    pub fn too_many_requests(details: impl ToString, retry_after: u64) -> Self {
        let mut fault =
            Self::new(StatusCode::TOO_MANY_REQUESTS, "overLimit", "OVER_LIMIT").details(details);
        fault
            .headers
            .push((header::RETRY_AFTER, retry_after.to_string()));
        fault
    }

    /// 503 with `Retry-After`: the database is down or too slow; the client may retry.
    pub fn unavailable() -> Self {
        let mut fault = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceUnavailable",
            "SERVICE_UNAVAILABLE",
        )
        .details("the service is temporarily unavailable; try again shortly");
        fault.headers.push((header::RETRY_AFTER, "1".to_owned()));
        fault
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "identityFault",
            "INTERNAL_SERVER_ERROR",
        )
        .details("the server could not complete the request")
    }

    /// A fault of the live registry: RSR's `type`, message and details. In the identity
    /// dialect it still renders, under the element of its status.
    pub fn rsr(
        status: StatusCode,
        rsr_type: &'static str,
        message: impl ToString,
        details: impl ToString,
    ) -> Self {
        let element = match status.as_u16() {
            401 => "unauthorized",
            404 => "itemNotFound",
            413 => "overLimit",
            400 => "badRequest",
            _ => "identityFault",
        };
        let mut fault = Self::new(status, element, "").details(details);
        fault.rsr = Some((rsr_type, message.to_string()));
        fault
    }

    /// An extra header on the response (`Retry-After`, `X-RateLimit-*`).
    pub fn with_header(mut self, name: HeaderName, value: impl ToString) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    /// Records `error` and its sources for the access log when there is something the
    /// details do not say: a source, or any failure of ours (5xx).
    pub fn caused_by(mut self, error: &(dyn std::error::Error + 'static)) -> Self {
        if error.source().is_some() || self.status.is_server_error() {
            self.cause = Some(crate::platform::error_chain(error));
        }
        self
    }

    /// Records a cause known only as text (an error of actix-web's own).
    pub fn cause_text(mut self, cause: String) -> Self {
        self.cause = Some(cause);
        self
    }

    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The complete response in `format`.
    pub fn render(&self, format: Format) -> HttpResponse {
        self.respond(format, encode(self, format))
    }

    /// The complete response of a Keystone dialect: v2.0 adds `error` beside the named
    /// fault in JSON (XML stays the named element); v3 writes `error` alone, in JSON.
    pub fn render_keystone(&self, format: Format, dialect: Dialect) -> HttpResponse {
        let error = KeystoneError {
            code: self.status.as_u16(),
            title: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.details,
        };
        match (dialect, format) {
            (Dialect::KeystoneV2, Format::Json) => {
                let mut body = serde_json::to_value(self).expect("a fault serializes");
                body["error"] = serde_json::to_value(&error).expect("an error serializes");
                self.respond(Format::Json, body.to_string().into_bytes())
            }
            (Dialect::KeystoneV2, Format::Xml) => self.render(Format::Xml),
            _ => {
                let body = serde_json::json!({ "error": error });
                self.respond(Format::Json, body.to_string().into_bytes())
            }
        }
    }

    fn respond(&self, format: Format, body: Vec<u8>) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type(format.media_type());
        for header in &self.headers {
            response.insert_header(header.clone());
        }
        response.body(body)
    }

    /// The complete response in RSR's shape, `txn_id` being the request's id. Faults
    /// not made for the live registry (authentication, routing, size, the database) get
    /// RSR's type for their status; a failure of ours says nothing but "Internal Error".
    pub fn render_rsr(&self, txn_id: &str) -> HttpResponse {
        let (rsr_type, message, details) = match &self.rsr {
            Some((rsr_type, message)) => (*rsr_type, message.as_str(), self.details.as_str()),
            None => match self.status.as_u16() {
                401 => ("unauthorizedError", "forbidden", self.details.as_str()),
                403 => ("forbiddenError", "forbidden", self.details.as_str()),
                404 => ("notFoundError", "The page cannot be found.", ""),
                405 => ("badRequest", "Method not allowed", self.details.as_str()),
                413 => (
                    "requestTooLargeError",
                    "Request too large",
                    self.details.as_str(),
                ),
                503 => ("systemFailureError", "Internal Error", ""),
                500..=599 => ("internalError", "Internal Error", ""),
                _ => ("badRequest", "Bad request", self.details.as_str()),
            },
        };
        let body = serde_json::json!({
            "type": rsr_type,
            "code": self.status.as_u16(),
            "message": message,
            "details": details,
            "txnId": txn_id,
        });
        let mut response = HttpResponse::build(self.status);
        response.content_type(RSR_JSON);
        for header in &self.headers {
            response.insert_header(header.clone());
        }
        response.body(body.to_string())
    }

    /// A JSON response that carries the fault itself, so the edge can render it again in
    /// the negotiated format and log its cause.
    pub fn into_response(self) -> HttpResponse {
        let mut response = self.render(Format::Json);
        response.extensions_mut().insert(self);
        response
    }
}

/// Keystone's `error` member: the status, its reason phrase, and what went wrong.
#[derive(Serialize)]
struct KeystoneError<'a> {
    code: u16,
    title: &'a str,
    message: &'a str,
}

impl Serialize for Fault {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            code: u16,
            details: &'a str,
            message: &'a str,
            #[serde(rename = "otherAttributes")]
            other_attributes: std::collections::BTreeMap<(), ()>,
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(
            self.element,
            &Body {
                code: self.status.as_u16(),
                details: &self.details,
                message: self.message,
                other_attributes: Default::default(),
            },
        )?;
        map.end()
    }
}

impl Representation for Fault {
    fn write_xml(&self, xml: &mut XmlWriter) {
        xml.open(self.element, Some(FAULT_NS))
            .attribute_display("code", self.status.as_u16())
            .close_start()
            .text_element("message", self.message)
            .text_element("details", &self.details)
            .end(self.element);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsr_body(fault: &Fault) -> serde_json::Value {
        let response = fault.render_rsr("txn-1");
        let body = actix_web::body::to_bytes(response.into_body());
        let bytes = futures_util::FutureExt::now_or_never(body)
            .expect("a fixed body is ready")
            .expect("bytes");
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn failures_of_ours_say_internal_error_and_nothing_more_in_rsr_shape() {
        let internal = Fault::internal().cause_text("no such table: live_services".into());
        assert_eq!(
            rsr_body(&internal),
            serde_json::json!({"type": "internalError", "code": 500, "message": "Internal Error",
                "details": "", "txnId": "txn-1"})
        );
        let unavailable = rsr_body(&Fault::unavailable());
        assert_eq!(unavailable["type"], "systemFailureError");
        assert_eq!(unavailable["message"], "Internal Error");
        assert_eq!(unavailable["details"], "");
    }

    #[test]
    fn identity_faults_get_rsr_types_by_status() {
        let body = rsr_body(&Fault::unauthorized("a valid token must be presented"));
        assert_eq!(body["type"], "unauthorizedError");
        assert_eq!(body["details"], "a valid token must be presented");
        assert_eq!(
            rsr_body(&Fault::over_limit("too large"))["type"],
            "requestTooLargeError"
        );
        assert_eq!(
            rsr_body(&Fault::user_disabled("off"))["type"],
            "forbiddenError"
        );
    }
}
