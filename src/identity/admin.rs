//! Administration of principals, tenants, credentials and tokens: the command line, tests
//! and bootstrap use it. Every method blocks; requests use [`Directory`](super::Directory).

use std::time::Duration;

use diesel::Connection;

use super::domain::{PrincipalName, PrincipalStatus, PrivilegeLevel, Token};
use super::error::IdentityError;
use super::secrets::{generate_access_key, Secret};
use super::store::login::SecretKind;
use super::store::{self, credentials, tenants};
use super::tenant::{Tenant, TenantId, TenantName, TenantRef};
use crate::platform::db::Database;

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

/// Administration of principals and tokens (the command line, tests, bootstrap). Blocking.
#[derive(Clone)]
pub struct Admin {
    database: Database,
}

impl Admin {
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

    pub fn set_password(&self, name: &PrincipalName, password: &Secret) -> Result<()> {
        let hash = password.hash();
        self.database.with_connection(|conn| {
            credentials::set_secret_hash(conn, name, SecretKind::Password, &hash)
        })
    }

    /// A new API key for the principal, replacing the old one; shown only here.
    pub fn new_api_key(&self, name: &PrincipalName) -> Result<Secret> {
        let key = Secret::generate();
        let hash = key.hash();
        self.database.with_connection(|conn| {
            credentials::set_secret_hash(conn, name, SecretKind::ApiKey, &hash)
        })?;
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
}
