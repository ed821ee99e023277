use actix_web::{web, HttpRequest};
use serde::Deserialize;

use crate::domain::{Caller, Operation, PageRequest};
use crate::error::{Error, Result};
use crate::http::reply::Reply;
use crate::storage::{services, Database};

#[derive(Deserialize)]
struct ListParams {
    limit: Option<String>,
    marker: Option<String>,
    #[serde(rename = "serviceType")]
    service_type: Option<String>,
}

/// `GET /services?limit=&marker=&serviceType=`
pub async fn list_services(
    caller: Caller,
    request: HttpRequest,
    database: web::Data<Database>,
) -> Result<Reply> {
    caller.authorize(Operation::ListServices)?;
    let params = web::Query::<ListParams>::from_query(request.query_string())
        .map_err(|e| Error::invalid(format!("malformed query string: {e}")))?;
    let page_request = PageRequest::parse(
        params.limit.as_deref(),
        params.marker.as_deref(),
        params.service_type.as_deref(),
    )?;
    let query = page_request.clone();
    let page = database
        .run(move |conn| services::list(conn, &query))
        .await?;
    Ok(Reply::page(page, page_request))
}
