//! Users as Keystone v3 administers them: principals with their attributes, created,
//! changed and deleted; the tokens a password change or a deletion revokes; and role
//! assignments (memberships × levels).

use std::collections::HashMap;

use diesel::prelude::*;

use super::{grant_levels, load_caller, tenants};
use crate::identity::domain::{PrincipalName, PrincipalStatus, PrivilegeLevel, TokenHash};
use crate::identity::error::{IdentityError as Error, Result};
use crate::identity::schema::{principal_levels, principal_tenants, principals, tokens};
use crate::identity::tenant::{TenantId, TenantRef};
use crate::identity::user::{Assignment, NewUser, UserChanges, UserFilter, UserRecord};
use crate::platform::db::{now_millis, DbConnection, DbError};
use crate::platform::text::fold_key;

/// A user's row as a record reads it: its credentials' hashes stay in the database.
#[derive(Queryable, Selectable)]
#[diesel(table_name = principals)]
struct UserRow {
    id: i64,
    name: String,
    status: String,
    default_tenant_id: Option<i64>,
    email: Option<String>,
    description: Option<String>,
}

fn record(conn: &mut DbConnection, row: UserRow) -> Result<UserRecord> {
    Ok(UserRecord {
        caller: load_caller(conn, row.id, &row.name, &row.status, None)?,
        default_tenant: row.default_tenant_id.map(TenantId::from_stored),
        email: row.email,
        description: row.description,
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<UserRecord> {
    let row: UserRow = principals::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NoSuchUser(id))?;
    record(conn, row)
}

/// Every user the filter keeps, by id.
pub fn list(conn: &mut DbConnection, filter: &UserFilter) -> Result<Vec<UserRecord>> {
    let mut query = principals::table
        .select(UserRow::as_select())
        .order(principals::id.asc())
        .into_boxed();
    if let Some(name) = &filter.name {
        query = query.filter(principals::name_key.eq(fold_key(name.trim())));
    }
    if let Some(enabled) = filter.enabled {
        let enabled_status = PrincipalStatus::Enabled.as_str();
        query = if enabled {
            query.filter(principals::status.eq(enabled_status))
        } else {
            query.filter(principals::status.ne(enabled_status))
        };
    }
    let rows: Vec<UserRow> = query.load(conn)?;
    rows.into_iter().map(|row| record(conn, row)).collect()
}

fn status(enabled: bool) -> &'static str {
    if enabled {
        PrincipalStatus::Enabled.as_str()
    } else {
        PrincipalStatus::Disabled.as_str()
    }
}

fn name_taken(name: &PrincipalName) -> impl Fn(diesel::result::Error) -> Error + '_ {
    move |e| match DbError::from(e) {
        e if e.unique_violation().is_some() => Error::PrincipalExists(name.clone()),
        e => Error::Storage(e),
    }
}

/// A DU, a member of its default project (which must exist); the name is unique
/// case-insensitively by the constraint.
pub fn create(conn: &mut DbConnection, new: &NewUser, password_hash: Option<&str>) -> Result<i64> {
    conn.transaction::<_, Error, _>(|conn| {
        diesel::insert_into(principals::table)
            .values((
                principals::name.eq(new.name.as_str()),
                principals::name_key.eq(new.name.key()),
                principals::status.eq(status(new.enabled)),
                principals::created_at.eq(now_millis()),
                principals::password_hash.eq(password_hash),
                principals::email.eq(new.email.as_deref()),
                principals::description.eq(new.description.as_deref()),
            ))
            .execute(conn)
            .map_err(name_taken(&new.name))?;
        let id = super::principal_id(conn, &new.name)?;
        grant_levels(conn, id, &[PrivilegeLevel::Du])?;
        if let Some(tenant) = new.default_tenant {
            tenants::find(conn, &TenantRef::Id(tenant))?;
            tenants::set_default(conn, id, tenant)?;
        }
        Ok(id)
    })
}

/// Applies a change; returns the hashes of the tokens it revoked (all of the user's,
/// when the password changed).
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &UserChanges,
    password_hash: Option<&str>,
) -> Result<Vec<TokenHash>> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, id)?;
        let row = principals::table.find(id);
        let changeset = UserChangeset {
            name: changes.name.as_ref().map(PrincipalName::as_str),
            name_key: changes.name.as_ref().map(PrincipalName::key),
            status: changes.enabled.map(status),
            email: changes.email.as_ref().map(Option::as_deref),
            description: changes.description.as_ref().map(Option::as_deref),
            password_hash,
        };
        if changeset != UserChangeset::default() {
            let updated = diesel::update(row).set(&changeset).execute(conn);
            match &changes.name {
                Some(name) => updated.map_err(name_taken(name))?,
                None => updated?,
            };
        }
        match changes.default_tenant {
            Some(Some(tenant)) => {
                tenants::find(conn, &TenantRef::Id(tenant))?;
                tenants::set_default(conn, id, tenant)?;
            }
            Some(None) => {
                diesel::update(row)
                    .set(principals::default_tenant_id.eq(None::<i64>))
                    .execute(conn)?;
            }
            None => {}
        }
        match password_hash {
            Some(_) => revoke_all(conn, id),
            None => Ok(Vec::new()),
        }
    })
}

/// The columns a change sets; `None` leaves a column as it is.
#[derive(AsChangeset, Default, PartialEq)]
#[diesel(table_name = principals)]
struct UserChangeset<'a> {
    name: Option<&'a str>,
    name_key: Option<String>,
    status: Option<&'static str>,
    email: Option<Option<&'a str>>,
    description: Option<Option<&'a str>>,
    password_hash: Option<&'a str>,
}

