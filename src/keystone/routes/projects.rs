//! `/v3/projects` (identity's tenants), `/v3/domains` (the one domain) and `/v3/roles`
//! (the privilege levels). SA and SVC see every project; DA and DU their own.

use actix_web::{web, HttpRequest};

use super::{listed, one, AnyPrincipal};
use crate::identity::{IdentityError, PrivilegeLevel, TenantId};
use crate::keystone::error::{KeystoneError, Result};
use crate::keystone::guard::V3;
use crate::keystone::requests::{query, DOMAIN_ID, DOMAIN_NAME};
use crate::keystone::views;
use crate::keystone::Sources;
use crate::platform::http::{absolute_url, HandlerResult, Json, Reply};
use crate::platform::text::fold_key;

/// `enabled=true|false` as Keystone reads booleans.
fn enabled_filter(request: &HttpRequest) -> Result<Option<bool>> {
    match query(request, "enabled")?.as_deref() {
        None => Ok(None),
        Some("true" | "True" | "1") => Ok(Some(true)),
        Some("false" | "False" | "0") => Ok(Some(false)),
        Some(_) => Err(KeystoneError::invalid("enabled is true or false")),
    }
}

/// Whether a `domain_id` filter leaves the one domain in.
fn in_domain(request: &HttpRequest) -> Result<bool> {
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

/// `GET /v3/projects/{id}`: 403 for a DA or DU outside it, 404 when there is none.
pub async fn get(
    sources: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HandlerResult<Reply<Json>> {
    let raw = path.into_inner();
    let not_found = || KeystoneError::not_found("project", &raw);
    let id = TenantId::parse(&raw).map_err(|_| not_found())?;
    let caller = sources.caller();
    let directory = &sources.directory;
    let tenant = match directory.tenant(id).await {
        Ok(tenant) => tenant,
        Err(IdentityError::NoSuchTenant(_)) => return Err(not_found().into()),
        Err(other) => return Err(KeystoneError::from(other).into()),
    };
    let member = caller.acts_in_any_tenant()
        || directory
            .is_member(caller.id, id)
            .await
            .map_err(KeystoneError::from)?;
    if !member {
        return Err(KeystoneError::Forbidden("identity:get_project").into());
    }
    let base = absolute_url(&request, "");
    Ok(one("project", views::project(&tenant, &base)))
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

/// `GET /v3/roles[?name=]`: the privilege levels.
pub async fn roles(
    _caller: V3<AnyPrincipal, Sources>,
    request: HttpRequest,
) -> HandlerResult<Reply<Json>> {
    let name = query(&request, "name")?;
    let base = absolute_url(&request, "");
    let items = PrivilegeLevel::ALL
        .into_iter()
        .filter(|level| name.as_deref().is_none_or(|n| level.as_str() == n))
        .map(|level| views::role(level, &base))
        .collect();
    Ok(listed(&request, "roles", items))
}
