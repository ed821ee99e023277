use actix_web::web;

use super::{GetService, Services};
use crate::platform::http::{HandlerResult, Reply};
use crate::registry::domain::ServiceId;
use crate::registry::views::ServiceView;

/// `GET /services/{serviceId}`
pub async fn get_service(
    services: Services<GetService>,
    path: web::Path<String>,
) -> HandlerResult<Reply<ServiceView>> {
    let id = ServiceId::parse("serviceId", &path)?;
    let service = services.find(id).await?;
    Ok(Reply::ok(ServiceView(service)))
}
