//! `/limits`: the tenant's resource limits with what it holds, and its rate limit with
//! this window's requests.

use actix_web::web;

use super::{HandlerResult, Store};
use crate::live::rate::RateLimiter;
use crate::live::views::LimitsView;
use crate::platform::http::{Json, Reply};

pub async fn get(store: Store, rate: web::Data<RateLimiter>) -> HandlerResult<Reply<Json>> {
    let resources = store.limits().await?;
    let held = store.usage().await?;
    let requests = rate.usage(store.tenant_id()).await?;
    Ok(Reply::ok(Json::of(&LimitsView::new(
        &resources, &held, &requests,
    ))))
}
