//! A query string read into a subsystem's DTO: the one reader the subsystems' `requests.rs`
//! use, so that a malformed one is worded the same everywhere.

use serde::de::DeserializeOwned;

/// A query string that does not fit its DTO (a repeated or ill-encoded parameter).
#[derive(Debug, thiserror::Error)]
#[error("malformed query string: {0}")]
pub struct MalformedQuery(String);

/// `raw` (without the `?`) as `T`.
pub fn query_string<T: DeserializeOwned>(raw: &str) -> Result<T, MalformedQuery> {
    actix_web::web::Query::<T>::from_query(raw)
        .map(actix_web::web::Query::into_inner)
        .map_err(|error| MalformedQuery(error.to_string()))
}
