//! The events feed: one page, or [`Events::follow`], a stream that long-polls forever.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::stream::{self, Stream};

use crate::client::{page, query, Client, Page};
use crate::error::Result;
use crate::retry;
use crate::types::Event;
use backon::ExponentialBackoff;

/// How long each long poll of [`Events::follow`] waits for news.
const WAIT_SECONDS: u32 = 20;

#[derive(Clone)]
pub struct Events {
    client: Client,
}

impl Events {
    pub(crate) fn new(client: Client) -> Self {
        Self { client }
    }

    /// One page from `marker` (inclusive; without one, the feed's last hour), of `kind`
    /// (`service.join`, ...) if given.
    pub async fn list_page(
        &self,
        marker: Option<&str>,
        kind: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Event>> {
        self.fetch(marker, kind, limit, None).await
    }

    async fn fetch(
        &self,
        marker: Option<&str>,
        kind: Option<&str>,
        limit: Option<u32>,
        wait: Option<u32>,
    ) -> Result<Page<Event>> {
        let query = query(&[
            ("marker", marker.map(str::to_owned)),
            ("type", kind.map(str::to_owned)),
            ("limit", limit.map(|l| l.to_string())),
            ("wait", wait.map(|w| w.to_string())),
        ]);
        page(self.client.live_get("/events", &query).await?).await
    }

    /// Every event after `after` (exclusive; without it, from the start of the feed's
    /// last hour), then each new one as it happens. After an error (yielded as is) it
    /// resumes from the last event it yielded, so none is yielded twice or skipped.
    pub fn follow(&self, after: Option<String>) -> impl Stream<Item = Result<Event>> {
        let events = self.clone();
        let state = Follow {
            marker: after.clone(),
            seen: after,
            buffered: VecDeque::new(),
            retrying: None,
        };
        stream::unfold(state, move |mut state| {
            let events = events.clone();
            async move {
                loop {
                    if let Some(event) = state.buffered.pop_front() {
                        state.seen = Some(event.id.clone());
                        return Some((Ok(event), state));
                    }
                    if let Some(delays) = &mut state.retrying {
                        tokio::time::sleep(retry::next(delays)).await;
                    }
                    let wait = if state.marker.is_some() {
                        Some(WAIT_SECONDS)
                    } else {
                        None
                    };
                    match events
                        .fetch(state.marker.as_deref(), None, Some(100), wait)
                        .await
                    {
                        Ok(page) => {
                            state.retrying = None;
                            let seen = state.seen.clone();
                            state
                                .buffered
                                .extend(page.values.into_iter().filter(|event| {
                                    seen.as_deref().is_none_or(|seen| event.id.as_str() > seen)
                                }));
                            state.marker = match page.next_marker {
                                Some(next) => Some(next),
                                None => state
                                    .buffered
                                    .back()
                                    .map(|event| event.id.clone())
                                    .or(state.marker.take())
                                    .or_else(|| state.seen.clone()),
                            };
                            if state.marker.is_none() {
                                // An empty feed: wait for its first event from now on.
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                        Err(error) => {
                            state.retrying.get_or_insert_with(retry::delays);
                            return Some((Err(error), state));
                        }
                    }
                }
            }
        })
    }
}

struct Follow {
    /// Where the next page starts (inclusive).
    marker: Option<String>,
    /// The last event yielded: nothing at or before it is yielded again.
    seen: Option<String>,
    buffered: VecDeque<Event>,
    /// The retry delays since the last failure; `None` after a success.
    retrying: Option<ExponentialBackoff>,
}
