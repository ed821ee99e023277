//! The live registry's JSON, as RSR's clients read it. Handlers write it through the
//! platform's `Reply` and `Json` (RSR's media type comes from the path's dialect).

use std::collections::BTreeMap;

use actix_web::HttpRequest;
use serde::Serialize;

use super::domain::{HeartbeatToken, Service};
use super::rate::RateUsage;
use super::requests::Paging;
use super::store::{HeartbeatRate, ResourceLimits, Usage};
use crate::platform::http::{Json, Reply};
use crate::platform::paging::{next_href, Page};

#[derive(Serialize)]
pub struct ServiceView<'a> {
    pub id: &'a str,
    pub tags: &'a [String],
    pub metadata: &'a BTreeMap<String, String>,
    pub heartbeat_timeout: i64,
    pub last_seen: Option<i64>,
}

impl<'a> From<&'a Service> for ServiceView<'a> {
    fn from(service: &'a Service) -> Self {
        Self {
            id: service.id.as_str(),
            tags: service.tags.as_slice(),
            metadata: service.metadata.as_map(),
            heartbeat_timeout: service.heartbeat_timeout.seconds(),
            last_seen: service.last_seen,
        }
    }
}

#[derive(Serialize)]
pub struct TokenView {
    pub token: String,
}

impl From<HeartbeatToken> for TokenView {
    fn from(token: HeartbeatToken) -> Self {
        Self {
            token: token.to_string(),
        }
    }
}

#[derive(Serialize)]
pub struct ValueView<'a> {
    pub id: &'a str,
    pub value: &'a str,
}

/// `{"values": [...], "metadata": {...}}`: one page of any list.
#[derive(Serialize)]
pub struct ListView<T> {
    pub values: Vec<T>,
    pub metadata: ListMetadata,
}

#[derive(Serialize)]
pub struct ListMetadata {
    pub count: usize,
    pub limit: usize,
    pub marker: Option<String>,
    pub next_marker: Option<String>,
    pub next_href: Option<String>,
}

impl<T: Serialize> ListView<T> {
    /// The reply for `page`, read as `paging` asked, each item shown by `view`.
    pub fn reply<'a, I: 'a>(
        request: &HttpRequest,
        paging: &Paging,
        page: &'a Page<I, String>,
        view: impl Fn(&'a I) -> T,
    ) -> Reply<Json> {
        let values: Vec<T> = page.items.iter().map(view).collect();
        let next = page.next.clone();
        let next_href = next.as_deref().map(|next| next_href(request, next));
        Reply::ok(Json::of(&Self {
            metadata: ListMetadata {
                count: values.len(),
                limit: usize::from(paging.size.get()),
                marker: paging.marker.clone(),
                next_marker: next,
                next_href,
            },
            values,
        }))
    }
}

/// RSR's `{resource, rate}`, plus two of ours: what the tenant holds now (`usage`, the
/// counts its resource limits are checked against), and its fleet's heartbeats in the last
/// complete minute against what its live services need (`heartbeats`).
#[derive(Serialize)]
pub struct LimitsView {
    pub resource: ResourceView,
    pub rate: BTreeMap<&'static str, RateView>,
    pub usage: ResourceView,
    pub heartbeats: HeartbeatRateView,
}

#[derive(Serialize)]
pub struct HeartbeatRateView {
    pub per_minute: i64,
    pub needed_per_minute: i64,
    /// Milliseconds since the epoch.
    pub window_end: i64,
}

#[derive(Serialize)]
pub struct ResourceView {
    pub service: i64,
    pub configuration_value: i64,
}

#[derive(Serialize)]
pub struct RateView {
    pub limit: i64,
    pub used: i64,
    pub window: String,
}

impl LimitsView {
    pub fn new(
        resources: &ResourceLimits,
        usage: &Usage,
        rate: &RateUsage,
        heartbeats: &HeartbeatRate,
    ) -> Self {
        Self {
            resource: ResourceView {
                service: resources.services,
                configuration_value: resources.configuration_values,
            },
            rate: BTreeMap::from([(
                "/.*",
                RateView {
                    limit: rate.policy.requests(),
                    used: rate.used,
                    window: hours(rate.policy.window_ms()),
                },
            )]),
            usage: ResourceView {
                service: usage.services,
                configuration_value: usage.configuration_values,
            },
            heartbeats: HeartbeatRateView {
                per_minute: heartbeats.per_minute,
                needed_per_minute: heartbeats.needed_per_minute,
                window_end: heartbeats.window_end,
            },
        }
    }
}

/// RSR's "24.0 hours": one decimal, more (up to four) when a shorter window needs them.
fn hours(window_ms: i64) -> String {
    let precise = format!("{:.4}", window_ms as f64 / 3_600_000.0);
    let trimmed = precise.trim_end_matches('0');
    let shown = if trimmed.ends_with('.') {
        &precise[..trimmed.len() + 1]
    } else {
        trimmed
    };
    format!("{shown} hours")
}

#[cfg(test)]
mod tests {
    use super::hours;

    #[test]
    fn windows_read_as_rsr_writes_them() {
        assert_eq!(hours(86_400_000), "24.0 hours");
        assert_eq!(hours(1_800_000), "0.5 hours");
        assert_eq!(hours(60_000), "0.0167 hours");
        assert_eq!(hours(1_000), "0.0003 hours");
    }
}
