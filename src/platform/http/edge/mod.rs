//! The middlewares every request passes, outermost first (composed in `src/app.rs`):
//!
//! 1. [`observe`]: gives the request its id, and once the answer is out writes the one
//!    access-log line (with a failure's cause) and the request metrics.
//! 2. [`speak`]: reads a trailing slash as absent, takes the path's fault dialect from the
//!    subsystems' rules (see `paths`), negotiates the response format before any handler
//!    runs, and renders every fault (ours or actix-web's) in that format and dialect.
//! 3. [`conditional_get`]: tags a GET's 200 with its `ETag` and answers 304 when the
//!    client holds it.
//!
//! Each does one thing and is tested alone. Tokens never reach any of them.

mod observe;
mod speak;

use actix_web::http::header::HeaderName;
use actix_web::{HttpMessage, HttpRequest};

pub use super::conditional::conditional_get;
pub use observe::observe;
pub use speak::speak;

use super::negotiation::Format;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// RSR's name for the request id (also the `txnId` of its faults).
pub const RESPONSE_ID: HeaderName = HeaderName::from_static("x-response-id");

/// The id [`observe`] gave the request, for faults that carry it.
#[derive(Debug, Clone)]
pub(super) struct RequestId(pub String);

/// What went wrong behind a fault, handed from [`speak`] to the access log.
#[derive(Debug, Clone)]
pub(super) struct FaultCause(pub String);

/// Who made an authenticated write (`principal 7 (alice)`), set by the guard that
/// admitted it: every write answered is logged with it on the `audit` target.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

impl Actor {
    /// Names the caller of a write on `request`; reads are not audited, so nothing is
    /// kept for them.
    pub fn record(request: &actix_web::HttpRequest, describe: impl FnOnce() -> String) {
        if is_write(request.method()) {
            actix_web::HttpMessage::extensions_mut(request).insert(Actor(describe()));
        }
    }
}

/// Whether a request may change something: what the audit log records.
fn is_write(method: &actix_web::http::Method) -> bool {
    !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS")
}

/// When the request reached the node (milliseconds since the epoch): when [`observe`] saw
/// it first, less how late the node's workers were then ([`IntakeLag::unread_millis`]).
/// What a heartbeat is judged by, however long the node then took to serve it.
///
/// [`IntakeLag::unread_millis`]: crate::platform::intake::IntakeLag::unread_millis
pub fn arrival(request: &HttpRequest) -> Option<i64> {
    request
        .extensions()
        .get::<Arrival>()
        .map(|arrival| arrival.0)
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Arrival(pub i64);

/// The format the edge negotiated for this request.
pub fn negotiated_format(request: &HttpRequest) -> Format {
    request
        .extensions()
        .get::<Format>()
        .copied()
        .unwrap_or(Format::Json)
}
