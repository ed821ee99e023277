//! `/v3/projects` (identity's tenants) and `/v3/domains` (the one domain). SA and SVC
//! see every project, DA and DU their own; SA creates and deletes projects, SA and a DA
//! of the project change it. Names follow the tenants' rule on both APIs (1 to 255
//! characters, unique case-insensitively).

use actix_web::HttpRequest;

use super::{
    created, one, Answer, AnyPrincipal, As, IdentityAdmin, JsonBody, Links, PathId, ProjectAdmin,
};
use crate::identity::{Caller, IdentityError, Tenant, TenantId};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::requests::admin::decode_project;
use crate::keystone::requests::{query, DOMAIN_ID, DOMAIN_NAME};
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::Reply;
use crate::platform::text::fold_key;

/// `enabled=true|false` as Keystone reads booleans.
pub(super) fn enabled_filter(request: &HttpRequest) -> Result<Option<bool>> {
    match query(request, "enabled")?.as_deref() {
        None => Ok(None),
        Some("true" | "True" | "1") => Ok(Some(true)),
        Some("false" | "False" | "0") => Ok(Some(false)),
        Some(_) => Err(KeystoneError::invalid("enabled is true or false")),
    }
}

/// Whether a `domain_id` filter leaves the one domain in.
pub(super) fn in_domain(request: &HttpRequest) -> Result<bool> {
    Ok(query(request, "domain_id")?.is_none_or(|domain| domain == DOMAIN_ID))
}

/// `GET /v3/projects[?name=&enabled=&domain_id=]`, by id.
pub async fn list(sources: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let caller = sources.caller();
    let tenants = if caller.acts_in_any_tenant() {
        sources.directory.all_tenants().await
    } else {
        sources.directory.tenants_of(caller.id).await
    }?;
    let name = query(&request, "name")?.map(|name| fold_key(name.trim()));
    let enabled = enabled_filter(&request)?;
    let in_domain = in_domain(&request)?;
    let items = tenants
        .iter()
        .filter(|_| in_domain)
        .filter(|t| name.as_deref().is_none_or(|n| t.name.key() == n))
        .filter(|t| enabled.is_none_or(|e| t.enabled == e));
    Ok(links.each("projects", items, views::project))
}

/// The projects `user` belongs to: `/v3/auth/projects`, `/v3/users/{id}/projects`.
pub(super) async fn projects_of(sources: &Sources, links: &Links, user: i64) -> Answer {
    let tenants = sources.directory.tenants_of(user).await?;
    Ok(links.each("projects", &tenants, views::project))
}

/// The project in the path: 404 when there is none, 403 for a caller outside it (SA and
/// SVC are in every project).
pub(super) async fn member_of(sources: &Sources, caller: &Caller, raw: &str) -> Result<Tenant> {
    let not_found = || KeystoneError::not_found("project", raw);
    let id = TenantId::parse(raw).map_err(|_| not_found())?;
    let directory = &sources.directory;
    let tenant = match directory.tenant(id).await {
        Ok(tenant) => tenant,
        Err(IdentityError::NoSuchTenant(_)) => return Err(not_found()),
        Err(other) => return Err(other.into()),
    };
    let member = caller.acts_in_any_tenant() || directory.is_member(caller.id, id).await?;
    if !member {
        return Err(KeystoneError::Forbidden("identity:get_project"));
    }
    Ok(tenant)
}

/// `GET /v3/projects/{id}`.
pub async fn get(sources: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    Ok(one("project", views::project(&tenant, links.base())))
}

/// `POST /v3/projects`: 201, a new tenant with a random id.
pub async fn create(sources: As<IdentityAdmin>, links: Links, body: JsonBody) -> Answer {
    let fields = decode_project(&body.read("project").await?)?;
    let name = fields
        .name
        .ok_or_else(|| KeystoneError::invalid("project.name is required"))?;
    let tenant = sources
        .directory
        .create_tenant(
            name,
            fields.description.flatten(),
            fields.enabled.unwrap_or(true),
        )
        .await?;
    Ok(created("project", views::project(&tenant, links.base())))
}

/// `PATCH /v3/projects/{id}`: name, description, enabled; SA, or a DA of the project.
pub async fn update(
    sources: As<ProjectAdmin>,
    links: Links,
    path: PathId,
    body: JsonBody,
) -> Answer {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    let changes = decode_project(&body.read("project").await?)?;
    let updated = sources.directory.update_tenant(tenant.id, changes).await?;
    Ok(one("project", views::project(&updated, links.base())))
}

/// `DELETE /v3/projects/{id}`: 204. Its memberships, the tokens scoped to it and its
/// live registry go with it; a template's liveness binding to it makes it a 409.
pub async fn delete(sources: As<IdentityAdmin>, path: PathId) -> Result<Reply<()>> {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    sources.directory.delete_tenant(tenant.id).await?;
    Ok(Reply::no_content())
}

/// `GET /v3/domains/{id}`: the one domain, `default`.
pub async fn domain(_caller: As<AnyPrincipal>, links: Links, path: PathId) -> Answer {
    if path.as_str() != DOMAIN_ID {
        return Err(KeystoneError::not_found("domain", path.into_inner()));
    }
    Ok(one("domain", views::domain(links.base())))
}

/// `GET /v3/domains[?name=&enabled=]`.
pub async fn domains(_caller: As<AnyPrincipal>, request: HttpRequest, links: Links) -> Answer {
    let named = query(&request, "name")?.is_none_or(|name| name == DOMAIN_NAME);
    let enabled = enabled_filter(&request)?.is_none_or(|enabled| enabled);
    let items = if named && enabled {
        vec![views::domain(links.base())]
    } else {
        Vec::new()
    };
    Ok(links.listed("domains", items))
}
