//! `/events`: the tenant's feed, paged by an inclusive marker, optionally long-polled.

use std::time::Duration;

use actix_web::HttpRequest;

use super::{HandlerResult, Query, Store};
use crate::live::events::{EventId, EventView, FeedQuery};
use crate::live::requests::{event_kind, event_marker, wait_seconds, Paging};
use crate::live::views::ListView;
use crate::platform::db::now_millis;
use crate::platform::http::{Json, Reply};

/// Without a marker the feed starts this far back (or when the tenant was created).
const DEFAULT_HORIZON_MS: i64 = 3_600_000;

pub async fn list(store: Store, request: HttpRequest, query: Query) -> HandlerResult<Reply<Json>> {
    let paging = Paging::from_query(&query)?;
    let kind = event_kind(&query)?;
    let wait = wait_seconds(&query)?;
    let now = now_millis();
    let created_at = store.tenant().created_at;
    let marker = paging
        .marker
        .as_deref()
        .map(|raw| event_marker(raw, now, created_at))
        .transpose()?;
    let start =
        marker.unwrap_or_else(|| EventId::first_at((now - DEFAULT_HORIZON_MS).max(created_at)));
    let page = store
        .events(FeedQuery {
            start,
            marker,
            kind,
            size: paging.size,
            wait: Duration::from_secs(wait),
        })
        .await?;
    Ok(ListView::reply(&request, &paging, &page, EventView::from))
}
