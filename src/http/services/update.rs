use actix_web::{web, HttpRequest};

use crate::domain::{Caller, Operation, ServiceId};
use crate::error::Result;
use crate::http::body::read_service_draft;
use crate::http::reply::Reply;
use crate::storage::{services, Database};

/// `PUT /services/{serviceId}`: full replacement; the path id is authoritative.
pub async fn update_service(
    caller: Caller,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    database: web::Data<Database>,
) -> Result<Reply> {
    caller.authorize(Operation::UpdateService)?;
    let id = ServiceId::parse("serviceId", &path)?;
    let update = read_service_draft(&request, payload)
        .await?
        .into_update(id)?;
    let stored = database
        .run_write(move |conn| services::update(conn, update))
        .await?;
    Ok(Reply::ok(stored))
}
