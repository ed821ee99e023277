//! What requests ask of identity's records: tokens validated and revoked, tenants and
//! memberships looked up, and the purge of expired tokens. Every method is async (the
//! database work runs on the blocking pool); administration is [`Admin`](super::Admin).

use super::domain::TokenHash;
use super::error::IdentityError;
use super::guard::Authenticator;
use super::login::TokenDetails;
use super::store::{self, tenants};
use super::tenant::{Tenant, TenantId, TenantRef};
use crate::platform::db::{now_millis, Database};

type Result<T> = std::result::Result<T, IdentityError>;

/// Identity's records as requests see them. Cheap to clone.
#[derive(Clone)]
pub struct Directory {
    pub(super) database: Database,
    /// This node's cache of recent tokens, which a revocation here empties of the token.
    pub(super) authenticator: Option<Authenticator>,
}

impl Directory {
    pub fn new(database: Database) -> Self {
        Self {
            database,
            authenticator: None,
        }
    }

    /// A directory whose revocations take effect on this node at once.
    pub(super) fn revoking_in(database: Database, authenticator: Authenticator) -> Self {
        Self {
            database,
            authenticator: Some(authenticator),
        }
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
                    issued_at: found.issued_at,
                    method: found.method,
                    user: found.caller,
                    tenant,
                })
            })
            .await
    }

    /// Revokes a token: this node refuses it at once, other nodes within their cache's TTL.
    pub async fn revoke_token(&self, presented: String) -> Result<()> {
        let hash = TokenHash::of(&presented);
        let revoked = self
            .database
            .run_write(move |conn| store::revoke_token(conn, &presented))
            .await;
        if let Some(authenticator) = &self.authenticator {
            authenticator.forget(&hash);
        }
        revoked
    }

    /// The tenant with this id.
    pub async fn tenant(&self, tenant: TenantId) -> Result<Tenant> {
        self.database
            .run(move |conn| tenants::find(conn, &TenantRef::Id(tenant)))
            .await
    }

    /// Whether the principal with this id belongs to `tenant`.
    pub async fn is_member(&self, principal: i64, tenant: TenantId) -> Result<bool> {
        self.database
            .run(move |conn| tenants::is_member(conn, principal, tenant))
            .await
    }

    /// Every tenant, by id.
    pub async fn all_tenants(&self) -> Result<Vec<Tenant>> {
        self.database.run(tenants::all).await
    }

    /// The tenants of the principal with this id.
    pub async fn tenants_of(&self, principal: i64) -> Result<Vec<Tenant>> {
        self.database
            .run(move |conn| tenants::of_principal(conn, principal))
            .await
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
