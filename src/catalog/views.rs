//! Wire shapes of endpoint templates and tenant endpoints, in the HP-IDM namespace. JSON
//! leaves out what a template does not have (no nulls); XML writes the same as attributes
//! with a `<version>` child.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::domain::{EndpointTemplate, EndpointUrl};
use super::requests::LIVENESS_NS;
use crate::identity::TenantId;
use crate::platform::http::xml::XmlWriter;
use crate::platform::http::Representation;
use crate::registry::SERVICES_NS;

const TEMPLATE_BYTES: usize = 400;

/// A template as JSON, URLs substituted for `tenant` when shown as a tenant's endpoint.
#[derive(Serialize)]
struct TemplateJson<'a> {
    id: String,
    #[serde(rename = "tenantId", skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    name: &'a str,
    #[serde(rename = "type")]
    service_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(rename = "publicURL")]
    public_url: String,
    #[serde(rename = "publicURL2", skip_serializing_if = "Option::is_none")]
    public_url2: Option<String>,
    #[serde(rename = "internalURL", skip_serializing_if = "Option::is_none")]
    internal_url: Option<String>,
    #[serde(rename = "adminURL", skip_serializing_if = "Option::is_none")]
    admin_url: Option<String>,
    global: bool,
    enabled: bool,
    #[serde(rename = "releaseState")]
    release_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<VersionJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    liveness: Option<LivenessJson<'a>>,
}

/// A template's fleet: the binding and, on reads, how many of it are alive now.
#[derive(Serialize)]
struct LivenessJson<'a> {
    #[serde(rename = "tenantId")]
    tenant_id: String,
    tag: &'a str,
    #[serde(rename = "minAlive")]
    min_alive: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    alive: Option<u64>,
}

#[derive(Serialize)]
struct VersionJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<&'a str>,
}

fn json(template: &EndpointTemplate, tenant: Option<TenantId>) -> TemplateJson<'_> {
    let tenant_text = tenant.map(|t| t.to_string());
    let url = |u: &EndpointUrl| u.for_tenant(tenant_text.as_deref());
    let fields = &template.fields;
    let version = &fields.version;
    TemplateJson {
        id: fields.id.to_string(),
        tenant_id: tenant_text.clone(),
        name: template.service.name.as_str(),
        service_type: template.service.service_type.as_str(),
        region: fields.region.as_ref().map(|r| r.as_str()),
        public_url: url(&fields.public_url),
        public_url2: fields.public_url2.as_ref().map(url),
        internal_url: fields.internal_url.as_ref().map(url),
        admin_url: fields.admin_url.as_ref().map(url),
        global: fields.global,
        enabled: fields.enabled,
        release_state: template.release_state.as_str(),
        version: (!version.is_empty()).then_some(VersionJson {
            id: version.id.as_deref(),
            info: version.info.as_deref(),
            list: version.list.as_deref(),
        }),
        liveness: fields.liveness.as_ref().map(|liveness| LivenessJson {
            tenant_id: liveness.tenant.to_string(),
            tag: &liveness.tag,
            min_alive: liveness.min_alive,
            alive: template.alive,
        }),
    }
}

/// `<NAME xmlns? id tenantId? name type region? publicURL ...><version/><liveness/></NAME>`.
fn write(xml: &mut XmlWriter, element: &str, namespace: Option<&str>, view: &TemplateJson<'_>) {
    xml.open(element, namespace)
        .attribute("id", &view.id)
        .attributes_present(&[("tenantId", view.tenant_id.as_deref())])
        .attribute("name", view.name)
        .attribute("type", view.service_type)
        .attributes_present(&[("region", view.region)])
        .attribute("publicURL", &view.public_url)
        .attributes_present(&[
            ("publicURL2", view.public_url2.as_deref()),
            ("internalURL", view.internal_url.as_deref()),
            ("adminURL", view.admin_url.as_deref()),
        ])
        .attribute("global", if view.global { "true" } else { "false" })
        .attribute("enabled", if view.enabled { "true" } else { "false" })
        .attribute("releaseState", view.release_state);
    if view.version.is_none() && view.liveness.is_none() {
        xml.empty();
        return;
    }
    xml.close_start();
    if let Some(version) = &view.version {
        xml.open("version", None)
            .attributes_present(&[
                ("id", version.id),
                ("info", version.info),
                ("list", version.list),
            ])
            .empty();
    }
    if let Some(liveness) = &view.liveness {
        xml.open("liveness", Some(LIVENESS_NS))
            .attribute("tenantId", &liveness.tenant_id)
            .attribute("tag", liveness.tag)
            .attribute("minAlive", &liveness.min_alive.to_string());
        if let Some(alive) = liveness.alive {
            xml.attribute("alive", &alive.to_string());
        }
        xml.empty();
    }
    xml.end(element);
}

fn single<S: Serializer>(
    serializer: S,
    key: &str,
    value: &impl Serialize,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

/// `{"endpointTemplate": {...}}`.
pub struct TemplateView(pub EndpointTemplate);

impl Serialize for TemplateView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        single(serializer, "endpointTemplate", &json(&self.0, None))
    }
}

impl Representation for TemplateView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        write(
            xml,
            "endpointTemplate",
            Some(SERVICES_NS),
            &json(&self.0, None),
        );
    }
}

/// `{"endpointTemplates": {"endpointTemplate": [...]}}`.
pub struct TemplatePage(pub Vec<EndpointTemplate>);

impl Serialize for TemplatePage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct List<'a> {
            #[serde(rename = "endpointTemplate")]
            templates: Vec<TemplateJson<'a>>,
        }
        let list = List {
            templates: self.0.iter().map(|t| json(t, None)).collect(),
        };
        single(serializer, "endpointTemplates", &list)
    }
}

impl Representation for TemplatePage {
    fn write_xml(&self, xml: &mut XmlWriter) {
        write_list(xml, "endpointTemplates", "endpointTemplate", &self.0, None);
    }

    fn size_hint(&self) -> usize {
        128 + self.0.len() * TEMPLATE_BYTES
    }
}

fn write_list(
    xml: &mut XmlWriter,
    list: &str,
    element: &str,
    templates: &[EndpointTemplate],
    tenant: Option<TenantId>,
) {
    xml.list(list, Some(SERVICES_NS), templates, |xml, template| {
        write(xml, element, None, &json(template, tenant));
    });
}

/// A template as one tenant's endpoint: `{"endpoint": {...}}`, URLs for that tenant.
pub struct EndpointView(pub TenantId, pub EndpointTemplate);

impl Serialize for EndpointView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        single(serializer, "endpoint", &json(&self.1, Some(self.0)))
    }
}

impl Representation for EndpointView {
    fn write_xml(&self, xml: &mut XmlWriter) {
        write(
            xml,
            "endpoint",
            Some(SERVICES_NS),
            &json(&self.1, Some(self.0)),
        );
    }
}

/// A tenant's endpoints: `{"endpoints": {"endpoint": [...]}}`.
pub struct EndpointList(pub TenantId, pub Vec<EndpointTemplate>);

impl Serialize for EndpointList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct List<'a> {
            endpoint: Vec<TemplateJson<'a>>,
        }
        let list = List {
            endpoint: self.1.iter().map(|t| json(t, Some(self.0))).collect(),
        };
        single(serializer, "endpoints", &list)
    }
}

impl Representation for EndpointList {
    fn write_xml(&self, xml: &mut XmlWriter) {
        write_list(xml, "endpoints", "endpoint", &self.1, Some(self.0));
    }
}
