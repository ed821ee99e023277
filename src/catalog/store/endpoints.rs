//! Keystone v3's endpoints: each is one interface of the template for its service and
//! region. The first endpoint of a service in a region creates the template (its public
//! URL: HP-IDM's and v2.0's templates always have one); later ones fill its other
//! interfaces. Every change runs in one transaction, so racing creates of one interface
//! end in one endpoint and a 409.

use diesel::prelude::*;

use super::{find, insert, regions, StoredTemplate, TemplateStore};
use crate::catalog::domain::{EndpointUrl, Interface, Region, TemplateFields, TemplateId, Version};
use crate::catalog::error::{CatalogError as Error, Result};
use crate::catalog::schema::endpoint_templates;
use crate::platform::db::{now_millis, DbConnection};
use crate::registry::domain::{ReleaseState, ServiceId};

/// An endpoint to create: its service (already checked by the caller), region (which
/// must exist), interface and URL.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub service: ServiceId,
    pub service_name: String,
    pub release_state: ReleaseState,
    pub region: Option<Region>,
    pub interface: Interface,
    pub url: EndpointUrl,
    pub enabled: bool,
}

/// An endpoint's PATCH: `None` keeps the URL or the switch as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub url: Option<EndpointUrl>,
    pub enabled: Option<bool>,
}

impl TemplateStore {
    /// Returns the template that now holds the endpoint. A new template takes the next
    /// free id; a racing create that took it first makes the primary key refuse this one,
    /// which then tries again (a twin for the same service and region is refused by the
    /// unique constraint instead: 409).
    pub async fn create_endpoint(&self, new: NewEndpoint) -> Result<TemplateId> {
        for _ in 0..8 {
            let attempt = new.clone();
            let created = self
                .database
                .run_write(move |conn| conn.transaction(|conn| create(conn, &attempt)))
                .await;
            if !matches!(created, Err(Error::IdTaken(_))) {
                return created;
            }
        }
        Err(Error::invalid(
            "no free endpoint template id after several tries; try again",
        ))
    }

    /// Changes an endpoint's URL and switch; `None` keeps either.
    pub async fn set_endpoint(
        &self,
        template: TemplateId,
        interface: Interface,
        changes: EndpointChanges,
    ) -> Result<()> {
        let EndpointChanges { url, enabled } = changes;
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    with_endpoint(conn, template, interface)?;
                    write_interface(conn, template, interface, url.as_ref(), enabled)
                })
            })
            .await
    }

    /// An internal or admin endpoint leaves its template; the public one takes the
    /// template with it, and only once it is the template's last.
    pub async fn delete_endpoint(&self, template: TemplateId, interface: Interface) -> Result<()> {
        self.database
            .run_write(move |conn| {
                conn.transaction(|conn| {
                    let stored = with_endpoint(conn, template, interface)?;
                    if interface != Interface::Public {
                        return clear_interface(conn, template, interface);
                    }
                    let others = [Interface::Internal, Interface::Admin]
                        .into_iter()
                        .filter(|other| url_of(&stored, *other).is_some())
                        .map(Interface::as_str)
                        .collect::<Vec<_>>();
                    if !others.is_empty() {
                        return Err(Error::PublicEndpointLast {
                            template,
                            others: others.join(" and "),
                        });
                    }
                    diesel::delete(endpoint_templates::table.find(template.get())).execute(conn)?;
                    Ok(())
                })
            })
            .await
    }
}

fn url_of(stored: &StoredTemplate, interface: Interface) -> Option<&EndpointUrl> {
    match interface {
        Interface::Public => Some(&stored.fields.public_url),
        Interface::Internal => stored.fields.internal_url.as_ref(),
        Interface::Admin => stored.fields.admin_url.as_ref(),
    }
}

