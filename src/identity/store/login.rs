//! What authenticating with credentials reads and writes: the principal a credential
//! names with the stored hash to check, failed-attempt counters, and the token issued.

use std::time::Duration;

use diesel::prelude::*;

use super::{insert_token, load_caller, StoredToken};
use crate::identity::domain::{AuthMethod, Caller, TokenHash};
use crate::identity::error::Result;
use crate::identity::requests::UserRef;
use crate::identity::schema::{access_keys, auth_failures, principals, tokens};
use crate::identity::tenant::TenantId;
use crate::platform::db::{now_millis, DbConnection, DbError};

/// A principal as a credential check reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = principals)]
struct PrincipalRow {
    id: i64,
    name: String,
    status: String,
    default_tenant_id: Option<i64>,
    password_hash: Option<String>,
    api_key_hash: Option<String>,
}

/// A principal a credential names, with what the secret must match.
pub struct Candidate {
    pub caller: Caller,
    /// The stored hash the presented secret must match; `None`: that kind of credential
    /// was never set for the principal, so nothing matches.
    pub stored_hash: Option<String>,
    pub default_tenant: Option<TenantId>,
    /// Consecutive failures of this principal from this client, and when the last was.
    pub failures: i64,
    pub last_failure_at: i64,
}

/// Which stored secret a credential is checked against.
pub enum SecretKind {
    Password,
    ApiKey,
}

pub fn by_user(
    conn: &mut DbConnection,
    user: &UserRef,
    kind: SecretKind,
    client: &str,
) -> Result<Option<Candidate>> {
    let query = principals::table
        .select(PrincipalRow::as_select())
        .into_boxed();
    let query = match user {
        UserRef::Name(name) => query.filter(principals::name.eq(name.as_str().to_owned())),
        UserRef::Id(id) => query.filter(principals::id.eq(*id)),
    };
    let Some(row) = query.first::<PrincipalRow>(conn).optional()? else {
        return Ok(None);
    };
    let stored = match kind {
        SecretKind::Password => row.password_hash.clone(),
        SecretKind::ApiKey => row.api_key_hash.clone(),
    };
    candidate(conn, row, stored, client).map(Some)
}

/// An enabled access key's principal; a disabled or unknown key names nobody.
pub fn by_access_key(
    conn: &mut DbConnection,
    access_key: &str,
    client: &str,
) -> Result<Option<Candidate>> {
    let Some((principal, secret_hash)) = access_keys::table
        .filter(access_keys::access_key.eq(access_key))
        .filter(access_keys::enabled.eq(1))
        .select((access_keys::principal_id, access_keys::secret_hash))
        .first::<(i64, String)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let row = principals::table
        .find(principal)
        .select(PrincipalRow::as_select())
        .first::<PrincipalRow>(conn)?;
    candidate(conn, row, Some(secret_hash), client).map(Some)
}

/// The principal of an unexpired token (rescoping): no secret to check.
pub fn by_token(conn: &mut DbConnection, hash: &TokenHash) -> Result<Option<Candidate>> {
    let Some(row) = tokens::table
        .inner_join(principals::table)
        .filter(tokens::token_hash.eq(hash.as_str()))
        .filter(tokens::expires_at.gt(now_millis()))
        .select(PrincipalRow::as_select())
        .first::<PrincipalRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    candidate(conn, row, None, "").map(Some)
}

fn candidate(
    conn: &mut DbConnection,
    row: PrincipalRow,
    stored_hash: Option<String>,
    client: &str,
) -> Result<Candidate> {
    let caller = load_caller(conn, row.id, &row.name, &row.status, None)?;
    let (failures, last_failure_at) = auth_failures::table
        .filter(auth_failures::principal_id.eq(row.id))
        .filter(auth_failures::client.eq(client))
        .select((auth_failures::failures, auth_failures::last_failure_at))
        .first::<(i64, i64)>(conn)
        .optional()?
        .unwrap_or((0, 0));
    Ok(Candidate {
        caller,
        stored_hash,
        default_tenant: row.default_tenant_id.map(TenantId::from_stored),
        failures,
        last_failure_at,
    })
}

/// One more consecutive failure of `principal` from `client`.
pub fn record_failure(conn: &mut DbConnection, principal: i64, client: &str) -> Result<()> {
    let now = now_millis();
    let updated = diesel::update(
        auth_failures::table
            .filter(auth_failures::principal_id.eq(principal))
            .filter(auth_failures::client.eq(client)),
    )
    .set((
        auth_failures::failures.eq(auth_failures::failures + 1),
        auth_failures::last_failure_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        let inserted = diesel::insert_into(auth_failures::table)
            .values((
                auth_failures::principal_id.eq(principal),
                auth_failures::client.eq(client),
                auth_failures::failures.eq(1),
                auth_failures::last_failure_at.eq(now),
            ))
            .execute(conn)
            .map_err(DbError::from);
        // A concurrent failure inserted the row first: count this one on it.
        if let Err(e) = inserted {
            if e.unique_violation().is_none() {
                return Err(e.into());
            }
            return record_failure(conn, principal, client);
        }
    }
    Ok(())
}

/// A success: the principal's failures from `client` are forgiven, and a token issued.
pub fn issue(
    conn: &mut DbConnection,
    principal: i64,
    client: &str,
    tenant: Option<TenantId>,
    ttl: Duration,
    method: AuthMethod,
) -> Result<StoredToken> {
    diesel::delete(
        auth_failures::table
            .filter(auth_failures::principal_id.eq(principal))
            .filter(auth_failures::client.eq(client)),
    )
    .execute(conn)?;
    insert_token(conn, principal, tenant, ttl, method)
}

/// How long a failure is remembered without another one: past this, a quiet address starts
/// afresh (so the table holds only recent guessers).
const FAILURE_MEMORY_MILLIS: i64 = 24 * 3600 * 1000;

/// Forgets failure counts that have been quiet for a day; returns how many.
pub fn forget_old_failures(conn: &mut DbConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(
        auth_failures::table.filter(auth_failures::last_failure_at.lt(now - FAILURE_MEMORY_MILLIS)),
    )
    .execute(conn)?)
}
