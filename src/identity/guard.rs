//! Permission as part of a handler's signature. A handler reaches its subsystem's data only
//! through [`Guarded<P, D>`], which authenticates the `X-Auth-Token` and checks the levels
//! of policy `P` before the handler runs; a handler without a guard has no data to act on.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::time::Duration;

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use moka::sync::Cache;

use super::domain::{Caller, PrivilegeLevel, TokenHash};
use super::error::{IdentityError as Error, Result};
use super::store::{self, Authentication};
use crate::platform::db::{now_millis, Database};
use crate::platform::http::{token_header, Actor, RepeatedHeader};
use crate::platform::metrics::Metrics;
use crate::settings::AuthSettings;
use prometheus::IntCounter;

const AUTH_TOKEN_HEADER: &str = "X-Auth-Token";

/// Who may perform one action: the privilege levels the contract allows for it, and
/// whether a token may act on itself (validate or revoke its own id) without them.
pub trait Policy {
    const ALLOWED: &'static [PrivilegeLevel];

    /// The token the request acts on, when the action admits that token itself.
    fn own_token(_request: &HttpRequest) -> Option<TokenHash> {
        None
    }
}

/// `D` (a subsystem's store), handed out only to a caller that `P` admits.
pub struct Guarded<P, D> {
    caller: Caller,
    data: D,
    _policy: PhantomData<P>,
}

impl<P, D> Guarded<P, D> {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }
}

impl<P, D> Deref for Guarded<P, D> {
    type Target = D;

    fn deref(&self) -> &D {
        &self.data
    }
}

/// `D` must be registered as plain app data (`app_data(store)`, not `web::Data`), so that
/// no handler can extract it without a guard.
impl<P: Policy + 'static, D: Clone + 'static> FromRequest for Guarded<P, D> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let admitted = Self::admit(request);
        Box::pin(async move { admitted.await.map_err(Into::into) })
    }
}

impl<P: Policy + 'static, D: Clone + 'static> Guarded<P, D> {
    /// The guard itself, for an API whose faults differ (Keystone v3 answers a missing
    /// level with 403): the caller `P` admits, or why not.
    pub fn admit(request: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Self>>>> {
        let presented = presented_token(request).map(TokenHash::of);
        let own_token = P::own_token(request);
        let authenticator = request.app_data::<Authenticator>().cloned();
        let data = request.app_data::<D>().cloned();
        let request = request.clone();
        Box::pin(async move {
            let hash = presented?;
            let authenticator = authenticator.ok_or(Error::Unconfigured("the authenticator"))?;
            let data = data.ok_or(Error::Unconfigured(std::any::type_name::<D>()))?;
            let acts_on_itself = own_token.as_ref() == Some(&hash);
            let caller = authenticator.authenticate(hash).await?;
            Actor::record(&request, || {
                format!("principal {} ({})", caller.id, caller.name)
            });
            if acts_on_itself {
                caller.authorize(&PrivilegeLevel::ALL)?;
            } else {
                caller.authorize(P::ALLOWED)?;
            }
            Ok(Self {
                caller,
                data,
                _policy: PhantomData,
            })
        })
    }
}

/// Tokens → callers, with recent successes remembered for at most the configured TTL
/// (and never past the token's expiry), so a busy client costs one database lookup per
/// TTL instead of one per request. Failures are never cached: an unknown token always
/// reaches the database. A token revoked, or a principal disabled, is refused by every
/// node at most one TTL after the change (the node that revokes a token, at once).
#[derive(Clone)]
pub struct Authenticator {
    database: Database,
    recent: Cache<TokenHash, Authentication>,
    hits: IntCounter,
    misses: IntCounter,
}

impl Authenticator {
    pub fn new(database: Database, settings: &AuthSettings, metrics: &Metrics) -> Self {
        let recent = Cache::builder()
            .max_capacity(settings.cache_capacity)
            .time_to_live(settings.cache_ttl.max(Duration::from_millis(1)))
            .build();
        let lookups = metrics.counter_vec(
            "auth_cache_lookups_total",
            "Token lookups by whether the authentication cache answered (hit) or the database (miss)",
            &["result"],
        );
        Self {
            database,
            recent,
            hits: lookups.with_label_values(&["hit"]),
            misses: lookups.with_label_values(&["miss"]),
        }
    }

    /// Forgets a token at once on this node (it was revoked here); other nodes forget it
    /// within their TTL.
    pub(super) fn forget(&self, hash: &TokenHash) {
        self.recent.invalidate(hash);
    }

    pub(super) async fn authenticate(&self, hash: TokenHash) -> Result<Caller> {
        if let Some(found) = self.recent.get(&hash) {
            if now_millis() < found.expires_at {
                self.hits.inc();
                return Ok(found.caller);
            }
            self.recent.invalidate(&hash);
        }
        self.misses.inc();
        let lookup = hash.clone();
        let found = self
            .database
            .run(move |conn| store::authenticate(conn, &lookup))
            .await?
            .ok_or(Error::InvalidToken)?;
        let caller = found.caller.clone();
        self.recent.insert(hash, found);
        Ok(caller)
    }
}

/// Exactly one non-empty token.
pub(super) fn presented_token(request: &HttpRequest) -> Result<&str> {
    offered_token(request)?
        .filter(|token| !token.is_empty())
        .ok_or(Error::MissingToken)
}

/// The `X-Auth-Token` a request sent, if any, blank included (a route that needs none may
/// still be sent one).
pub(super) fn offered_token(request: &HttpRequest) -> Result<Option<&str>> {
    token_header(request, AUTH_TOKEN_HEADER).map_err(|RepeatedHeader| Error::DuplicateToken)
}
