//! What the edge itself refuses, before or beside any subsystem: formats, bodies, routes.

use std::fmt;

/// Refusals of the HTTP edge. None has a cause beyond the request itself.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("none of the media types in Accept can be produced; use application/json or application/xml")]
    NotAcceptable,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("{0}")]
    Malformed(String),
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: std::sync::Arc<str> },
    #[error("no resource at this path")]
    NoRoute,
}

impl HttpError {
    pub fn malformed(details: impl fmt::Display) -> Self {
        Self::Malformed(details.to_string())
    }
}
