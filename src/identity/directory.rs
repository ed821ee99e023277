//! Administration of principals, tenants, credentials and tokens: the command line, tests
//! and bootstrap use it. Blocking unless said otherwise.

use std::time::Duration;

use diesel::Connection;

use super::domain::{PrincipalName, PrincipalStatus, PrivilegeLevel, Token, TokenHash};
use super::error::IdentityError;
use super::login::TokenDetails;
use super::secrets::{generate_access_key, Secret};
use super::store::{self, credentials, tenants};
use super::tenant::{Tenant, TenantId, TenantName, TenantRef};
use crate::platform::db::{now_millis, Database};

type Result<T> = std::result::Result<T, IdentityError>;

/// A principal to create: its levels, the tenants it belongs to, and its default tenant
/// (which makes it a member too).
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub name: PrincipalName,
    pub levels: Vec<PrivilegeLevel>,
    pub tenants: Vec<TenantRef>,
    pub default_tenant: Option<TenantRef>,
}

/// Administration of principals and tokens (the command line, tests, bootstrap). Blocking
/// unless said otherwise.
#[derive(Clone)]
pub struct Directory {
    database: Database,
}

impl Directory {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// Creates a principal with its levels, atomically.
    pub fn create_principal(&self, name: &PrincipalName, levels: &[PrivilegeLevel]) -> Result<()> {
        self.create(&NewPrincipal {
            name: name.clone(),
            levels: levels.to_vec(),
            tenants: Vec::new(),
            default_tenant: None,
        })
    }

    /// Creates a principal with its levels and memberships, atomically.
    pub fn create(&self, new: &NewPrincipal) -> Result<()> {
        self.database.with_connection(|conn| {
            conn.transaction::<_, IdentityError, _>(|conn| {
                store::create(conn, &new.name, &new.levels)?;
                let id = store::principal_id(conn, &new.name)?;
                for tenant in &new.tenants {
                    let tenant = tenants::find(conn, tenant)?.id;
                    tenants::grant(conn, id, tenant)?;
                }
                if let Some(tenant) = &new.default_tenant {
                    let tenant = tenants::find(conn, tenant)?.id;
                    tenants::set_default(conn, id, tenant)?;
                }
                Ok(())
            })
        })
    }

    pub fn create_tenant(
        &self,
        name: &TenantName,
        id: Option<TenantId>,
        description: Option<&str>,
    ) -> Result<TenantId> {
        self.database
            .with_connection(|conn| tenants::create(conn, id, name, description))
    }

    pub fn tenant(&self, tenant: &TenantRef) -> Result<Tenant> {
        self.database
            .with_connection(|conn| tenants::find(conn, tenant))
    }

    pub fn set_tenant_enabled(&self, tenant: &TenantRef, enabled: bool) -> Result<()> {
        self.database
            .with_connection(|conn| tenants::set_enabled(conn, tenant, enabled))
    }

    pub fn grant_tenant(&self, name: &PrincipalName, tenant: &TenantRef) -> Result<()> {
        self.database.with_connection(|conn| {
            let id = store::principal_id(conn, name)?;
            let tenant = tenants::find(conn, tenant)?.id;
            tenants::grant(conn, id, tenant)
        })
    }

    pub fn revoke_tenant(&self, name: &PrincipalName, tenant: &TenantRef) -> Result<()> {
        self.database
            .with_connection(|conn| tenants::revoke(conn, name, tenant))
    }

    /// The tenants a principal belongs to.
    pub fn tenants_of(&self, name: &PrincipalName) -> Result<Vec<Tenant>> {
        self.database.with_connection(|conn| {
            let id = store::principal_id(conn, name)?;
            tenants::of_principal(conn, id)
        })
    }

