use actix_web::web;

use crate::domain::{Caller, Operation, ServiceId};
use crate::error::Result;
use crate::http::reply::Reply;
use crate::storage::{services, Database};

/// `GET /services/{serviceId}`
pub async fn get_service(
    caller: Caller,
    path: web::Path<String>,
    database: web::Data<Database>,
) -> Result<Reply> {
    caller.authorize(Operation::GetService)?;
    let id = ServiceId::parse("serviceId", &path)?;
    let service = database.run(move |conn| services::find(conn, id)).await?;
    Ok(Reply::ok(service))
}
