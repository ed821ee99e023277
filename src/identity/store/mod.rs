//! Principals, their levels and status, and hashed tokens, in the database. Private to
//! identity: the rest of the crate goes through [`super::Directory`] and
//! [`super::Authenticator`].

use std::time::Duration;

use diesel::prelude::*;

pub mod credentials;
pub mod login;
pub mod tenants;
pub mod users;

use crate::identity::domain::{
    AuthMethod, Caller, PrincipalName, PrincipalStatus, PrivilegeLevel, Token, TokenHash,
};
use crate::identity::error::{IdentityError as Error, Result};
use crate::identity::schema::{principal_levels, principals, tokens};
use crate::identity::tenant::TenantId;
use crate::platform::db::{now_millis, DbConnection, DbError};

/// Name of the principal created on a brand-new database.
pub const BOOTSTRAP_ADMIN: &str = "admin";

/// Creates a principal with its levels, atomically.
pub fn create(
    conn: &mut DbConnection,
    name: &PrincipalName,
    levels: &[PrivilegeLevel],
) -> Result<()> {
    if levels.is_empty() {
        return Err(Error::invalid(
            "a principal needs at least one privilege level",
        ));
    }
    conn.transaction::<_, Error, _>(|conn| {
        diesel::insert_into(principals::table)
            .values((
                principals::name.eq(name.as_str()),
                principals::name_key.eq(name.key()),
                principals::status.eq(PrincipalStatus::Enabled.as_str()),
                principals::created_at.eq(now_millis()),
            ))
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                e if e.unique_violation().is_some() => Error::PrincipalExists(name.clone()),
                e => Error::Storage(e),
            })?;
        let id = principal_id(conn, name)?;
        grant_levels(conn, id, levels)
    })
}

