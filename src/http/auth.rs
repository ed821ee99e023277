//! `X-Auth-Token` → the [`Caller`] behind it. Only the token's hash is looked up; the
//! token itself is never stored or logged.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::domain::{Caller, TokenHash};
use crate::error::{Error, Result};
use crate::storage::principals::{self, Authentication};
use crate::storage::{now_millis, Database};

const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

/// How stale an authentication may be. A token revoked, or a principal disabled or
/// suspended, is refused by every node at most this long after the change.
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(1);
/// Entries kept at most; beyond it, stale entries go first, then everything.
const AUTH_CACHE_CAPACITY: usize = 10_000;

/// Recent successful authentications, so a busy client costs one database lookup per
/// [`AUTH_CACHE_TTL`] instead of one per request. Failures are never cached: an unknown
/// token always reaches the database, and a cached entry never outlives its token.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<TokenHash, Cached>>,
}

struct Cached {
    caller: Caller,
    checked: Instant,
    expires_at: i64,
}

impl TokenCache {
    fn get(&self, hash: &TokenHash) -> Option<Caller> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(hash)
            .filter(|entry| {
                entry.checked.elapsed() < AUTH_CACHE_TTL && now_millis() < entry.expires_at
            })
            .map(|entry| entry.caller.clone())
    }

    fn put(&self, hash: TokenHash, found: &Authentication) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= AUTH_CACHE_CAPACITY {
            entries.retain(|_, entry| entry.checked.elapsed() < AUTH_CACHE_TTL);
            if entries.len() >= AUTH_CACHE_CAPACITY {
                entries.clear();
            }
        }
        let entry = Cached {
            caller: found.caller.clone(),
            checked: Instant::now(),
            expires_at: found.expires_at,
        };
        entries.insert(hash, entry);
    }
}

impl FromRequest for Caller {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Caller>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = presented_token(request).map(TokenHash::of);
        let database = request.app_data::<web::Data<Database>>().cloned();
        let cache = request.app_data::<web::Data<TokenCache>>().cloned();
        Box::pin(async move {
            let hash = presented?;
            let (database, cache) = database.zip(cache).ok_or(Error::Internal)?;
            if let Some(caller) = cache.get(&hash) {
                return Ok(caller);
            }
            let lookup = hash.clone();
            let found = database
                .run(move |conn| principals::authenticate(conn, &lookup))
                .await?
                .ok_or_else(|| {
                    Error::unauthenticated(
                        "Invalid credentials: the token is unknown, expired or revoked",
                    )
                })?;
            cache.put(hash, &found);
            Ok(found.caller)
        })
    }
}

/// Exactly one non-empty token: two headers could name two principals, and picking either
/// would make the answer depend on header order.
fn presented_token(request: &HttpRequest) -> Result<&str> {
    let mut values = request.headers().get_all(AUTH_TOKEN_HEADER);
    let missing =
        || Error::unauthenticated("a valid token must be presented in the X-Auth-Token header");
    let first = values.next().ok_or_else(missing)?;
    if values.next().is_some() {
        return Err(Error::unauthenticated(
            "send exactly one X-Auth-Token header",
        ));
    }
    first
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(missing)
}
