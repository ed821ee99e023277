//! `/v3/system/users/{u}/roles[/{r}]`: system role assignments, which are this
//! registry's levels themselves (held in no particular project). SA grants and revokes
//! them; SA and SVC read anyone's, others their own. A user keeps its last level.

use actix_web::{web, HttpRequest};

use super::{listed, AnyPrincipal, IdentityAdmin};
use crate::identity::{Caller, UserRecord};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::roles::Role;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};

/// The user in the path, if the caller may read its roles.
async fn user(sources: &Sources, caller: &Caller, raw: &str) -> Result<UserRecord> {
    let id: i64 = raw
        .parse()
        .map_err(|_| KeystoneError::not_found("user", raw))?;
    if !caller.acts_in_any_tenant() && caller.id != id {
        return Err(KeystoneError::Forbidden(
            "identity:list_system_grants_for_user",
        ));
    }
    Ok(sources.directory.user(id).await?)
}

fn role(raw: &str) -> Result<Role> {
    Role::find(raw).ok_or_else(|| KeystoneError::not_found("role", raw))
}

/// `GET /v3/system/users/{u}/roles`: the user's levels.
pub async fn list(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let found = user(&sources, sources.caller(), &path).await?;
    let base = absolute_url(&request, "");
    let items = found
        .caller
        .levels
        .iter()
        .map(|level| views::role(Role::of_level(*level), &base))
        .collect();
    Ok(listed(&request, "roles", items))
}

/// `HEAD` (or `GET`) `/v3/system/users/{u}/roles/{r}`: 204 when held, else 404.
pub async fn check(
    sources: V3<AnyPrincipal, Sources>,
    path: web::Path<(String, String)>,
) -> HandlerResult<Reply<()>> {
    let found = user(&sources, sources.caller(), &path.0).await?;
    if !found.caller.levels.contains(&role(&path.1)?.level()) {
        return Err(KeystoneError::not_found("role assignment", path.1.clone()).into());
    }
    Ok(Reply::no_content())
}

/// `PUT /v3/system/users/{u}/roles/{r}`: 204 (again: 204).
pub async fn grant(
    sources: V3<IdentityAdmin, Sources>,
    path: web::Path<(String, String)>,
) -> HandlerResult<Reply<()>> {
    let found = user(&sources, sources.caller(), &path.0).await?;
    let level = role(&path.1)?.level();
    sources
        .directory
        .grant_level(found.caller.id, level)
        .await
        .map_err(KeystoneError::from)?;
    Ok(Reply::no_content())
}

/// `DELETE /v3/system/users/{u}/roles/{r}`: 204; the last level stays (409).
pub async fn revoke(
    sources: V3<IdentityAdmin, Sources>,
    path: web::Path<(String, String)>,
) -> HandlerResult<Reply<()>> {
    let found = user(&sources, sources.caller(), &path.0).await?;
    let level = role(&path.1)?.level();
    sources
        .directory
        .revoke_level(found.caller.id, level)
        .await
        .map_err(KeystoneError::from)?;
    Ok(Reply::no_content())
}
