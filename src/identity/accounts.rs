//! Administration over HTTP (Keystone v3): users, projects (tenants) and role
//! assignments. Every method is async; a password is hashed before a connection is
//! taken, and tokens a change revokes are forgotten on this node at once (other nodes
//! within their cache's TTL).

use actix_web::web;
use diesel::Connection;

use super::directory::Directory;
use super::domain::{PrivilegeLevel, TokenHash};
use super::error::{IdentityError as Error, Result};
use super::secrets::Secret;
use super::store::tenants::{self, TenantChanges};
use super::store::users;
use super::tenant::{Tenant, TenantId, TenantName, TenantRef};
use super::user::{Assignment, NewUser, UserChanges, UserFilter, UserRecord};
use crate::platform::db::DbError;

/// argon2 on the blocking pool, never while holding a connection.
pub(super) async fn hash_password(password: Option<&Secret>) -> Result<Option<String>> {
    let Some(password) = password.cloned() else {
        return Ok(None);
    };
    let hash = web::block(move || password.hash())
        .await
        .map_err(DbError::Task)?;
    Ok(Some(hash))
}

impl Directory {
    pub async fn users(&self, filter: UserFilter) -> Result<Vec<UserRecord>> {
        self.database
            .run(move |conn| users::list(conn, &filter))
            .await
    }

    pub async fn user(&self, id: i64) -> Result<UserRecord> {
        self.database.run(move |conn| users::find(conn, id)).await
    }

    pub async fn create_user(&self, new: NewUser) -> Result<UserRecord> {
        let hash = hash_password(new.password.as_ref()).await?;
        self.database
            .run_write(move |conn| {
                let id = users::create(conn, &new, hash.as_deref())?;
                users::find(conn, id)
            })
            .await
    }

    /// A new password (set by an administrator here) revokes the user's tokens.
    pub async fn update_user(&self, id: i64, changes: UserChanges) -> Result<UserRecord> {
        let hash = hash_password(changes.password.as_ref()).await?;
        let (user, revoked) = self
            .database
            .run_write(move |conn| {
                let revoked = users::update(conn, id, &changes, hash.as_deref())?;
                Ok::<_, Error>((users::find(conn, id)?, revoked))
            })
            .await?;
        self.forget(&revoked);
        Ok(user)
    }

    /// Its tokens stop working on this node at once, elsewhere within the cache's TTL.
    pub async fn delete_user(&self, id: i64) -> Result<()> {
        let revoked = self
            .database
            .run_write(move |conn| users::delete(conn, id))
            .await?;
        self.forget(&revoked);
        Ok(())
    }

    /// Sets a password whose original the caller has proven (see `Login`).
    pub async fn set_password(&self, id: i64, password: Secret) -> Result<()> {
        let hash = hash_password(Some(&password)).await?.unwrap_or_default();
        let revoked = self
            .database
            .run_write(move |conn| users::set_password(conn, id, &hash))
            .await?;
        self.forget(&revoked);
        Ok(())
    }

    pub(super) fn forget(&self, revoked: &[TokenHash]) {
        if let Some(authenticator) = &self.authenticator {
            revoked.iter().for_each(|hash| authenticator.forget(hash));
        }
    }

    pub async fn create_tenant(
        &self,
        name: TenantName,
        description: Option<String>,
        enabled: bool,
    ) -> Result<Tenant> {
        self.database
            .run_write(move |conn| {
                conn.transaction::<_, Error, _>(|conn| {
                    let id = tenants::create(conn, None, &name, description.as_deref())?;
                    if !enabled {
                        tenants::set_enabled(conn, &TenantRef::Id(id), false)?;
                    }
                    tenants::find(conn, &TenantRef::Id(id))
                })
            })
            .await
    }

    pub async fn update_tenant(&self, id: TenantId, changes: TenantChanges) -> Result<Tenant> {
        self.database
            .run_write(move |conn| tenants::update(conn, id, &changes))
            .await
    }

    pub async fn delete_tenant(&self, id: TenantId) -> Result<()> {
        self.database
            .run_write(move |conn| tenants::delete(conn, id))
            .await
    }

    pub async fn assignments(&self) -> Result<Vec<Assignment>> {
        self.database.run(users::assignments).await
    }

    pub async fn assign(&self, assignment: Assignment) -> Result<()> {
        self.database
            .run_write(move |conn| users::assign(conn, assignment))
            .await
    }

    /// A system role assignment: the level, held in no particular project.
    pub async fn grant_level(&self, user: i64, level: PrivilegeLevel) -> Result<()> {
        self.database
            .run_write(move |conn| users::add_level(conn, user, level))
            .await
    }

    pub async fn revoke_level(&self, user: i64, level: PrivilegeLevel) -> Result<()> {
        self.database
            .run_write(move |conn| users::remove_level(conn, user, level))
            .await
    }

    pub async fn unassign(&self, assignment: Assignment) -> Result<()> {
        self.database
            .run_write(move |conn| users::unassign(conn, assignment))
            .await
    }
}
