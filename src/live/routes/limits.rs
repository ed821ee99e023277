//! `/limits`: the tenant's resource limits and its rate limit with real usage.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{HandlerResult, Store};
use crate::live::rate::RateLimiter;
use crate::live::views::{json, LimitsView};

pub async fn get(store: Store, rate: web::Data<RateLimiter>) -> HandlerResult<HttpResponse> {
    let resources = store.limits(store.tenant_id()).await?;
    let usage = rate.usage(store.tenant_id()).await?;
    Ok(json(StatusCode::OK, &LimitsView::new(&resources, &usage)))
}
