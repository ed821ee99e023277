//! `POST /v2.0/tokens`: a credential and a scope in, a token out. Reads, the slow hash
//! check and the write are three steps, so no connection (and no SQLite write turn) is
//! held while argon2 runs.

use std::sync::{Arc, OnceLock};

use actix_web::web;

use super::catalog_port::{CatalogService, CatalogSource};
use super::domain::{AuthMethod, Caller, TokenHash};
use super::error::{IdentityError as Error, Result};
use super::requests::{AuthRequest, Credentials, Scope, UserRef};
use super::secrets::Secret;
use super::store::login::{self, Candidate, SecretKind};
use super::store::tenants;
use super::tenant::{Tenant, TenantId, TenantRef};
use crate::platform::db::{now_millis, Database, DbError};
use crate::settings::AuthSettings;

/// What a token is: its id, when it was issued and expires, how it was obtained, its
/// principal (acting in the token's tenant) and tenant.
pub struct TokenDetails {
    pub token_id: String,
    pub expires_at: i64,
    pub issued_at: i64,
    pub method: AuthMethod,
    pub user: Caller,
    pub tenant: Option<Tenant>,
}

impl TokenDetails {
    /// Keystone's audit id of this token.
    pub fn audit_id(&self) -> String {
        TokenHash::of(&self.token_id).audit_id()
    }
}

/// A token just issued, and the catalog that comes with it.
pub struct Issued {
    pub details: TokenDetails,
    pub catalog: Vec<CatalogService>,
}

#[derive(Clone)]
pub struct Login {
    database: Database,
    settings: AuthSettings,
    catalog: Arc<dyn CatalogSource>,
}

impl Login {
    pub fn new(
        database: Database,
        settings: &AuthSettings,
        catalog: Arc<dyn CatalogSource>,
    ) -> Self {
        Self {
            database,
            settings: settings.clone(),
            catalog,
        }
    }

    /// The catalog of a token scoped to `tenant` (or unscoped).
    pub async fn catalog(&self, tenant: Option<TenantId>) -> Result<Vec<CatalogService>> {
        Ok(self.catalog.catalog(tenant).await?)
    }

    /// `client` is the caller's address (failures are counted per principal and address);
    /// `header_token` the `X-Auth-Token` header, which a rescope must match.
    pub async fn authenticate(
        &self,
        request: AuthRequest,
        client: String,
        header_token: Option<String>,
    ) -> Result<Issued> {
        let AuthRequest { credentials, scope } = request;
        let method = match &credentials {
            Credentials::Password { .. } => AuthMethod::Password,
            Credentials::ApiKey { .. } => AuthMethod::ApiKey,
            Credentials::AccessKey { .. } => AuthMethod::AccessKey,
            Credentials::Token { .. } => AuthMethod::Token,
        };
        let (candidate, secret) = self.candidate(credentials, &client, header_token).await?;
        let Some(candidate) = candidate else {
            // Spend the time a real check takes, so an unknown name is not told apart.
            if let Some(secret) = secret {
                web::block(move || secret.matches(decoy_hash())).await.ok();
            }
            return Err(Error::BadCredentials);
        };
        let principal = candidate.caller.id;
        if let Some(secret) = secret {
            self.check_secret(&candidate, secret, &client).await?;
        }
        let user = candidate.caller;
        user.authorize(&super::PrivilegeLevel::ALL)?;
        let scope = match scope {
            Scope::Default => candidate.default_tenant.map(TenantRef::Id),
            Scope::Unscoped => None,
            Scope::Tenant(tenant) => Some(tenant),
        };
        let tenant = self.scope(&user, scope).await?;
        let ttl = self.settings.token_ttl;
        let tenant_id = tenant.as_ref().map(|t| t.id);
        let catalog = self.catalog(tenant_id).await?;
        let issued = self
            .database
            .run_write(move |conn| login::issue(conn, principal, &client, tenant_id, ttl, method))
            .await?;
        Ok(Issued {
            details: TokenDetails {
                token_id: issued.token.expose().to_owned(),
                expires_at: issued.expires_at,
                issued_at: issued.issued_at,
                method,
                user: Caller {
                    tenant: tenant_id,
                    ..user
                },
                tenant,
            },
            catalog,
        })
    }

