//! Wire shapes of identity (OpenStack Identity v2.0): `access` and `tenants`.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::catalog_port::{CatalogEndpoint, CatalogService};
use super::domain::{Caller, PrivilegeLevel};
use super::login::{Issued, TokenDetails};
use super::requests::IDENTITY_NS;
use super::tenant::Tenant;
use crate::platform::http::xml::XmlWriter;
use crate::platform::http::Representation;
use crate::platform::text::iso8601;

/// Levels are the principal's roles; DA and DU hold theirs in the token's tenant.
fn roles(user: &Caller) -> Vec<Role> {
    user.levels
        .iter()
        .map(|level| Role {
            id: level.as_str(),
            name: level.as_str(),
            tenant_id: match level {
                PrivilegeLevel::Da | PrivilegeLevel::Du => user.tenant.map(|t| t.to_string()),
                PrivilegeLevel::Sa | PrivilegeLevel::Svc => None,
            },
        })
        .collect()
}

#[derive(Serialize)]
struct Role {
    id: &'static str,
    name: &'static str,
    #[serde(rename = "tenantId", skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
}

/// `{"access": {"token", "user", "serviceCatalog"?}}`: issued with a catalog, validated
/// without one.
pub struct AccessView {
    details: TokenDetails,
    catalog: Option<Vec<CatalogService>>,
}

impl From<Issued> for AccessView {
    fn from(issued: Issued) -> Self {
        Self {
            details: issued.details,
            catalog: Some(issued.catalog),
        }
    }
}

impl From<TokenDetails> for AccessView {
    fn from(details: TokenDetails) -> Self {
        Self {
            details,
            catalog: None,
        }
    }
}

#[derive(Serialize)]
struct TenantRefJson {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct TokenJson {
    id: String,
    expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<TenantRefJson>,
}

#[derive(Serialize)]
struct UserJson {
    id: String,
    name: String,
    roles: Vec<Role>,
}

#[derive(Serialize)]
struct AccessJson<'a> {
    token: TokenJson,
    user: UserJson,
    #[serde(rename = "serviceCatalog", skip_serializing_if = "Option::is_none")]
    service_catalog: Option<&'a [CatalogService]>,
}

impl Serialize for AccessView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let issued = &self.details;
        let access = AccessJson {
            token: TokenJson {
                id: issued.token_id.clone(),
                expires: iso8601(issued.expires_at),
                tenant: issued.tenant.as_ref().map(|t| TenantRefJson {
                    id: t.id.to_string(),
                    name: t.name.to_string(),
                }),
            },
            user: UserJson {
                id: issued.user.id.to_string(),
                name: issued.user.name.to_string(),
                roles: roles(&issued.user),
            },
            service_catalog: self.catalog.as_deref(),
        };
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("access", &access)?;
        map.end()
    }
}

impl Representation for AccessView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        let issued = &self.details;
        xml.open("access", Some(IDENTITY_NS)).close_start();
        xml.open("token", None)
            .attribute("id", &issued.token_id)
            .attribute("expires", &iso8601(issued.expires_at));
        match &issued.tenant {
            Some(tenant) => {
                xml.close_start()
                    .open("tenant", None)
                    .attribute_display("id", tenant.id)
                    .attribute("name", tenant.name.as_str())
                    .empty();
                xml.end("token");
            }
            None => xml.empty(),
        }
        xml.open("user", None)
            .attribute_display("id", issued.user.id)
            .attribute("name", issued.user.name.as_str())
            .close_start()
            .open("roles", None)
            .close_start();
        for role in roles(&issued.user) {
            xml.open("role", None)
                .attribute("id", role.id)
                .attribute("name", role.name);
            if let Some(tenant) = &role.tenant_id {
                xml.attribute("tenantId", tenant);
            }
            xml.empty();
        }
        xml.end("roles").end("user");
        match &self.catalog {
            Some(catalog) if catalog.is_empty() => xml.open("serviceCatalog", None).empty(),
            Some(catalog) => {
                xml.open("serviceCatalog", None).close_start();
                for service in catalog {
                    service.write_xml(xml);
                }
                xml.end("serviceCatalog");
            }
            None => {}
        }
        xml.end("access");
    }
}

/// `{"tenants": [...], "tenants_links": []}` / `<tenants>`.
pub struct TenantsView(pub Vec<Tenant>);

#[derive(Serialize)]
struct TenantJson<'a> {
    id: String,
    name: &'a str,
    description: Option<&'a str>,
    enabled: bool,
}

impl Serialize for TenantsView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tenants: Vec<TenantJson<'_>> = self
            .0
            .iter()
            .map(|t| TenantJson {
                id: t.id.to_string(),
                name: t.name.as_str(),
                description: t.description.as_deref(),
                enabled: t.enabled,
            })
            .collect();
        with_no_links(serializer, "tenants", &tenants)
    }
}

impl Representation for TenantsView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        xml.list("tenants", Some(IDENTITY_NS), &self.0, |xml, tenant| {
            xml.open("tenant", None)
                .attribute_display("id", tenant.id)
                .attribute("name", tenant.name.as_str())
                .attribute("enabled", if tenant.enabled { "true" } else { "false" });
            match &tenant.description {
                Some(description) => {
                    xml.close_start()
                        .text_element("description", description)
                        .end("tenant");
                }
                None => xml.empty(),
            }
        });
    }
}

/// `GET /v2.0/tokens/{id}/endpoints`: the token's catalog flattened, each endpoint with its
/// service's name and type.
pub struct EndpointsView(pub Vec<CatalogService>);

impl Serialize for EndpointsView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Named<'a> {
            name: &'a str,
            #[serde(rename = "type")]
            service_type: &'a str,
            #[serde(flatten)]
            endpoint: &'a CatalogEndpoint,
        }
        let endpoints: Vec<Named<'_>> = self
            .0
            .iter()
            .flat_map(|service| {
                service.endpoints.iter().map(|endpoint| Named {
                    name: &service.name,
                    service_type: &service.service_type,
                    endpoint,
                })
            })
            .collect();
        with_no_links(serializer, "endpoints", &endpoints)
    }
}

impl Representation for EndpointsView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        let endpoints = self.0.iter().flat_map(|service| {
            let named = (service.name.as_str(), service.service_type.as_str());
            service
                .endpoints
                .iter()
                .map(move |endpoint| (named, endpoint))
        });
        xml.list(
            "endpoints",
            Some(IDENTITY_NS),
            endpoints,
            |xml, (named, endpoint)| {
                endpoint.write_xml(xml, Some(named));
            },
        );
    }
}

/// `{"NAME": [...], "NAME_links": []}`: v2.0 lists come whole, never paged.
fn with_no_links<S: Serializer, T: Serialize>(
    serializer: S,
    name: &str,
    items: &[T],
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry(name, items)?;
    map.serialize_entry(&format!("{name}_links"), &[(); 0])?;
    map.end()
}
