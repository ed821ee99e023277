use actix_web::{web, HttpRequest};

use super::{GetService, Read, Services};
use crate::platform::http::{negotiated_format, HandlerResult, RenderedReply};
use crate::registry::domain::ServiceId;
use crate::registry::views::ServiceView;
use crate::registry::RegistryError;

/// `GET /services/{serviceId}`
pub async fn get_service(
    services: Services<GetService>,
    path: web::Path<String>,
    request: HttpRequest,
) -> HandlerResult<RenderedReply<Option<ServiceId>>> {
    let id = ServiceId::parse("serviceId", &path)?;
    let store = services.store();
    let rendered = services
        .rendered()
        .get_or_render(Read::One(id), negotiated_format(&request), || async {
            Ok::<_, RegistryError>((ServiceView(store.find(id).await?), None))
        })
        .await?;
    Ok(RenderedReply::ok(rendered))
}
