//! Principals, their levels and status, and hashed tokens.

use std::time::Duration;

use diesel::prelude::*;

use super::schema::{principal_levels, principals, tokens};
use super::{now_millis, unexpected, unique_violation, DbConnection};
use crate::domain::{Caller, PrincipalName, PrincipalStatus, PrivilegeLevel, Token, TokenHash};
use crate::error::{Error, Result};

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
    conn.transaction(|conn| {
        diesel::insert_into(principals::table)
            .values((
                principals::name.eq(name.as_str()),
                principals::status.eq(PrincipalStatus::Enabled.as_str()),
                principals::created_at.eq(now_millis()),
            ))
            .execute(conn)
            .map_err(|e| match unique_violation(&e) {
                Some(_) => Error::conflict(format!("principal '{name}' already exists")),
                None => unexpected(e),
            })?;
        let id = principal_id(conn, name)?;
        grant(conn, id, levels)
    })
}

fn grant(conn: &mut DbConnection, principal_id: i64, levels: &[PrivilegeLevel]) -> Result<()> {
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
            .execute(conn)
            .map_err(unexpected)?;
    }
    Ok(())
}

fn principal_id(conn: &mut DbConnection, name: &PrincipalName) -> Result<i64> {
    principals::table
        .filter(principals::name.eq(name.as_str()))
        .select(principals::id)
        .first(conn)
        .optional()
        .map_err(unexpected)?
        .ok_or_else(|| Error::not_found(format!("no principal is named '{name}'")))
}

pub fn set_status(
    conn: &mut DbConnection,
    name: &PrincipalName,
    status: PrincipalStatus,
) -> Result<()> {
    let changed = diesel::update(principals::table.filter(principals::name.eq(name.as_str())))
        .set(principals::status.eq(status.as_str()))
        .execute(conn)
        .map_err(unexpected)?;
    if changed == 0 {
        return Err(Error::not_found(format!("no principal is named '{name}'")));
    }
    Ok(())
}

/// Issues a new token for `name`, valid for `ttl`; only its hash is stored.
pub fn issue_token(conn: &mut DbConnection, name: &PrincipalName, ttl: Duration) -> Result<Token> {
    let id = principal_id(conn, name)?;
    insert_token(conn, id, ttl)
}

fn insert_token(conn: &mut DbConnection, principal_id: i64, ttl: Duration) -> Result<Token> {
    let ttl_millis = i64::try_from(ttl.as_millis())
        .ok()
        .filter(|&ms| ms > 0)
        .ok_or_else(|| {
            Error::invalid("the token lifetime must be positive and below 290 million years")
        })?;
    let token = Token::generate();
    let now = now_millis();
    diesel::insert_into(tokens::table)
        .values((
            tokens::token_hash.eq(token.hash().as_str()),
            tokens::principal_id.eq(principal_id),
            tokens::expires_at.eq(now.saturating_add(ttl_millis)),
            tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(unexpected)?;
    Ok(token)
}

pub fn revoke_token(conn: &mut DbConnection, presented: &str) -> Result<()> {
    let hash = TokenHash::of(presented);
    let deleted = diesel::delete(tokens::table.find(hash.as_str()))
        .execute(conn)
        .map_err(unexpected)?;
    if deleted == 0 {
        return Err(Error::not_found(
            "no such token (it may have been revoked already)",
        ));
    }
    Ok(())
}

/// An unexpired token's principal, and when the token expires.
pub struct Authentication {
    pub caller: Caller,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
}

/// The principal behind an unexpired token, with its status and levels.
pub fn authenticate(conn: &mut DbConnection, hash: &TokenHash) -> Result<Option<Authentication>> {
    let found: Option<(i64, String, String, i64)> = tokens::table
        .inner_join(principals::table)
        .filter(tokens::token_hash.eq(hash.as_str()))
        .filter(tokens::expires_at.gt(now_millis()))
        .select((
            principals::id,
            principals::name,
            principals::status,
            tokens::expires_at,
        ))
        .first(conn)
        .optional()
        .map_err(unexpected)?;
    let Some((id, name, status, expires_at)) = found else {
        return Ok(None);
    };
    let levels: Vec<String> = principal_levels::table
        .filter(principal_levels::principal_id.eq(id))
        .select(principal_levels::level)
        .load(conn)
        .map_err(unexpected)?;
    let caller = (|| {
        Ok::<_, Error>(Caller {
            name: PrincipalName::parse(&name)?,
            status: PrincipalStatus::parse(&status)?,
            levels: levels
                .iter()
                .map(|level| PrivilegeLevel::parse(level))
                .collect::<Result<_>>()?,
        })
    })();
    caller
        .map(|caller| Some(Authentication { caller, expires_at }))
        .map_err(|e| {
            log::error!("stored principal {id} is invalid: {e}");
            Error::Internal
        })
}

/// On a database with no principal at all, creates `admin` (SA) and returns a token for
/// it; otherwise `None`. The conditional INSERT is one statement, so of several processes
/// starting at once on an empty database exactly one bootstraps.
pub fn bootstrap_admin(conn: &mut DbConnection, ttl: Duration) -> Result<Option<Token>> {
    let outcome = conn.transaction(|conn| {
        // Every value is a constant of ours: nothing from outside is spliced into the SQL.
        let inserted = diesel::sql_query(format!(
            "INSERT INTO principals (name, status, created_at) \
             SELECT '{BOOTSTRAP_ADMIN}', 'enabled', {now} \
             WHERE NOT EXISTS (SELECT 1 FROM principals)",
            now = now_millis()
        ))
        .execute(conn)
        .map_err(|e| match unique_violation(&e) {
            // Another process bootstrapped in the same instant (PostgreSQL: both saw an
            // empty table). Failing the transaction rolls this one back cleanly.
            Some(_) => Error::conflict("bootstrapped by another process"),
            None => unexpected(e),
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        let admin = PrincipalName::parse(BOOTSTRAP_ADMIN)?;
        let id = principal_id(conn, &admin)?;
        grant(conn, id, &[PrivilegeLevel::Sa])?;
        insert_token(conn, id, ttl).map(Some)
    });
    match outcome {
        Err(Error::Conflict(_)) => Ok(None),
        other => other,
    }
}