fn create(conn: &mut DbConnection, new: &NewEndpoint) -> Result<TemplateId> {
    if let Some(region) = &new.region {
        if !regions::exists(conn, region)? {
            return Err(Error::UnknownRegion(region.as_str().to_owned()));
        }
    }
    let region_key = new.region.as_ref().map_or("", Region::as_str);
    let existing: Option<i64> = endpoint_templates::table
        .filter(endpoint_templates::service_id.eq(new.service.get()))
        .filter(endpoint_templates::region_key.eq(region_key))
        .select(endpoint_templates::id)
        .first(conn)
        .optional()?;
    let Some(existing) = existing else {
        if new.interface != Interface::Public {
            return Err(Error::invalid(format!(
                "service {} has no endpoint in {}: its first is the public one (an endpoint \
                 template holds its public URL first), then internal and admin",
                new.service,
                new.region
                    .as_ref()
                    .map_or("no region".to_owned(), |r| format!(
                        "region '{}'",
                        r.as_str()
                    ))
            )));
        }
        let id = next_free_id(conn)?;
        let fields = TemplateFields {
            id,
            region: new.region.clone(),
            public_url: new.url.clone(),
            public_url2: None,
            internal_url: None,
            admin_url: None,
            global: true,
            enabled: true,
            version: Version::default(),
            liveness: None,
        };
        insert(
            conn,
            &fields,
            new.service,
            &new.service_name,
            new.release_state,
        )?;
        write_interface(conn, id, Interface::Public, None, Some(new.enabled))?;
        return Ok(id);
    };
    let template = TemplateId::from_stored(existing);
    let stored = find(conn, template)?;
    if url_of(&stored, new.interface).is_some() {
        return Err(Error::EndpointExists {
            service: new.service_name.clone(),
            region: new.region.as_ref().map(|r| r.as_str().to_owned()),
            interface: new.interface,
        });
    }
    write_interface(
        conn,
        template,
        new.interface,
        Some(&new.url),
        Some(new.enabled),
    )?;
    Ok(template)
}

/// One past the largest template id in use; the primary key refuses a racing twin.
fn next_free_id(conn: &mut DbConnection) -> Result<TemplateId> {
    let largest: Option<i64> = endpoint_templates::table
        .select(diesel::dsl::max(endpoint_templates::id))
        .first(conn)?;
    Ok(TemplateId::from_stored(
        largest.unwrap_or(0).saturating_add(1),
    ))
}

fn write_interface(
    conn: &mut DbConnection,
    template: TemplateId,
    interface: Interface,
    url: Option<&EndpointUrl>,
    enabled: Option<bool>,
) -> Result<()> {
    use endpoint_templates as t;
    let row = t::table.find(template.get());
    let url = url.map(EndpointUrl::as_str);
    let switch = enabled.map(i64::from);
    let now = now_millis();
    // One statement per interface: each sets its own pair of columns.
    macro_rules! set {
        ($url:ident, $enabled:ident, $value:expr) => {
            diesel::update(row)
                .set((
                    url.map(|u| t::$url.eq($value(u.to_owned()))),
                    switch.map(|s| t::$enabled.eq(s)),
                    t::updated_at.eq(now),
                ))
                .execute(conn)
        };
    }
    let written = match interface {
        Interface::Public => set!(public_url, public_enabled, std::convert::identity),
        Interface::Internal => set!(internal_url, internal_enabled, Some),
        Interface::Admin => set!(admin_url, admin_enabled, Some),
    };
    written?;
    Ok(())
}

/// The template, if it has an endpoint on `interface` (not found otherwise).
fn with_endpoint(
    conn: &mut DbConnection,
    template: TemplateId,
    interface: Interface,
) -> Result<StoredTemplate> {
    let stored = find(conn, template)?;
    match url_of(&stored, interface) {
        Some(_) => Ok(stored),
        None => Err(Error::NotFound(template)),
    }
}

/// The interface's URL goes; its switch returns to on, for a later endpoint.
fn clear_interface(
    conn: &mut DbConnection,
    template: TemplateId,
    interface: Interface,
) -> Result<()> {
    use endpoint_templates as t;
    let row = t::table.find(template.get());
    let none: Option<String> = None;
    let cleared = match interface {
        Interface::Public => {
            return Err(Error::invalid(
                "a public endpoint goes only with its template",
            ))
        }
        Interface::Internal => diesel::update(row)
            .set((t::internal_url.eq(none), t::internal_enabled.eq(1)))
            .execute(conn),
        Interface::Admin => diesel::update(row)
            .set((t::admin_url.eq(none), t::admin_enabled.eq(1)))
            .execute(conn),
    };
    cleared?;
    Ok(())
}
