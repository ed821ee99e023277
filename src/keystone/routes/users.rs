//! `/v3/users`: principals. SA and SVC read every user, others themselves; SA creates,
//! changes (a new password included) and deletes users; a user changes its own password
//! with the original. A new user is a DU, a member of its default project. A password
//! change and a deletion revoke the user's tokens.

use actix_web::{web, HttpRequest};

use super::{
    created, one, Answer, AnyPrincipal, As, IdentityAdmin, JsonBody, Links, PathId, UserReader,
};
use crate::identity::{client_address, IdentityError, Login, UserFilter, UserRecord};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::{decode_password_change, decode_user, new_user};
use crate::keystone::requests::query;
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::Reply;

use super::projects::{enabled_filter, in_domain, projects_of};

/// A user id from the path: one that cannot be a principal's is not found.
fn user_id(raw: &str) -> Result<i64> {
    raw.parse()
        .map_err(|_| KeystoneError::not_found("user", raw))
}

/// The user, if it exists (identity's `NoSuchUser` is Keystone's 404 already).
async fn existing(sources: &Sources, id: i64) -> Result<UserRecord> {
    Ok(sources.directory.user(id).await?)
}

/// A default project that is no project is a bad attribute of the user (400), not a
/// missing object.
fn default_project_fault(error: IdentityError) -> KeystoneError {
    match error {
        IdentityError::NoSuchTenant(tenant) => {
            KeystoneError::invalid(format!("default_project_id: no project is '{tenant}'"))
        }
        other => other.into(),
    }
}

/// The user in the path, if the caller may read it: 403 for another's, 404 for an id
/// that is no principal's.
async fn readable(sources: &As<AnyPrincipal>, raw: &str) -> Result<UserRecord> {
    let id = user_id(raw)?;
    let caller = sources.caller();
    if !caller.acts_in_any_tenant() && caller.id != id {
        return Err(KeystoneError::Forbidden("identity:get_user"));
    }
    existing(sources, id).await
}

/// `GET /v3/users[?name=&domain_id=&enabled=]`, by id.
pub async fn list(sources: As<UserReader>, request: HttpRequest, links: Links) -> Answer {
    let filter = UserFilter {
        name: query(&request, "name")?,
        enabled: enabled_filter(&request)?,
    };
    let users = if in_domain(&request)? {
        sources.directory.users(filter).await?
    } else {
        Vec::new()
    };
    Ok(links.each("users", &users, views::user))
}

/// `GET /v3/users/{id}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let user = readable(&sources, &path).await?;
    Ok(one("user", views::user(&user, links.base())))
}

/// `POST /v3/users`: 201.
pub async fn create(sources: As<IdentityAdmin>, links: Links, body: JsonBody) -> Answer {
    let body = body.read("user").await?;
    let new = new_user(decode_user(&body)?)?;
    let user = sources
        .directory
        .create_user(new)
        .await
        .map_err(default_project_fault)?;
    Ok(created("user", views::user(&user, links.base())))
}

/// `PATCH /v3/users/{id}`: any attribute, the password too (which revokes the user's
/// tokens).
pub async fn update(
    sources: As<IdentityAdmin>,
    links: Links,
    path: PathId,
    body: JsonBody,
) -> Answer {
    let id = user_id(&path)?;
    existing(&sources, id).await?;
    let changes = decode_user(&body.read("user").await?)?;
    let user = sources
        .directory
        .update_user(id, changes)
        .await
        .map_err(default_project_fault)?;
    Ok(one("user", views::user(&user, links.base())))
}

/// `DELETE /v3/users/{id}`: 204; its tokens stop working.
pub async fn delete(sources: As<IdentityAdmin>, path: PathId) -> Result<Reply<()>> {
    let id = user_id(&path)?;
    existing(&sources, id).await?;
    sources.directory.delete_user(id).await?;
    Ok(Reply::no_content())
}

/// `POST /v3/users/{id}/password`: 204. The original password is the proof (checked and
/// throttled like a login: a wrong one is a 401), as in Keystone; the user's tokens are
/// revoked.
pub async fn change_password(
    sources: As<AnyPrincipal>,
    login: web::Data<Login>,
    request: HttpRequest,
    path: PathId,
    body: JsonBody,
) -> Result<Reply<()>> {
    let id = user_id(&path)?;
    existing(&sources, id).await?;
    let body = body.read("user").await?;
    let (password, original) = decode_password_change(&body)?;
    login
        .verify_password(id, original, client_address(&request))
        .await?;
    sources.directory.set_password(id, password).await?;
    Ok(Reply::no_content())
}

/// `GET /v3/users/{id}/projects`: the projects the user belongs to.
pub async fn projects(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let user = readable(&sources, &path).await?;
    projects_of(&sources, &links, user.caller.id).await
}
