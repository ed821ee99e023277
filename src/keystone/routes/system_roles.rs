//! `/v3/system/users/{u}/roles[/{r}]`: system role assignments, which are this
//! registry's levels themselves (held in no particular project). SA grants and revokes
//! them; SA and SVC read anyone's, others their own. A user keeps its last level.

use actix_web::web;

use super::roles::role;
use super::{Answer, AnyPrincipal, As, IdentityAdmin, Links, PathId};
use crate::identity::{Caller, PrivilegeLevel, UserRecord};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::roles::Role;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::Reply;

/// `{u}` and `{r}`: a user's id and a role's id.
type UserRole = web::Path<(String, String)>;

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

/// `GET /v3/system/users/{u}/roles`: the user's levels.
pub async fn list(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let found = user(&sources, sources.caller(), &path).await?;
    let roles = found
        .caller
        .levels
        .iter()
        .map(|level| Role::of_level(*level));
    Ok(links.each("roles", roles, views::role))
}

/// `HEAD` (or `GET`) `/v3/system/users/{u}/roles/{r}`: 204 when held, else 404.
pub async fn check(sources: As<AnyPrincipal>, path: UserRole) -> Result<Reply<()>> {
    let found = user(&sources, sources.caller(), &path.0).await?;
    if !found.caller.levels.contains(&role(&path.1)?.level()) {
        return Err(KeystoneError::not_found("role assignment", path.1.clone()));
    }
    Ok(Reply::no_content())
}

/// The user and the level a grant's or a revocation's path names.
async fn user_level(sources: &As<IdentityAdmin>, path: &UserRole) -> Result<(i64, PrivilegeLevel)> {
    let found = user(sources, sources.caller(), &path.0).await?;
    Ok((found.caller.id, role(&path.1)?.level()))
}

/// `PUT /v3/system/users/{u}/roles/{r}`: 204 (again: 204).
pub async fn grant(sources: As<IdentityAdmin>, path: UserRole) -> Result<Reply<()>> {
    let (user, level) = user_level(&sources, &path).await?;
    sources.directory.grant_level(user, level).await?;
    Ok(Reply::no_content())
}

/// `DELETE /v3/system/users/{u}/roles/{r}`: 204; the last level stays (409).
pub async fn revoke(sources: As<IdentityAdmin>, path: UserRole) -> Result<Reply<()>> {
    let (user, level) = user_level(&sources, &path).await?;
    sources.directory.revoke_level(user, level).await?;
    Ok(Reply::no_content())
}
