//! Passwords, API keys and access keys, stored as hashes only.

use diesel::prelude::*;

use super::login::SecretKind;
use super::principal_id;
use crate::identity::error::{IdentityError as Error, Result};
use crate::identity::schema::{access_keys, principals};
use crate::identity::PrincipalName;
use crate::platform::db::{now_millis, DbConnection};

/// Replaces the principal's password or API key (the old one stops working at once).
pub fn set_secret_hash(
    conn: &mut DbConnection,
    name: &PrincipalName,
    kind: SecretKind,
    hash: &str,
) -> Result<()> {
    let row = principals::table.find(principal_id(conn, name)?);
    match kind {
        SecretKind::Password => diesel::update(row)
            .set(principals::password_hash.eq(hash))
            .execute(conn)?,
        SecretKind::ApiKey => diesel::update(row)
            .set(principals::api_key_hash.eq(hash))
            .execute(conn)?,
    };
    Ok(())
}

pub fn add_access_key(
    conn: &mut DbConnection,
    name: &PrincipalName,
    access_key: &str,
    secret_hash: &str,
) -> Result<()> {
    let id = principal_id(conn, name)?;
    diesel::insert_into(access_keys::table)
        .values((
            access_keys::access_key.eq(access_key),
            access_keys::principal_id.eq(id),
            access_keys::secret_hash.eq(secret_hash),
            access_keys::enabled.eq(1),
            access_keys::created_at.eq(now_millis()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn disable_access_key(conn: &mut DbConnection, access_key: &str) -> Result<()> {
    let changed = diesel::update(access_keys::table.find(access_key))
        .set(access_keys::enabled.eq(0))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NoSuchAccessKey);
    }
    Ok(())
}

pub fn delete_access_key(conn: &mut DbConnection, access_key: &str) -> Result<()> {
    let deleted = diesel::delete(access_keys::table.find(access_key)).execute(conn)?;
    if deleted == 0 {
        return Err(Error::NoSuchAccessKey);
    }
    Ok(())
}