pub(super) fn grant_levels(
    conn: &mut DbConnection,
    principal_id: i64,
    levels: &[PrivilegeLevel],
) -> Result<()> {
    let mut distinct = levels.to_vec();
    distinct.sort();
    distinct.dedup();
    // One row at a time: MultiConnection cannot express a multi-row INSERT for SQLite.
    for level in distinct {
        diesel::insert_into(principal_levels::table)
            .values((
                principal_levels::principal_id.eq(principal_id),
                principal_levels::level.eq(level.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(super) fn principal_id(conn: &mut DbConnection, name: &PrincipalName) -> Result<i64> {
    principals::table
        .filter(principals::name.eq(name.as_str()))
        .select(principals::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::NoSuchPrincipal(name.clone()))
}

pub fn set_status(
    conn: &mut DbConnection,
    name: &PrincipalName,
    status: PrincipalStatus,
) -> Result<()> {
    let changed = diesel::update(principals::table.filter(principals::name.eq(name.as_str())))
        .set(principals::status.eq(status.as_str()))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NoSuchPrincipal(name.clone()));
    }
    Ok(())
}

/// Issues a new token for `name`, valid for `ttl`; only its hash is stored.
pub fn issue_token(conn: &mut DbConnection, name: &PrincipalName, ttl: Duration) -> Result<Token> {
    let id = principal_id(conn, name)?;
    insert_token(conn, id, None, ttl, AuthMethod::CommandLine).map(|stored| stored.token)
}

/// A token just stored, and the lifetime it was stored with (milliseconds since the epoch).
pub struct StoredToken {
    pub token: Token,
    pub issued_at: i64,
    pub expires_at: i64,
}

pub(super) fn insert_token(
    conn: &mut DbConnection,
    principal_id: i64,
    tenant: Option<TenantId>,
    ttl: Duration,
    method: AuthMethod,
) -> Result<StoredToken> {
    let ttl_millis = i64::try_from(ttl.as_millis())
        .ok()
        .filter(|&ms| ms > 0)
        .ok_or_else(|| {
            Error::invalid("the token lifetime must be positive and below 290 million years")
        })?;
    let token = Token::generate();
    let now = now_millis();
    let expires_at = now.saturating_add(ttl_millis);
    diesel::insert_into(tokens::table)
        .values((
            tokens::token_hash.eq(token.hash().as_str()),
            tokens::principal_id.eq(principal_id),
            tokens::tenant_id.eq(tenant.map(TenantId::get)),
            tokens::expires_at.eq(expires_at),
            tokens::created_at.eq(now),
            tokens::method.eq(method.as_str()),
        ))
        .execute(conn)?;
    Ok(StoredToken {
        token,
        issued_at: now,
        expires_at,
    })
}

pub fn revoke_token(conn: &mut DbConnection, presented: &str) -> Result<()> {
    let hash = TokenHash::of(presented);
    let deleted = diesel::delete(tokens::table.find(hash.as_str())).execute(conn)?;
    if deleted == 0 {
        return Err(Error::NoSuchToken);
    }
    Ok(())
}

/// Deletes the tokens that expired before `now`; returns how many.
pub fn purge_expired_tokens(conn: &mut DbConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(tokens::table.filter(tokens::expires_at.le(now))).execute(conn)?)
}

/// An unexpired token's principal, when the token was issued and expires, and how it was
/// obtained.
#[derive(Clone)]
pub struct Authentication {
    pub caller: Caller,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    pub issued_at: i64,
    pub method: AuthMethod,
}

/// The principal behind an unexpired token, with its status, levels and the token's scope.
pub fn authenticate(conn: &mut DbConnection, hash: &TokenHash) -> Result<Option<Authentication>> {
    type Row = (i64, String, String, i64, Option<i64>, i64, Option<String>);
    let found: Option<Row> = tokens::table
        .inner_join(principals::table)
        .filter(tokens::token_hash.eq(hash.as_str()))
        .filter(tokens::expires_at.gt(now_millis()))
        .select((
            principals::id,
            principals::name,
            principals::status,
            tokens::expires_at,
            tokens::tenant_id,
            tokens::created_at,
            tokens::method,
        ))
        .first(conn)
        .optional()?;
    let Some((id, name, status, expires_at, tenant, issued_at, method)) = found else {
        return Ok(None);
    };
    let caller = load_caller(conn, id, &name, &status, tenant)?;
    Ok(Some(Authentication {
        caller,
        expires_at,
        issued_at,
        method: AuthMethod::from_stored(method.as_deref()),
    }))
}

/// A principal's row and levels as a [`Caller`], acting in `tenant`.
pub(super) fn load_caller(
    conn: &mut DbConnection,
    id: i64,
    name: &str,
    status: &str,
    tenant: Option<i64>,
) -> Result<Caller> {
    // In level order (SA, SVC, DA, DU), whatever order the rows come in.
    let levels: Vec<String> = principal_levels::table
        .filter(principal_levels::principal_id.eq(id))
        .select(principal_levels::level)
        .load(conn)?;
    let caller = (|| {
        Ok::<_, Error>(Caller {
            id,
            name: PrincipalName::parse(name)?,
            status: PrincipalStatus::parse(status)?,
            levels: {
                let mut parsed = levels
                    .iter()
                    .map(|level| PrivilegeLevel::parse(level))
                    .collect::<Result<Vec<_>>>()?;
                parsed.sort();
                parsed
            },
            tenant: tenant.map(TenantId::from_stored),
        })
    })();
    caller.map_err(|e| Error::Corrupt {
        id,
        reason: e.to_string(),
    })
}

/// On a database with no principal at all, creates `admin` (SA) and returns a token for
/// it; otherwise `None`. The conditional INSERT is one statement, so of several processes
/// starting at once on an empty database exactly one bootstraps.
pub fn bootstrap_admin(conn: &mut DbConnection, ttl: Duration) -> Result<Option<Token>> {
    let outcome = conn.transaction::<_, Error, _>(|conn| {
        // Every value is a constant of ours: nothing from outside is spliced into the SQL.
        let inserted = diesel::sql_query(format!(
            "INSERT INTO principals (name, name_key, status, created_at) \
             SELECT '{BOOTSTRAP_ADMIN}', '{BOOTSTRAP_ADMIN}', 'enabled', {now} \
             WHERE NOT EXISTS (SELECT 1 FROM principals)",
            now = now_millis()
        ))
        .execute(conn)
        .map_err(|e| match DbError::from(e) {
            // Another process bootstrapped in the same instant (PostgreSQL: both saw an
            // empty table). Failing the transaction rolls this one back cleanly.
            e if e.unique_violation().is_some() => Error::BootstrappedElsewhere,
            e => Error::Storage(e),
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        let admin = PrincipalName::parse(BOOTSTRAP_ADMIN)?;
        let id = principal_id(conn, &admin)?;
        grant_levels(conn, id, &[PrivilegeLevel::Sa])?;
        insert_token(conn, id, None, ttl, AuthMethod::CommandLine).map(|stored| Some(stored.token))
    });
    match outcome {
        Err(Error::BootstrappedElsewhere) => Ok(None),
        other => other,
    }
}