    /// What a token is: its principal, scope and expiry, checked against `belongs_to`.
    /// Unknown, revoked and expired tokens are not found.
    pub async fn validate(
        &self,
        presented: String,
        belongs_to: Option<TenantId>,
    ) -> Result<TokenDetails> {
        self.database
            .run(move |conn| {
                let found = store::authenticate(conn, &TokenHash::of(&presented))?
                    .ok_or(IdentityError::NoSuchToken)?;
                if let Some(wanted) = belongs_to {
                    if found.caller.tenant != Some(wanted) {
                        return Err(IdentityError::NotInTenant(wanted));
                    }
                }
                let tenant = found
                    .caller
                    .tenant
                    .map(|id| tenants::find(conn, &TenantRef::Id(id)))
                    .transpose()?;
                Ok(TokenDetails {
                    token_id: presented,
                    expires_at: found.expires_at,
                    user: found.caller,
                    tenant,
                })
            })
            .await
    }

    /// Revokes a token at once (nodes' caches forget it within their TTL).
    pub async fn revoke(&self, presented: String) -> Result<()> {
        self.database
            .run_write(move |conn| store::revoke_token(conn, &presented))
            .await
    }

    /// The tenant with this id, without blocking.
    pub async fn find_tenant(&self, tenant: TenantId) -> Result<Tenant> {
        self.database
            .run(move |conn| tenants::find(conn, &TenantRef::Id(tenant)))
            .await
    }

    /// Whether the principal with this id belongs to `tenant`, without blocking.
    pub async fn is_member(&self, principal: i64, tenant: TenantId) -> Result<bool> {
        self.database
            .run(move |conn| tenants::is_member(conn, principal, tenant))
            .await
    }

    /// The tenants of the principal with this id, without blocking.
    pub async fn tenants_of_id(&self, principal: i64) -> Result<Vec<Tenant>> {
        self.database
            .run(move |conn| tenants::of_principal(conn, principal))
            .await
    }

    pub fn set_password(&self, name: &PrincipalName, password: &Secret) -> Result<()> {
        let hash = password.hash();
        self.database
            .with_connection(|conn| credentials::set_password_hash(conn, name, &hash))
    }

    /// A new API key for the principal, replacing the old one; shown only here.
    pub fn new_api_key(&self, name: &PrincipalName) -> Result<Secret> {
        let key = Secret::generate();
        let hash = key.hash();
        self.database
            .with_connection(|conn| credentials::set_api_key_hash(conn, name, &hash))?;
        Ok(key)
    }

    /// A new access key and its secret key; the secret is shown only here.
    pub fn new_access_key(&self, name: &PrincipalName) -> Result<(String, Secret)> {
        let access_key = generate_access_key();
        let secret = Secret::generate();
        let hash = secret.hash();
        self.database
            .with_connection(|conn| credentials::add_access_key(conn, name, &access_key, &hash))?;
        Ok((access_key, secret))
    }

    pub fn disable_access_key(&self, access_key: &str) -> Result<()> {
        self.database
            .with_connection(|conn| credentials::disable_access_key(conn, access_key))
    }

    pub fn delete_access_key(&self, access_key: &str) -> Result<()> {
        self.database
            .with_connection(|conn| credentials::delete_access_key(conn, access_key))
    }

    pub fn set_status(&self, name: &PrincipalName, status: PrincipalStatus) -> Result<()> {
        self.database
            .with_connection(|conn| store::set_status(conn, name, status))
    }

    /// A new token for `name`, valid for `ttl`; only its hash is stored.
    pub fn issue_token(&self, name: &PrincipalName, ttl: Duration) -> Result<Token> {
        self.database
            .with_connection(|conn| store::issue_token(conn, name, ttl))
    }

    pub fn revoke_token(&self, presented: &str) -> Result<()> {
        self.database
            .with_connection(|conn| store::revoke_token(conn, presented))
    }

    /// On a database with no principal at all, creates [`BOOTSTRAP_ADMIN`] (SA) and
    /// returns a token for it; otherwise `None`. Race-free across processes.
    pub fn bootstrap_admin(&self, ttl: Duration) -> Result<Option<Token>> {
        self.database
            .with_connection(|conn| store::bootstrap_admin(conn, ttl))
    }

    /// Deletes expired tokens, and failure counts quiet for a day; returns how many
    /// tokens went.
    pub async fn purge_expired_tokens(&self) -> Result<usize> {
        self.database
            .run_write(|conn| {
                let now = now_millis();
                store::login::forget_old_failures(conn, now)?;
                store::purge_expired_tokens(conn, now)
            })
            .await
    }
}