    /// Throttled, then checked; a mismatch is counted against the principal and client.
    async fn check_secret(
        &self,
        candidate: &Candidate,
        secret: Secret,
        client: &str,
    ) -> Result<()> {
        self.throttle(candidate)?;
        let stored = candidate.stored_hash.clone();
        // A credential kind never set still costs a hash check, like an unknown user.
        let matched = web::block(move || match stored {
            Some(stored) => secret.matches(&stored),
            None => {
                let _ = secret.matches(decoy_hash());
                false
            }
        })
        .await
        .map_err(DbError::Task)?;
        if matched {
            return Ok(());
        }
        let (principal, client) = (candidate.caller.id, client.to_owned());
        self.database
            .run_write(move |conn| login::record_failure(conn, principal, &client))
            .await?;
        Err(Error::BadCredentials)
    }

    /// Whether `original` is the user's password, with the failed-attempt throttle of
    /// every login: a user changing its own password proves it knows the old one.
    pub async fn verify_password(&self, user: i64, original: Secret, client: String) -> Result<()> {
        let address = client.clone();
        let candidate = self
            .database
            .run(move |conn| {
                login::by_user(
                    conn,
                    &super::UserRef::Id(user),
                    SecretKind::Password,
                    &address,
                )
            })
            .await?
            .ok_or(Error::BadCredentials)?;
        self.check_secret(&candidate, original, &client).await
    }

    /// The principal the credential names (if any) and the secret to check (none for a
    /// token, which is itself the proof).
    async fn candidate(
        &self,
        credentials: Credentials,
        client: &str,
        header_token: Option<String>,
    ) -> Result<(Option<Candidate>, Option<Secret>)> {
        let client = client.to_owned();
        let (user, kind, secret) = match credentials {
            Credentials::Password { user, password } => (user, SecretKind::Password, password),
            Credentials::ApiKey { user, api_key } => {
                (UserRef::Name(user), SecretKind::ApiKey, api_key)
            }
            Credentials::AccessKey { access_key, secret } => {
                let found = self
                    .database
                    .run(move |conn| login::by_access_key(conn, &access_key, &client))
                    .await?;
                return Ok((found, Some(secret)));
            }
            Credentials::Token { id } => {
                if header_token.is_some_and(|header| header.trim() != id) {
                    return Err(Error::TokenMismatch);
                }
                let hash = TokenHash::of(&id);
                let found = self
                    .database
                    .run(move |conn| login::by_token(conn, &hash))
                    .await?;
                return match found {
                    Some(found) => Ok((Some(found), None)),
                    None => Err(Error::InvalidToken),
                };
            }
        };
        let found = self
            .database
            .run(move |conn| login::by_user(conn, &user, kind, &client))
            .await?;
        Ok((found, Some(secret)))
    }

    /// Past the threshold, each further failure doubles the wait (up to the maximum)
    /// before this principal may try again from this address.
    fn throttle(&self, candidate: &Candidate) -> Result<()> {
        let threshold = i64::from(self.settings.failures_before_throttle.max(5));
        if candidate.failures < threshold {
            return Ok(());
        }
        let doublings = u32::try_from(candidate.failures - threshold)
            .unwrap_or(u32::MAX)
            .min(20);
        let wait_millis = (1000u64 << doublings).min(self.settings.max_throttle.as_millis() as u64);
        let until = candidate.last_failure_at.saturating_add(wait_millis as i64);
        let now = now_millis();
        if now < until {
            let retry_after = ((until - now) as u64).div_ceil(1000);
            return Err(Error::Throttled { retry_after });
        }
        Ok(())
    }

    /// The tenant a token will be scoped to: it must exist, the principal must belong to
    /// it (SA and SVC act in any tenant), and it must be enabled.
    async fn scope(&self, user: &Caller, scope: Option<TenantRef>) -> Result<Option<Tenant>> {
        let Some(scope) = scope else {
            return Ok(None);
        };
        let principal = user.id;
        let any_tenant = user.acts_in_any_tenant();
        let name = user.name.clone();
        let tenant = self
            .database
            .run(move |conn| {
                let tenant = tenants::find(conn, &scope)
                    .map_err(|_| Error::NotAMember(name.clone(), scope.clone()))?;
                let member = any_tenant || tenants::is_member(conn, principal, tenant.id)?;
                if member {
                    Ok(tenant)
                } else {
                    Err(Error::NotAMember(name, scope))
                }
            })
            .await?;
        if !tenant.enabled {
            return Err(Error::TenantDisabled(tenant.name));
        }
        Ok(Some(tenant))
    }
}

/// The address failed attempts are counted against: the peer, never a header it could
/// forge. Both versions' token routes read it so.
pub fn client_address(request: &actix_web::HttpRequest) -> String {
    request
        .peer_addr()
        .map(|address| address.ip().to_string())
        .unwrap_or_default()
}

/// A hash of nothing anyone knows, checked when a credential names no principal.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| Secret::generate().hash())
}
