//! `/v3/auth/{catalog,projects,domains}`: what the caller's own token may reach.

use actix_web::{web, HttpRequest};

use super::{listed, AnyPrincipal};
use crate::identity::Login;
use crate::keystone::error::KeystoneError;
use crate::keystone::guard::V3;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};

/// `GET /v3/auth/catalog`: the catalog of the caller's token, in v3's shape.
pub async fn catalog(
    sources: V3<AnyPrincipal, Sources>,
    login: web::Data<Login>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let services = login
        .catalog(sources.caller().tenant)
        .await
        .map_err(KeystoneError::from)?;
    Ok(listed(&request, "catalog", views::catalog(&services)))
}

/// `GET /v3/auth/projects`: the projects the caller belongs to (and may scope to).
pub async fn projects(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let tenants = sources
        .directory
        .tenants_of(sources.caller().id)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    Ok(listed(
        &request,
        "projects",
        tenants.iter().map(|t| views::project(t, &base)).collect(),
    ))
}

/// `GET /v3/auth/domains`: the one domain every principal is in.
pub async fn domains(
    _caller: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let base = absolute_url(&request, "");
    Ok(listed(&request, "domains", vec![views::domain(&base)]))
}
