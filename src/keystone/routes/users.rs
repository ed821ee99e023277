//! `/v3/users/{id}` and its projects: SA and SVC read any principal, others themselves.

use actix_web::{web, HttpRequest};

use super::{listed, one, AnyPrincipal};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};

/// The principal id in the path, if the caller may read it: 403 for another's, 404 for
/// an id that is no principal's.
async fn readable(
    sources: &V3<AnyPrincipal, Sources>,
    raw: &str,
) -> Result<(crate::identity::Caller, Option<crate::identity::TenantId>)> {
    let not_found = || KeystoneError::not_found("user", raw);
    let id: i64 = raw.parse().map_err(|_| not_found())?;
    let caller = sources.caller();
    if !caller.acts_in_any_tenant() && caller.id != id {
        return Err(KeystoneError::Forbidden("identity:get_user"));
    }
    sources.directory.principal(id).await?.ok_or_else(not_found)
}

/// `GET /v3/users/{id}`.
pub async fn get(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let (principal, default_tenant) = readable(&sources, &path).await?;
    let base = absolute_url(&request, "");
    Ok(one("user", views::user(&principal, default_tenant, &base)))
}

/// `GET /v3/users/{id}/projects`: the projects the principal belongs to.
pub async fn projects(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let (principal, _) = readable(&sources, &path).await?;
    let tenants = sources
        .directory
        .tenants_of(principal.id)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    Ok(listed(
        &request,
        "projects",
        tenants.iter().map(|t| views::project(t, &base)).collect(),
    ))
}
