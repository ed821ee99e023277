//! `X-Auth-Token` → the [`Caller`] behind it. Only the token's hash is looked up; the
//! token itself is never stored or logged.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::domain::{Caller, TokenHash};
use crate::error::{Error, Result};
use crate::storage::{principals, Database};

pub const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

impl FromRequest for Caller {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Caller>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = presented_token(request).map(TokenHash::of);
        let database = request.app_data::<web::Data<Database>>().cloned();
        Box::pin(async move {
            let hash = presented?;
            let database = database.ok_or(Error::Internal)?;
            database
                .run(move |conn| principals::authenticate(conn, &hash))
                .await?
                .ok_or_else(|| {
                    Error::unauthenticated(
                        "Invalid credentials: the token is unknown, expired or revoked",
                    )
                })
        })
    }
}

/// Exactly one non-empty token: two headers could name two principals, and picking either
/// would make the answer depend on header order.
fn presented_token(request: &HttpRequest) -> Result<&str> {
    let mut values = request.headers().get_all(AUTH_TOKEN_HEADER);
    let missing =
        || Error::unauthenticated("a valid token must be presented in the X-Auth-Token header");
    let first = values.next().ok_or_else(missing)?;
    if values.next().is_some() {
        return Err(Error::unauthenticated(
            "send exactly one X-Auth-Token header",
        ));
    }
    first
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(missing)
}
