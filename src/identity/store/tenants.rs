//! Tenants and principals' membership in them.

use diesel::prelude::*;

use super::principal_id;
use crate::identity::error::{IdentityError as Error, Result};
use crate::identity::schema::{principal_tenants, principals, tenants};
use crate::identity::tenant::{Tenant, TenantId, TenantName, TenantRef};
use crate::identity::PrincipalName;
use crate::platform::db::{now_millis, DbConnection, DbError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = tenants)]
struct TenantRow {
    id: i64,
    name: String,
    description: Option<String>,
    enabled: i64,
    created_at: i64,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        Tenant {
            id: TenantId::from_stored(row.id),
            name: TenantName::from_stored(row.name),
            description: row.description,
            enabled: row.enabled != 0,
            created_at: row.created_at,
        }
    }
}

/// Creates a tenant; without an id, a random one (another try on the rare collision).
pub fn create(
    conn: &mut DbConnection,
    id: Option<TenantId>,
    name: &TenantName,
    description: Option<&str>,
) -> Result<TenantId> {
    const TRIES: usize = 5;
    for _ in 0..TRIES {
        let candidate = id.unwrap_or_else(TenantId::generate);
        let inserted = diesel::insert_into(tenants::table)
            .values((
                tenants::id.eq(candidate.get()),
                tenants::name.eq(name.as_str()),
                tenants::name_key.eq(name.key()),
                tenants::description.eq(description),
                tenants::enabled.eq(1),
                tenants::created_at.eq(now_millis()),
            ))
            .execute(conn)
            .map_err(DbError::from);
        match inserted {
            Ok(_) => return Ok(candidate),
            Err(e) => match e.unique_violation() {
                Some(constraint) if constraint.contains("name_key") => {
                    return Err(Error::TenantExists(name.clone()))
                }
                Some(_) if id.is_some() => return Err(Error::TenantIdTaken(candidate)),
                Some(_) => continue,
                None => return Err(e.into()),
            },
        }
    }
    Err(Error::invalid("no free tenant id was found; try again"))
}

pub fn find(conn: &mut DbConnection, tenant: &TenantRef) -> Result<Tenant> {
    let query = tenants::table.select(TenantRow::as_select()).into_boxed();
    let query = match tenant {
        TenantRef::Id(id) => query.filter(tenants::id.eq(id.get())),
        TenantRef::Name(name) => query.filter(tenants::name_key.eq(name.key())),
    };
    query
        .first(conn)
        .optional()?
        .map(Tenant::from)
        .ok_or_else(|| Error::NoSuchTenant(tenant.clone()))
}

/// Every tenant, by id.
pub fn all(conn: &mut DbConnection) -> Result<Vec<Tenant>> {
    let rows = tenants::table
        .order(tenants::id.asc())
        .select(TenantRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

pub fn set_enabled(conn: &mut DbConnection, tenant: &TenantRef, enabled: bool) -> Result<()> {
    let id = find(conn, tenant)?.id;
    diesel::update(tenants::table.find(id.get()))
        .set(tenants::enabled.eq(i64::from(enabled)))
        .execute(conn)?;
    Ok(())
}

/// Makes the principal a member; being one already is fine. One statement that cannot
/// fail on a duplicate, so it is safe inside a transaction (PostgreSQL aborts a
/// transaction at its first failed statement).
pub fn grant(conn: &mut DbConnection, principal: i64, tenant: TenantId) -> Result<()> {
    // Both values are integers of ours: nothing from outside is spliced into the SQL.
    diesel::sql_query(format!(
        "INSERT INTO principal_tenants (principal_id, tenant_id) VALUES ({principal}, {}) \
         ON CONFLICT DO NOTHING",
        tenant.get()
    ))
    .execute(conn)?;
    Ok(())
}

/// Ends a membership; a default tenant that is no longer a membership is cleared too.
pub fn revoke(conn: &mut DbConnection, name: &PrincipalName, tenant: &TenantRef) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        let principal = principal_id(conn, name)?;
        let tenant = find(conn, tenant)?.id.get();
        diesel::delete(
            principal_tenants::table
                .filter(principal_tenants::principal_id.eq(principal))
                .filter(principal_tenants::tenant_id.eq(tenant)),
        )
        .execute(conn)?;
        diesel::update(
            principals::table
                .find(principal)
                .filter(principals::default_tenant_id.eq(tenant)),
        )
        .set(principals::default_tenant_id.eq(None::<i64>))
        .execute(conn)?;
        Ok(())
    })
}

pub fn set_default(conn: &mut DbConnection, principal: i64, tenant: TenantId) -> Result<()> {
    grant(conn, principal, tenant)?;
    diesel::update(principals::table.find(principal))
        .set(principals::default_tenant_id.eq(tenant.get()))
        .execute(conn)?;
    Ok(())
}

/// The tenants `principal` belongs to, by id.
pub fn of_principal(conn: &mut DbConnection, principal: i64) -> Result<Vec<Tenant>> {
    let rows = tenants::table
        .inner_join(principal_tenants::table)
        .filter(principal_tenants::principal_id.eq(principal))
        .order(tenants::id.asc())
        .select(TenantRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

pub fn is_member(conn: &mut DbConnection, principal: i64, tenant: TenantId) -> Result<bool> {
    Ok(principal_tenants::table
        .filter(principal_tenants::principal_id.eq(principal))
        .filter(principal_tenants::tenant_id.eq(tenant.get()))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// A PATCH of a tenant: `None` keeps a field; `description: Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct TenantChanges {
    pub name: Option<TenantName>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

pub fn update(conn: &mut DbConnection, id: TenantId, changes: &TenantChanges) -> Result<Tenant> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, &TenantRef::Id(id))?;
        let changeset = TenantChangeset {
            name: changes.name.as_ref().map(TenantName::as_str),
            name_key: changes.name.as_ref().map(TenantName::key),
            description: changes.description.as_ref().map(Option::as_deref),
            enabled: changes.enabled.map(i64::from),
        };
        if changeset != TenantChangeset::default() {
            diesel::update(tenants::table.find(id.get()))
                .set(&changeset)
                .execute(conn)
                .map_err(|e| match (DbError::from(e), &changes.name) {
                    (e, Some(name)) if e.unique_violation().is_some() => {
                        Error::TenantExists(name.clone())
                    }
                    (e, _) => Error::Storage(e),
                })?;
        }
        find(conn, &TenantRef::Id(id))
    })
}

/// The columns a change sets; `None` leaves a column as it is.
#[derive(AsChangeset, Default, PartialEq)]
#[diesel(table_name = tenants)]
struct TenantChangeset<'a> {
    name: Option<&'a str>,
    name_key: Option<String>,
    description: Option<Option<&'a str>>,
    enabled: Option<i64>,
}

/// Deletes a tenant with its memberships, tokens scoped to it and live registry (the
/// constraints cascade); it stops being anyone's default. Refused while an endpoint
/// template's liveness binding names it.
pub fn delete(conn: &mut DbConnection, id: TenantId) -> Result<()> {
    conn.transaction::<_, Error, _>(|conn| {
        find(conn, &TenantRef::Id(id))?;
        diesel::update(principals::table.filter(principals::default_tenant_id.eq(id.get())))
            .set(principals::default_tenant_id.eq(None::<i64>))
            .execute(conn)?;
        diesel::delete(tenants::table.find(id.get()))
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                e if e.is_foreign_key_violation() => Error::TenantInUse(id),
                e => Error::Storage(e),
            })?;
        Ok(())
    })
}
