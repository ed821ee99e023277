//! Which tenants see which templates: associations (HP-IDM's tenant endpoints) and the
//! query every catalog starts from.

use diesel::prelude::*;

use super::{find, stored, StoredTemplate, TemplateRow, TemplateStore};
use crate::catalog::domain::TemplateId;
use crate::catalog::error::{CatalogError as Error, Result};
use crate::catalog::schema::{endpoint_templates, tenant_endpoints};
use crate::identity::TenantId;
use crate::platform::db::{DbConnection, DbError};

impl TemplateStore {
    pub async fn associate(&self, tenant: TenantId, template: TemplateId) -> Result<()> {
        self.database
            .run_write(move |conn| associate(conn, tenant, template))
            .await
    }

    pub async fn dissociate(&self, tenant: TenantId, template: TemplateId) -> Result<()> {
        self.database
            .run_write(move |conn| dissociate(conn, tenant, template))
            .await
    }

    /// The templates associated with `tenant`, by id.
    pub async fn of_tenant(&self, tenant: TenantId) -> Result<Vec<StoredTemplate>> {
        self.database.run(move |conn| of_tenant(conn, tenant)).await
    }

    /// What a catalog shows: enabled templates that are global or, with a tenant,
    /// associated with it; each once.
    pub async fn for_catalog(&self, tenant: Option<TenantId>) -> Result<Vec<StoredTemplate>> {
        self.database
            .run(move |conn| for_catalog(conn, tenant))
            .await
    }
}

fn associate(conn: &mut DbConnection, tenant: TenantId, template: TemplateId) -> Result<()> {
    find(conn, template)?;
    diesel::insert_into(tenant_endpoints::table)
        .values((
            tenant_endpoints::tenant_id.eq(tenant.get()),
            tenant_endpoints::template_id.eq(template.get()),
        ))
        .execute(conn)
        .map_err(|e| match DbError::from(e) {
            e if e.unique_violation().is_some() => Error::AlreadyAssociated { tenant, template },
            e => Error::Storage(e),
        })?;
    Ok(())
}

fn dissociate(conn: &mut DbConnection, tenant: TenantId, template: TemplateId) -> Result<()> {
    let deleted = diesel::delete(
        tenant_endpoints::table
            .filter(tenant_endpoints::tenant_id.eq(tenant.get()))
            .filter(tenant_endpoints::template_id.eq(template.get())),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(Error::NotAssociated { tenant, template });
    }
    Ok(())
}

/// The templates associated with `tenant`, by id.
fn of_tenant(conn: &mut DbConnection, tenant: TenantId) -> Result<Vec<StoredTemplate>> {
    endpoint_templates::table
        .inner_join(
            tenant_endpoints::table.on(tenant_endpoints::template_id.eq(endpoint_templates::id)),
        )
        .filter(tenant_endpoints::tenant_id.eq(tenant.get()))
        .order(endpoint_templates::id.asc())
        .select(TemplateRow::as_select())
        .load(conn)
        .map_err(Error::from)
        .and_then(stored)
}

/// What a catalog shows: enabled templates that are global or, with a tenant,
/// associated with it; each once.
fn for_catalog(conn: &mut DbConnection, tenant: Option<TenantId>) -> Result<Vec<StoredTemplate>> {
    let associated = tenant_endpoints::table
        .filter(tenant_endpoints::tenant_id.eq(tenant.map_or(0, TenantId::get)))
        .select(tenant_endpoints::template_id);
    endpoint_templates::table
        .filter(endpoint_templates::enabled.eq(1))
        .filter(
            endpoint_templates::is_global
                .eq(1)
                .or(endpoint_templates::id.eq_any(associated)),
        )
        .order(endpoint_templates::id.asc())
        .select(TemplateRow::as_select())
        .load(conn)
        .map_err(Error::from)
        .and_then(stored)
}
