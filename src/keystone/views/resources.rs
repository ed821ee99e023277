//! v3's read views: projects (identity's tenants), the one domain, users, roles (the
//! privilege levels), services (the registry's), endpoints (one per template and
//! interface) and regions; and the list envelope with its links.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::{interfaces, SelfLink};
use crate::catalog::domain::EndpointTemplate;
use crate::identity::{Caller, PrincipalStatus, PrivilegeLevel, Tenant, TenantId};
use crate::keystone::requests::{DOMAIN_ID, DOMAIN_NAME};
use crate::registry::domain::{ReleaseState, Service};

/// `{"<key>": [...], "links": {"self", "previous": null, "next": null}}`: Keystone's
/// lists are whole (no pages), so the links only name the list itself.
pub struct Listed<T> {
    pub key: &'static str,
    pub items: Vec<T>,
    pub href: String,
}

impl<T: Serialize> Serialize for Listed<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Links<'a> {
            #[serde(rename = "self")]
            href: &'a str,
            previous: Option<()>,
            next: Option<()>,
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry(
            "links",
            &Links {
                href: &self.href,
                previous: None,
                next: None,
            },
        )?;
        map.end()
    }
}

#[derive(Serialize)]
pub struct ProjectJson {
    id: String,
    name: String,
    description: String,
    domain_id: &'static str,
    parent_id: &'static str,
    enabled: bool,
    is_domain: bool,
    tags: [(); 0],
    options: Empty,
    links: SelfLink,
}

/// `{}`.
#[derive(Serialize)]
pub struct Empty {}

/// `base` is the server's URL (`scheme://host`), which every self link starts with.
pub fn project(tenant: &Tenant, base: &str) -> ProjectJson {
    ProjectJson {
        id: tenant.id.to_string(),
        name: tenant.name.to_string(),
        description: tenant.description.clone().unwrap_or_default(),
        domain_id: DOMAIN_ID,
        parent_id: DOMAIN_ID,
        enabled: tenant.enabled,
        is_domain: false,
        tags: [],
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/projects/{}", tenant.id),
        },
    }
}

#[derive(Serialize)]
pub struct DomainJson {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    enabled: bool,
    tags: [(); 0],
    options: Empty,
    links: SelfLink,
}

pub fn domain(base: &str) -> DomainJson {
    DomainJson {
        id: DOMAIN_ID,
        name: DOMAIN_NAME,
        description: "The registry's one domain: every principal and project is in it",
        enabled: true,
        tags: [],
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/domains/{DOMAIN_ID}"),
        },
    }
}

#[derive(Serialize)]
pub struct UserJson {
    id: String,
    name: String,
    domain_id: &'static str,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_project_id: Option<String>,
    password_expires_at: Option<()>,
    options: Empty,
    links: SelfLink,
}

pub fn user(principal: &Caller, default_tenant: Option<TenantId>, base: &str) -> UserJson {
    UserJson {
        id: principal.id.to_string(),
        name: principal.name.to_string(),
        domain_id: DOMAIN_ID,
        enabled: principal.status == PrincipalStatus::Enabled,
        default_project_id: default_tenant.map(|tenant| tenant.to_string()),
        password_expires_at: None,
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/users/{}", principal.id),
        },
    }
}

#[derive(Serialize)]
pub struct RoleJson {
    id: &'static str,
    name: &'static str,
    domain_id: Option<()>,
    description: &'static str,
    options: Empty,
    links: SelfLink,
}

pub fn role(level: PrivilegeLevel, base: &str) -> RoleJson {
    RoleJson {
        id: level.as_str(),
        name: level.as_str(),
        domain_id: None,
        description: match level {
            PrivilegeLevel::Sa => "System administrator: every action, in every project",
            PrivilegeLevel::Svc => "Service on-boarding: registers services and templates",
            PrivilegeLevel::Da => "Domain administrator: manages its own projects' endpoints",
            PrivilegeLevel::Du => "Domain user: reads its own projects",
        },
        options: Empty {},
        links: SelfLink {
            href: format!("{base}/v3/roles/{}", level.as_str()),
        },
    }
}

#[derive(Serialize)]
pub struct ServiceJson {
    id: String,
    #[serde(rename = "type")]
    service_type: String,
    name: String,
    description: String,
    enabled: bool,
    links: SelfLink,
}

/// A registered service; `enabled` means not decommissioned.
pub fn service(service: &Service, base: &str) -> ServiceJson {
    ServiceJson {
        id: service.id.to_string(),
        service_type: service.service_type.as_str().to_owned(),
        name: service.name.as_str().to_owned(),
        description: service
            .description
            .as_ref()
            .map(|description| description.as_str().to_owned())
            .unwrap_or_default(),
        enabled: service.release_state != ReleaseState::Decommissioned,
        links: SelfLink {
            href: format!("{base}/v3/services/{}", service.id),
        },
    }
}

#[derive(Serialize)]
pub struct EndpointJson {
    pub id: String,
    pub interface: &'static str,
    pub region: Option<String>,
    pub region_id: Option<String>,
    pub url: String,
    pub service_id: String,
    pub enabled: bool,
    /// This registry's extension: the fleet a bound template's endpoints depend on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<LivenessJson>,
    links: SelfLink,
}

#[derive(Serialize, Clone)]
pub struct LivenessJson {
    pub project_id: String,
    pub tag: String,
    pub min_alive: u16,
    pub alive: Option<u64>,
}

/// A template's endpoints, one per interface it has (`{template}-{interface}`), with the
/// URL as written (`%tenant_id%` left in, as Keystone lists `$(tenant_id)s`).
pub fn endpoints_of(template: &EndpointTemplate, base: &str) -> Vec<EndpointJson> {
    let fields = &template.fields;
    let region = fields.region.as_ref().map(|r| r.as_str().to_owned());
    let liveness = fields.liveness.as_ref().map(|liveness| LivenessJson {
        project_id: liveness.tenant.to_string(),
        tag: liveness.tag.clone(),
        min_alive: liveness.min_alive,
        alive: template.alive,
    });
    interfaces(
        &fields.public_url,
        fields.internal_url.as_ref(),
        fields.admin_url.as_ref(),
    )
    .map(|(interface, url)| {
        let id = format!("{}-{interface}", fields.id);
        EndpointJson {
            links: SelfLink {
                href: format!("{base}/v3/endpoints/{id}"),
            },
            id,
            interface,
            region: region.clone(),
            region_id: region.clone(),
            url: url.as_str().to_owned(),
            service_id: template.service_id.to_string(),
            enabled: template.in_catalog(),
            liveness: liveness.clone(),
        }
    })
    .collect()
}

#[derive(Serialize)]
pub struct RegionJson {
    id: String,
    description: String,
    parent_region_id: Option<()>,
    links: SelfLink,
}

pub fn region(id: &str, base: &str) -> RegionJson {
    RegionJson {
        id: id.to_owned(),
        description: String::new(),
        parent_region_id: None,
        links: SelfLink {
            href: format!("{base}/v3/regions/{}", url_segment(id)),
        },
    }
}

/// A region id (free text) as one path segment.
fn url_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
