//! Version discovery, before any authentication: clients discover, then authenticate.

use actix_web::HttpRequest;

use crate::keystone::views::{Extensions, Version, VersionDocument, Versions};
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};

/// `GET /`: 300 Multiple Choices with both versions.
pub async fn root(request: HttpRequest) -> HandlerResult<Reply<Json>> {
    let base = absolute_url(&request, "");
    Ok(Reply::multiple_choices(Json::of(&Versions { base })))
}

/// `GET /v3`: v3's own document (JSON only, as v3).
pub async fn v3(request: HttpRequest) -> HandlerResult<Reply<Json>> {
    let base = absolute_url(&request, "");
    Ok(Reply::ok(Json::of(&VersionDocument {
        version: Version::V3,
        base,
    })))
}

/// `GET /v2.0`: v2.0's own document, in JSON or XML as v2.0 speaks.
pub async fn v2(request: HttpRequest) -> HandlerResult<Reply<VersionDocument>> {
    let base = absolute_url(&request, "");
    Ok(Reply::ok(VersionDocument {
        version: Version::V2,
        base,
    }))
}

/// `GET /v2.0/extensions`: the extensions this server has.
pub async fn extensions() -> HandlerResult<Reply<Extensions>> {
    Ok(Reply::ok(Extensions))
}
