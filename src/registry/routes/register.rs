use actix_web::http::header;
use actix_web::{web, HttpRequest};

use super::{RegisterService, Services, SERVICE_ROUTE};
use crate::platform::http::{read_document, HandlerResult, Reply};
use crate::registry::requests::{decode_service, DOCUMENT};
use crate::registry::views::ServiceView;

/// `POST /services`: 201 once the row is committed.
pub async fn register_service(
    services: Services<RegisterService>,
    request: HttpRequest,
    payload: web::Payload,
) -> HandlerResult<Reply<ServiceView>> {
    let document = read_document(&request, payload, DOCUMENT).await?;
    let service = decode_service(&document)?.into_new_service()?;
    let stored = services.store().register(service).await?;
    let location = request
        .url_for(SERVICE_ROUTE, [stored.id.to_string()])
        .ok()
        .map(String::from);
    Ok(Reply::created(ServiceView(stored)).header(header::LOCATION, location))
}