/// Sets a password the caller proved it knew; revokes every token of the user.
pub fn set_password(conn: &mut DbConnection, id: i64, hash: &str) -> Result<Vec<TokenHash>> {
    update(conn, id, &UserChanges::default(), Some(hash))
}

/// Deletes a user; its tokens, levels, memberships and keys go with it (the constraints
/// cascade). Returns the hashes of its tokens, to forget on this node.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<Vec<TokenHash>> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, id)?;
        let revoked = revoke_all(conn, id)?;
        diesel::delete(principals::table.find(id)).execute(conn)?;
        Ok(revoked)
    })
}

fn revoke_all(conn: &mut DbConnection, id: i64) -> Result<Vec<TokenHash>> {
    let of_user = tokens::table.filter(tokens::principal_id.eq(id));
    let hashes: Vec<String> = of_user.select(tokens::token_hash).load(conn)?;
    diesel::delete(of_user).execute(conn)?;
    Ok(hashes.into_iter().map(TokenHash::from_stored).collect())
}

/// Every assignment: each membership with each of the member's levels.
pub fn assignments(conn: &mut DbConnection) -> Result<Vec<Assignment>> {
    let memberships: Vec<(i64, i64)> = principal_tenants::table
        .select((
            principal_tenants::principal_id,
            principal_tenants::tenant_id,
        ))
        .order((
            principal_tenants::principal_id,
            principal_tenants::tenant_id,
        ))
        .load(conn)?;
    let mut levels: HashMap<i64, Vec<PrivilegeLevel>> = HashMap::new();
    let rows: Vec<(i64, String)> = principal_levels::table
        .select((principal_levels::principal_id, principal_levels::level))
        .load(conn)?;
    for (principal, level) in rows {
        let level = PrivilegeLevel::parse(&level).map_err(|e| Error::Corrupt {
            id: principal,
            reason: e.to_string(),
        })?;
        levels.entry(principal).or_default().push(level);
    }
    let mut all = Vec::new();
    for (user, tenant) in memberships {
        let mut held = levels.get(&user).cloned().unwrap_or_default();
        held.sort();
        all.extend(held.into_iter().map(|level| Assignment {
            user,
            tenant: TenantId::from_stored(tenant),
            level,
        }));
    }
    Ok(all)
}

/// The user holds the level (a system role assignment: levels hold in no particular
/// project); idempotent.
pub fn add_level(conn: &mut DbConnection, user: i64, level: PrivilegeLevel) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, user)?;
        insert_level(conn, user, level)
    })
}

/// The user no longer holds the level; its last one stays (a principal holds one).
pub fn remove_level(conn: &mut DbConnection, user: i64, level: PrivilegeLevel) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        let found = find(conn, user)?;
        if !found.caller.levels.contains(&level) {
            return Err(Error::NoSuchSystemRole {
                user,
                role: level.as_str(),
            });
        }
        if found.caller.levels.len() == 1 {
            return Err(Error::LastLevel(user));
        }
        diesel::delete(
            principal_levels::table
                .filter(principal_levels::principal_id.eq(user))
                .filter(principal_levels::level.eq(level.as_str())),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// One statement that cannot fail on a duplicate (safe inside a PostgreSQL transaction);
/// both values are ours, nothing from outside is spliced into the SQL.
fn insert_level(conn: &mut DbConnection, user: i64, level: PrivilegeLevel) -> Result<()> {
    diesel::sql_query(format!(
        "INSERT INTO principal_levels (principal_id, level) VALUES ({user}, '{}') \
         ON CONFLICT DO NOTHING",
        level.as_str()
    ))
    .execute(conn)?;
    Ok(())
}

/// The user becomes a member of the project and holds the level (both idempotent).
pub fn assign(conn: &mut DbConnection, assignment: Assignment) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, assignment.user)?;
        tenants::find(conn, &TenantRef::Id(assignment.tenant))?;
        tenants::grant(conn, assignment.user, assignment.tenant)?;
        insert_level(conn, assignment.user, assignment.level)
    })
}

/// Removes an assignment. A user's levels are its levels in every project it belongs
/// to, so: when the level is the user's only one, the user leaves the project (and keeps
/// its level elsewhere); otherwise the user loses the level, in every project (and stays
/// a member with its other levels). Either way the assignment is gone, and nothing else
/// changes that need not.
pub fn unassign(conn: &mut DbConnection, assignment: Assignment) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        let user = find(conn, assignment.user)?;
        let member = tenants::is_member(conn, assignment.user, assignment.tenant)?;
        if !member || !user.caller.levels.contains(&assignment.level) {
            return Err(Error::NoSuchAssignment {
                user: assignment.user,
                project: assignment.tenant,
                role: assignment.level.as_str(),
            });
        }
        if user.caller.levels.len() == 1 {
            diesel::delete(
                principal_tenants::table
                    .filter(principal_tenants::principal_id.eq(assignment.user))
                    .filter(principal_tenants::tenant_id.eq(assignment.tenant.get())),
            )
            .execute(conn)?;
            diesel::update(
                principals::table
                    .find(assignment.user)
                    .filter(principals::default_tenant_id.eq(assignment.tenant.get())),
            )
            .set(principals::default_tenant_id.eq(None::<i64>))
            .execute(conn)?;
        } else {
            diesel::delete(
                principal_levels::table
                    .filter(principal_levels::principal_id.eq(assignment.user))
                    .filter(principal_levels::level.eq(assignment.level.as_str())),
            )
            .execute(conn)?;
        }
        Ok(())
    })
}
