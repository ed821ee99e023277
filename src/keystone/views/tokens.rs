//! `{"token": {...}}`: what `POST` and `GET /v3/auth/tokens` answer, and the v3 catalog.

use serde::Serialize;

use super::{interfaces, DomainRef, THE_DOMAIN};
use crate::identity::{CatalogService, PrivilegeLevel, TokenDetails};
use crate::platform::text::iso8601;

/// A token as v3 shows it; the catalog unless `?nocatalog`.
pub struct TokenView {
    pub details: TokenDetails,
    pub catalog: Option<Vec<CatalogService>>,
    /// Issued on the system scope: shown with `"system": {"all": true}` and the levels
    /// as its roles. (Validated later, it reads as unscoped: the scope is not stored.)
    pub system: bool,
}

#[derive(Serialize)]
struct AllOfIt {
    all: bool,
}

#[derive(Serialize)]
struct Named<'a> {
    id: String,
    name: &'a str,
    domain: DomainRef,
}

#[derive(Serialize)]
struct UserJson<'a> {
    id: String,
    name: &'a str,
    domain: DomainRef,
    password_expires_at: Option<()>,
}

#[derive(Serialize)]
struct RoleRef {
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct TokenJson<'a> {
    methods: [&'static str; 1],
    user: UserJson<'a>,
    audit_ids: [String; 1],
    expires_at: String,
    issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<Named<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<AllOfIt>,
    is_domain: bool,
    /// Only a scoped token carries roles, as in Keystone: the levels held in its project
    /// (or on the system).
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<RoleRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog: Option<Vec<ServiceJson<'a>>>,
}

impl Serialize for TokenView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            token: TokenJson<'a>,
        }
        let details = &self.details;
        let project = details.tenant.as_ref().map(|tenant| Named {
            id: tenant.id.to_string(),
            name: tenant.name.as_str(),
            domain: THE_DOMAIN,
        });
        let roles = (project.is_some() || self.system).then(|| {
            details
                .user
                .levels
                .iter()
                .map(|level: &PrivilegeLevel| RoleRef {
                    id: level.as_str(),
                    name: level.as_str(),
                })
                .collect()
        });
        Envelope {
            token: TokenJson {
                methods: [details.method.as_str()],
                user: UserJson {
                    id: details.user.id.to_string(),
                    name: details.user.name.as_str(),
                    domain: THE_DOMAIN,
                    password_expires_at: None,
                },
                audit_ids: [details.audit_id()],
                expires_at: iso8601(details.expires_at),
                issued_at: iso8601(details.issued_at),
                project,
                system: self.system.then_some(AllOfIt { all: true }),
                is_domain: false,
                roles,
                catalog: self.catalog.as_deref().map(catalog),
            },
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
pub struct ServiceJson<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    service_type: &'a str,
    name: &'a str,
    endpoints: Vec<CatalogEndpointJson<'a>>,
}

#[derive(Serialize)]
struct CatalogEndpointJson<'a> {
    id: String,
    interface: &'static str,
    region: Option<&'a str>,
    region_id: Option<&'a str>,
    url: &'a str,
}

/// The catalog in v3's shape: one endpoint per interface a template has, with the ids
/// `GET /v3/endpoints` lists (`{template}-{interface}`).
pub fn catalog(services: &[CatalogService]) -> Vec<ServiceJson<'_>> {
    services
        .iter()
        .map(|service| ServiceJson {
            id: &service.id,
            service_type: &service.service_type,
            name: &service.name,
            endpoints: service
                .endpoints
                .iter()
                .flat_map(|endpoint| {
                    let region = endpoint.region.as_deref();
                    interfaces(
                        &endpoint.public_url,
                        endpoint.internal_url.as_ref(),
                        endpoint.admin_url.as_ref(),
                    )
                    .map(move |(interface, url)| CatalogEndpointJson {
                        id: format!("{}-{interface}", endpoint.id),
                        interface,
                        region,
                        region_id: region,
                        url,
                    })
                })
                .collect(),
        })
        .collect()
}
