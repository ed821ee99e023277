//! Every page of a list as one stream of items.

use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};

use crate::client::Page;
use crate::error::Result;

/// Fetches page after page (`fetch(marker)`) until one has no next marker; an error ends
/// the stream after it is yielded.
pub(crate) fn all<T, F, Fut>(fetch: F) -> impl Stream<Item = Result<T>>
where
    F: Fn(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    stream::unfold((fetch, Some(None)), |(fetch, state)| async move {
        let marker: Option<String> = state?;
        match fetch(marker).await {
            Ok(page) => {
                let next = page.next_marker.map(Some);
                let items: Vec<Result<T>> = page.values.into_iter().map(Ok).collect();
                Some((stream::iter(items), (fetch, next)))
            }
            Err(error) => Some((stream::iter(vec![Err(error)]), (fetch, None))),
        }
    })
    .flatten()
}
