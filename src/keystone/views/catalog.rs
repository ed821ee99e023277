//! v3's catalog views: services (the registry's), endpoints (one per template and
//! interface) and regions.

use serde::Serialize;

use super::SelfLink;
use crate::catalog::domain::{EndpointTemplate, Interface};
use crate::catalog::RegionRecord;
use crate::registry::domain::Service;

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

/// A registered service that is not decommissioned (v3 does not show those).
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
        enabled: service.enabled,
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

/// The id of a template's endpoint: `{template}-{interface}`.
pub fn endpoint_id(template: &EndpointTemplate, interface: Interface) -> String {
    format!("{}-{interface}", template.fields.id)
}

/// A template's endpoints, one per interface it has, with the URL as written
/// (`%tenant_id%` left in, as Keystone lists `$(tenant_id)s`).
pub fn endpoints_of(template: &EndpointTemplate, base: &str) -> Vec<EndpointJson> {
    let fields = &template.fields;
    let region = fields.region.as_ref().map(|r| r.as_str().to_owned());
    let liveness = fields.liveness.as_ref().map(|liveness| LivenessJson {
        project_id: liveness.tenant.to_string(),
        tag: liveness.tag.clone(),
        min_alive: liveness.min_alive,
        alive: template.alive,
    });
    Interface::ALL
        .into_iter()
        .filter_map(|interface| template.url(interface).map(|url| (interface, url)))
        .map(|(interface, url)| {
            let id = endpoint_id(template, interface);
            EndpointJson {
                links: SelfLink {
                    href: format!("{base}/v3/endpoints/{id}"),
                },
                id,
                interface: interface.as_str(),
                region: region.clone(),
                region_id: region.clone(),
                url: url.as_str().to_owned(),
                service_id: template.service_id.to_string(),
                enabled: template.endpoint_enabled(interface),
                liveness: liveness.clone(),
            }
        })
        .collect()
}

#[derive(Serialize)]
pub struct RegionJson {
    id: String,
    description: String,
    parent_region_id: Option<String>,
    links: SelfLink,
}

pub fn region(region: &RegionRecord, base: &str) -> RegionJson {
    RegionJson {
        id: region.id.clone(),
        description: region.description.clone(),
        parent_region_id: region.parent.clone(),
        links: SelfLink {
            href: format!("{base}/v3/regions/{}", url_segment(&region.id)),
        },
    }
}

/// A region id (free text) as one path segment.
fn url_segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}
