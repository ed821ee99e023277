//! Representations rendered once and served many times: a cache keyed by what was asked
//! (resource, query, format) and by the data's epoch (see `crate::platform::freshness`),
//! and [`RenderedReply`], which answers with cached bytes and their `ETag`.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, Responder};
use moka::sync::Cache;
use prometheus::IntCounter;
use xxhash_rust::xxh3::xxh3_128;

use super::negotiation::Format;
use super::representation::{encode, Representation};
use crate::platform::freshness::Freshness;
use crate::platform::metrics::Metrics;

/// A strong entity tag of a body: its 128-bit xxh3, the same on every node and build.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{:032x}\"", xxh3_128(body)))
        .expect("hex digits in quotes are a valid header value")
}

/// One representation, ready to send, with what the handler still needs of the data it
/// came from (a page's next marker).
pub struct Rendered<M> {
    pub body: Bytes,
    pub etag: HeaderValue,
    pub format: Format,
    pub meta: M,
}

impl<M> Rendered<M> {
    pub fn new(representation: &impl Representation, format: Format, meta: M) -> Self {
        let body = Bytes::from(encode(representation, format));
        Self {
            etag: etag_of(&body),
            body,
            format,
            meta,
        }
    }
}

/// The lookups of one cache, as counted in `read_cache_lookups_total`.
struct Lookups {
    hit: IntCounter,
    miss: IntCounter,
    bypass: IntCounter,
}

/// Representations by (epoch, format, what was asked).
type Entries<K, M> = Cache<(u64, Format, K), Arc<Rendered<M>>>;

/// Rendered representations of one kind of data, dropped whenever its epoch moves.
/// Bounded by the bytes it holds; entries of past epochs are never read again and are
/// the first to be evicted.
pub struct RenderCache<K, M> {
    freshness: Freshness,
    /// `None`: the cache is off (`cache.capacity_bytes = 0`), every read renders.
    entries: Option<Entries<K, M>>,
    lookups: Lookups,
}

impl<K, M> Clone for RenderCache<K, M> {
    fn clone(&self) -> Self {
        Self {
            freshness: self.freshness.clone(),
            entries: self.entries.clone(),
            lookups: Lookups {
                hit: self.lookups.hit.clone(),
                miss: self.lookups.miss.clone(),
                bypass: self.lookups.bypass.clone(),
            },
        }
    }
}

impl<K, M> RenderCache<K, M>
where
    K: Hash + Eq + Send + Sync + 'static,
    M: Send + Sync + 'static,
{
    pub fn new(name: &str, freshness: Freshness, capacity_bytes: u64, metrics: &Metrics) -> Self {
        let entries = (capacity_bytes > 0).then(|| {
            Cache::builder()
                .max_capacity(capacity_bytes)
                .weigher(|_, rendered: &Arc<Rendered<M>>| {
                    u32::try_from(rendered.body.len() + 128).unwrap_or(u32::MAX)
                })
                .build()
        });
        let lookup = |result| metrics.read_cache.with_label_values(&[name, result]);
        Self {
            freshness,
            entries,
            lookups: Lookups {
                hit: lookup("hit"),
                miss: lookup("miss"),
                bypass: lookup("bypass"),
            },
        }
    }

    /// The cached representation of `key` in `format`, or the one `load` renders (which
    /// is then cached under the epoch read *before* loading, so a write that commits
    /// while it loads makes the entry unreachable rather than stale).
    pub async fn get_or_render<E, R, Fut>(
        &self,
        key: K,
        format: Format,
        load: impl FnOnce() -> Fut,
    ) -> Result<Arc<Rendered<M>>, E>
    where
        R: Representation,
        Fut: Future<Output = Result<(R, M), E>>,
    {
        let (Some(entries), Some(epoch)) = (&self.entries, self.freshness.epoch()) else {
            self.lookups.bypass.inc();
            let (representation, meta) = load().await?;
            return Ok(Arc::new(Rendered::new(&representation, format, meta)));
        };
        let key = (epoch, format, key);
        if let Some(rendered) = entries.get(&key) {
            self.lookups.hit.inc();
            return Ok(rendered);
        }
        self.lookups.miss.inc();
        let (representation, meta) = load().await?;
        let rendered = Arc::new(Rendered::new(&representation, format, meta));
        entries.insert(key, Arc::clone(&rendered));
        Ok(rendered)
    }
}

/// 200 with a rendered representation, its `ETag` and any extra headers (`Link`).
pub struct RenderedReply<M> {
    rendered: Arc<Rendered<M>>,
    headers: Vec<(HeaderName, String)>,
}

impl<M> RenderedReply<M> {
    pub fn ok(rendered: Arc<Rendered<M>>) -> Self {
        Self {
            rendered,
            headers: Vec::new(),
        }
    }

    /// Adds a header; `None` adds nothing.
    pub fn header(mut self, name: HeaderName, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.headers.push((name, value));
        }
        self
    }
}

impl<M> Responder for RenderedReply<M> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::build(StatusCode::OK);
        response
            .content_type(self.rendered.format.media_type())
            .insert_header((header::ETAG, self.rendered.etag.clone()));
        for header in self.headers {
            response.insert_header(header);
        }
        response.body(self.rendered.body.clone())
    }
}
