//! `/limits`: the tenant's resource limits with what it holds, its rate limit with this
//! window's requests, and its heartbeats per minute against what its fleet needs.

use actix_web::web;

use super::{HandlerResult, Store};
use crate::live::rate::RateLimiter;
use crate::live::views::LimitsView;
use crate::platform::http::{Json, Reply};

pub async fn get(store: Store, rate: web::Data<RateLimiter>) -> HandlerResult<Reply<Json>> {
    let resources = store.limits().await?;
    let held = store.usage().await?;
    let requests = rate.usage(store.tenant_id()).await?;
    let heartbeats = store.heartbeat_rate().await?;
    Ok(Reply::ok(Json::of(&LimitsView::new(
        &resources,
        &held,
        &requests,
        &heartbeats,
    ))))
}
