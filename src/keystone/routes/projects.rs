//! `/v3/projects` (identity's tenants) and `/v3/domains` (the one domain). SA and SVC
//! see every project, DA and DU their own; SA creates and deletes projects, SA and a DA
//! of the project change it. Names follow the tenants' rule on both APIs (1 to 255
//! characters, unique case-insensitively).

use actix_web::{web, HttpRequest};

use super::{created, json_body, listed, one, AnyPrincipal, IdentityAdmin, ProjectAdmin};
use crate::identity::{Caller, IdentityError, Tenant, TenantId};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::requests::admin::decode_project;
use crate::keystone::requests::{query, DOMAIN_ID, DOMAIN_NAME};
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};
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
pub async fn list(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let caller = sources.caller();
    let tenants = if caller.acts_in_any_tenant() {
        sources.directory.all_tenants().await
    } else {
        sources.directory.tenants_of(caller.id).await
    }
    .map_err(KeystoneError::from)?;
    let name = query(&request, "name")?.map(|name| fold_key(name.trim()));
    let enabled = enabled_filter(&request)?;
    let in_domain = in_domain(&request)?;
    let base = absolute_url(&request, "");
    let items = tenants
        .iter()
        .filter(|_| in_domain)
        .filter(|t| name.as_deref().is_none_or(|n| t.name.key() == n))
        .filter(|t| enabled.is_none_or(|e| t.enabled == e))
        .map(|t| views::project(t, &base))
        .collect();
    Ok(listed(&request, "projects", items))
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
pub async fn get(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    let base = absolute_url(&request, "");
    Ok(one("project", views::project(&tenant, &base)))
}

/// `POST /v3/projects`: 201, a new tenant with a random id.
pub async fn create(
    sources: V3<IdentityAdmin, Sources>,
    request: HttpRequest,
    payload: web::Payload,
) -> HandlerResult<Reply<Json>> {
    let body = json_body(&request, payload, "project").await?;
    let fields = decode_project(&body)?;
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
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    Ok(created("project", views::project(&tenant, &base)))
}

/// `PATCH /v3/projects/{id}`: name, description, enabled; SA, or a DA of the project.
pub async fn update(
    sources: V3<ProjectAdmin, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<Json>> {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    let body = json_body(&request, payload, "project").await?;
    let changes = decode_project(&body)?;
    let updated = sources
        .directory
        .update_tenant(tenant.id, changes)
        .await
        .map_err(KeystoneError::from)?;
    let base = absolute_url(&request, "");
    Ok(one("project", views::project(&updated, &base)))
}

/// `DELETE /v3/projects/{id}`: 204. Its memberships, the tokens scoped to it and its
/// live registry go with it; a template's liveness binding to it makes it a 409.
pub async fn delete(
    sources: V3<IdentityAdmin, Sources>,
    path: web::Path<String>,
) -> HandlerResult<Reply<()>> {
    let tenant = member_of(&sources, sources.caller(), &path).await?;
    sources
        .directory
        .delete_tenant(tenant.id)
        .await
        .map_err(KeystoneError::from)?;
    Ok(Reply::no_content())
}

/// `GET /v3/domains/{id}`: the one domain, `default`.
pub async fn domain(
    _caller: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    if path.as_str() != DOMAIN_ID {
        return Err(KeystoneError::not_found("domain", path.into_inner()).into());
    }
    let base = absolute_url(&request, "");
    Ok(one("domain", views::domain(&base)))
}

/// `GET /v3/domains[?name=&enabled=]`.
pub async fn domains(
    _caller: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let named = query(&request, "name")?.is_none_or(|name| name == DOMAIN_NAME);
    let enabled = enabled_filter(&request)?.is_none_or(|enabled| enabled);
    let base = absolute_url(&request, "");
    let items = if named && enabled {
        vec![views::domain(&base)]
    } else {
        Vec::new()
    };
    Ok(listed(&request, "domains", items))
}
