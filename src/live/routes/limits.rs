//! `/limits`: the tenant's resource limits with what it holds, and its rate limit with
//! this window's requests.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{HandlerResult, Store};
use crate::live::rate::RateLimiter;
use crate::live::views::{json, LimitsView};

pub async fn get(store: Store, rate: web::Data<RateLimiter>) -> HandlerResult<HttpResponse> {
    let resources = store.limits().await?;
    let held = store.usage().await?;
    let requests = rate.usage(store.tenant_id()).await?;
    Ok(json(
        StatusCode::OK,
        &LimitsView::new(&resources, &held, &requests),
    ))
}
