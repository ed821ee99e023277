//! Acting in one tenant (the live registry's `/v1.0/{tenantId}`): the token must be good,
//! its principal enabled, and allowed in the path's tenant: SA and SVC anywhere, others
//! in a tenant their token is scoped to or that they belong to. The tenant must exist and
//! be enabled. Then the tenant's gate (the live registry's rate limit) admits the request.

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use moka::sync::Cache;

use super::directory::Directory;
use super::domain::{Caller, PrincipalStatus, TokenHash};
use super::error::{IdentityError as Error, Result};
use super::guard::{presented_token, Authenticator};
use super::tenant::{Tenant, TenantId};
use crate::settings::AuthSettings;

const TENANT_HEADER: &str = "X-Tenant-Id";

/// Admits (or refuses) a request already authorized in `tenant`: the port through which
/// another subsystem (the live registry's rate limit) gets a say before any handler runs.
pub trait TenantGate: Send + Sync {
    fn admit(
        &self,
        tenant: TenantId,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<(), actix_web::Error>>>>;
}

/// Who may act in which tenant, remembered for the authentication cache's TTL.
#[derive(Clone)]
pub struct TenantAccess {
    directory: Directory,
    recent: Cache<(i64, TenantId), Tenant>,
}

impl TenantAccess {
    pub fn new(directory: Directory, settings: &AuthSettings) -> Self {
        Self {
            directory,
            recent: Cache::builder()
                .max_capacity(settings.cache_capacity)
                .time_to_live(settings.cache_ttl.max(std::time::Duration::from_millis(1)))
                .build(),
        }
    }

    async fn check(&self, caller: &Caller, tenant: TenantId) -> Result<Tenant> {
        if caller.status != PrincipalStatus::Enabled {
            return Err(Error::Disabled {
                name: caller.name.clone(),
                status: caller.status,
            });
        }
        if let Some(found) = self.recent.get(&(caller.id, tenant)) {
            return Ok(found);
        }
        let found = match self.directory.tenant(tenant).await {
            Ok(found) => found,
            Err(Error::NoSuchTenant(_)) => return Err(Error::NotInTenant(tenant)),
            Err(error) => return Err(error),
        };
        if !found.enabled {
            return Err(Error::TenantDisabled(found.name));
        }
        let allowed = caller.acts_in_any_tenant()
            || caller.tenant == Some(tenant)
            || self.directory.is_member(caller.id, tenant).await?;
        if !allowed {
            return Err(Error::NotInTenant(tenant));
        }
        self.recent.insert((caller.id, tenant), found.clone());
        Ok(found)
    }
}

/// Whether a route's requests pass the tenant's gate (count against its rate limit):
/// said in the handler's signature, `InTenant<D>` or `InTenant<D, Unmetered>`.
pub trait Metering: 'static {
    const METERED: bool;
}

/// The default: the tenant's gate admits (and counts) every request.
pub struct Metered;

/// Requests bounded otherwise (a heartbeat needs the token the last one returned): not
/// counted, never refused by the gate.
pub struct Unmetered;

impl Metering for Metered {
    const METERED: bool = true;
}

impl Metering for Unmetered {
    const METERED: bool = false;
}

/// App data that acts in one tenant once a caller is admitted there: what [`InTenant`]
/// hands the handler is `D::Scoped`, bound to the path's tenant, so a handler cannot name
/// another tenant.
pub trait TenantScoped: Clone + 'static {
    type Scoped;

    fn in_tenant(&self, tenant: TenantId) -> Self::Scoped;
}

/// `D`, scoped to the path's tenant (`{tenant_id}`), for a caller admitted there. Like
/// [`super::Guarded`], `D` is plain app data, reachable only through this guard.
pub struct InTenant<D: TenantScoped, M: Metering = Metered> {
    tenant: Tenant,
    data: D::Scoped,
    metering: PhantomData<M>,
}

impl<D: TenantScoped, M: Metering> InTenant<D, M> {
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    pub fn tenant_id(&self) -> TenantId {
        self.tenant.id
    }
}

impl<D: TenantScoped, M: Metering> Deref for InTenant<D, M> {
    type Target = D::Scoped;

    fn deref(&self) -> &D::Scoped {
        &self.data
    }
}

impl<D: TenantScoped, M: Metering> FromRequest for InTenant<D, M> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Self, actix_web::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = presented_token(request).map(TokenHash::of);
        let path_tenant = request
            .match_info()
            .get("tenant_id")
            .unwrap_or_default()
            .to_owned();
        let header_tenant = request
            .headers()
            .get(TENANT_HEADER)
            .map(|value| value.to_str().unwrap_or("").trim().to_owned());
        let authenticator = request.app_data::<Authenticator>().cloned();
        let access = request.app_data::<TenantAccess>().cloned();
        let gate = request.app_data::<Arc<dyn TenantGate>>().cloned();
        let data = request.app_data::<D>().cloned();
        Box::pin(async move {
            let hash = presented?;
            let unconfigured = |what| Error::Unconfigured(what);
            let authenticator = authenticator.ok_or_else(|| unconfigured("the authenticator"))?;
            let access = access.ok_or_else(|| unconfigured("tenant access"))?;
            let data = data.ok_or_else(|| unconfigured(std::any::type_name::<D>()))?;
            let caller = authenticator.authenticate(hash).await?;
            // A tenant id that is not one cannot be a tenant the token may act in.
            let tenant = TenantId::parse(&path_tenant)
                .map_err(|_| Error::NotATenant(crate::platform::text::printable(&path_tenant)))?;
            if header_tenant.is_some_and(|header| header != path_tenant) {
                return Err(Error::TenantHeaderMismatch.into());
            }
            let tenant = access.check(&caller, tenant).await?;
            if let Some(gate) = gate.filter(|_| M::METERED) {
                gate.admit(tenant.id).await?;
            }
            Ok(Self {
                data: data.in_tenant(tenant.id),
                tenant,
                metering: PhantomData,
            })
        })
    }
}
