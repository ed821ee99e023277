//! Identity's port for the catalog: what a token's service catalog holds, and the
//! [`CatalogSource`] trait that yields it. Not a second catalog: identity does not build it;
//! the catalog subsystem implements [`CatalogSource`] and the application plugs it in.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use super::tenant::TenantId;
use crate::platform::http::xml::XmlWriter;

/// One registered service and its endpoints, as a token's catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogService {
    /// The registered service's id (Keystone v3 shows it; v2.0 does not).
    pub id: String,
    pub name: String,
    pub service_type: String,
    pub endpoints: Vec<CatalogEndpoint>,
}

/// One endpoint, URLs already substituted for the token's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogEndpoint {
    pub id: String,
    #[serde(rename = "tenantId", skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(rename = "publicURL")]
    pub public_url: String,
    #[serde(rename = "internalURL", skip_serializing_if = "Option::is_none")]
    pub internal_url: Option<String>,
    #[serde(rename = "adminURL", skip_serializing_if = "Option::is_none")]
    pub admin_url: Option<String>,
    #[serde(rename = "versionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(rename = "versionInfo", skip_serializing_if = "Option::is_none")]
    pub version_info: Option<String>,
    #[serde(rename = "versionList", skip_serializing_if = "Option::is_none")]
    pub version_list: Option<String>,
}

/// Why a catalog could not be built; `transient` failures (the database) answer 503.
#[derive(Debug, thiserror::Error)]
#[error("the service catalog could not be built")]
pub struct CatalogUnavailable {
    pub transient: bool,
    #[source]
    pub cause: Box<dyn std::error::Error + Send + Sync>,
}

pub type CatalogFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<CatalogService>, CatalogUnavailable>> + 'a>>;

/// Builds the catalog of a token: unscoped (`None`) or scoped to a tenant.
pub trait CatalogSource: Send + Sync {
    fn catalog(&self, tenant: Option<TenantId>) -> CatalogFuture<'_>;
}

impl Serialize for CatalogService {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            name: &'a str,
            #[serde(rename = "type")]
            service_type: &'a str,
            endpoints: &'a [CatalogEndpoint],
            endpoints_links: [(); 0],
        }
        Json {
            name: &self.name,
            service_type: &self.service_type,
            endpoints: &self.endpoints,
            endpoints_links: [],
        }
        .serialize(serializer)
    }
}

impl CatalogService {
    /// `<service type name><endpoint ...><version .../></endpoint></service>`.
    pub fn write_xml(&self, xml: &mut XmlWriter) {
        xml.open("service", None)
            .attribute("type", &self.service_type)
            .attribute("name", &self.name)
            .close_start();
        for endpoint in &self.endpoints {
            endpoint.write_xml(xml, None);
        }
        xml.end("service");
    }
}

impl CatalogEndpoint {
    /// `<endpoint id tenantId? region? publicURL ...>`, with the service's name and type
    /// when listed apart from their service.
    pub fn write_xml(&self, xml: &mut XmlWriter, service: Option<(&str, &str)>) {
        xml.open("endpoint", None).attribute("id", &self.id);
        if let Some((name, service_type)) = service {
            xml.attribute("name", name).attribute("type", service_type);
        }
        xml.attributes_present(&[
            ("tenantId", self.tenant_id.as_deref()),
            ("region", self.region.as_deref()),
        ])
        .attribute("publicURL", &self.public_url)
        .attributes_present(&[
            ("internalURL", self.internal_url.as_deref()),
            ("adminURL", self.admin_url.as_deref()),
        ]);
        let has_version =
            self.version_id.is_some() || self.version_info.is_some() || self.version_list.is_some();
        if !has_version {
            xml.empty();
            return;
        }
        xml.close_start()
            .open("version", None)
            .attributes_present(&[
                ("id", self.version_id.as_deref()),
                ("info", self.version_info.as_deref()),
                ("list", self.version_list.as_deref()),
            ])
            .empty();
        xml.end("endpoint");
    }
}
