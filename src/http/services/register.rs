use actix_web::{web, HttpRequest};

use crate::domain::{Caller, Operation};
use crate::error::Result;
use crate::http::body::read_service_draft;
use crate::http::reply::Reply;
use crate::storage::{services, Database};

/// `POST /services`: 201 once the row is committed.
pub async fn register_service(
    caller: Caller,
    request: HttpRequest,
    payload: web::Payload,
    database: web::Data<Database>,
) -> Result<Reply> {
    caller.authorize(Operation::RegisterService)?;
    let service = read_service_draft(&request, payload)
        .await?
        .into_new_service()?;
    let stored = database
        .run_write(move |conn| services::register(conn, service))
        .await?;
    Ok(Reply::created(stored))
}
