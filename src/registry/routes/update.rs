use actix_web::{web, HttpRequest};

use super::{Services, UpdateService};
use crate::platform::http::{read_document, HandlerResult, Reply};
use crate::registry::domain::ServiceId;
use crate::registry::requests::{decode_service, DOCUMENT};
use crate::registry::views::ServiceView;

/// `PUT /services/{serviceId}`: full replacement; the path id is authoritative.
pub async fn update_service(
    services: Services<UpdateService>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HandlerResult<Reply<ServiceView>> {
    let id = ServiceId::parse("serviceId", &path)?;
    let document = read_document(&request, payload, DOCUMENT).await?;
    let update = decode_service(&document)?.into_update(id)?;
    let stored = services.store().update(update).await?;
    Ok(Reply::ok(ServiceView(stored)))
}
