use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{ListTenantEndpoints, ManageTenantEndpoints, Templates};
use crate::catalog::domain::TemplateId;
use crate::catalog::requests::{decode_association, DOCUMENT};
use crate::catalog::views::{EndpointList, EndpointView};
use crate::catalog::CatalogError;
use crate::identity::TenantId;
use crate::platform::http::{read_document, HandlerResult, Reply};

fn tenant_id(raw: &str) -> Result<TenantId, CatalogError> {
    TenantId::parse(raw).map_err(CatalogError::from)
}

/// `POST /tenants/{tenantId}/endpoints` with `{"endpointTemplate": {"id": N}}`: 201.
pub async fn associate(
    catalog: Templates<ManageTenantEndpoints>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<EndpointView>> {
    let tenant = tenant_id(&path)?;
    let document = read_document(&request, payload, DOCUMENT).await?;
    let template = decode_association(&document)?;
    let associated = catalog
        .associate(catalog.caller(), tenant, template)
        .await?;
    let location = Some(format!("{}/{}", request.path(), template));
    Ok(Reply::created(EndpointView(tenant, associated)).header(header::LOCATION, location))
}

/// `GET /tenants/{tenantId}/endpoints`.
pub async fn list(
    catalog: Templates<ListTenantEndpoints>,
    path: web::Path<String>,
) -> HandlerResult<Reply<EndpointList>> {
    let tenant = tenant_id(&path)?;
    let templates = catalog.of_tenant(catalog.caller(), tenant).await?;
    Ok(Reply::ok(EndpointList(tenant, templates)))
}

/// `DELETE /tenants/{tenantId}/endpoints/{templateId}`: 204.
pub async fn dissociate(
    catalog: Templates<ManageTenantEndpoints>,
    path: web::Path<(String, String)>,
) -> HandlerResult<HttpResponse> {
    let (tenant, template) = path.into_inner();
    let tenant = tenant_id(&tenant)?;
    let template = TemplateId::parse("templateId", &template)?;
    catalog
        .dissociate(catalog.caller(), tenant, template)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
