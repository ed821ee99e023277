//! The one error type of the crate. Every layer returns it; `http::fault` alone turns it
//! into a status code and a fault document, so the mapping lives in exactly one place.

/// What went wrong, phrased for the caller. Variants carrying a `String` hold the `details`
/// shown to the client, so they must never contain internals (SQL, paths, backtraces);
/// causes of `Unavailable`/`Internal` are logged where they happen and never returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Disabled(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("none of the media types in Accept can be produced; use application/json or application/xml")]
    NotAcceptable,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
    #[error("the server could not complete the request")]
    Internal,
}

impl Error {
    pub fn invalid(details: impl Into<String>) -> Self {
        Self::Invalid(details.into())
    }

    pub fn not_found(details: impl Into<String>) -> Self {
        Self::NotFound(details.into())
    }

    pub fn conflict(details: impl Into<String>) -> Self {
        Self::Conflict(details.into())
    }

    pub fn unauthenticated(details: impl Into<String>) -> Self {
        Self::Unauthenticated(details.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
