//! Catalog fixtures: endpoint template bodies, templates and endpoints read from either
//! format, catalogs, and a world of tenants, users and templates to read them in.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};

use super::*;

pub const TEMPLATES: &str = "/v2.0/HP-IDM/v1.0/endpointTemplates";

/// This project's namespace of the liveness binding.
pub const LIVENESS_NS: &str = "urn:service-registry:liveness:1.0";

/// An `endpointTemplate` request body; `None` fields are left out.
#[derive(Clone, Default)]
pub struct TemplateBody {
    pub fields: BTreeMap<&'static str, String>,
    pub version: Option<(String, String, String)>,
    /// The liveness binding's fields as written (tenantId, tag, minAlive); numbers stay
    /// numbers in JSON.
    pub liveness: Option<Vec<(&'static str, String)>>,
}

impl TemplateBody {
    pub fn new(id: u64, name: &str, service_type: &str, public_url: &str) -> Self {
        let mut body = Self::default();
        body.fields.insert("id", id.to_string());
        body.fields.insert("name", name.into());
        body.fields.insert("type", service_type.into());
        body.fields.insert("publicURL", public_url.into());
        body
    }

    pub fn with(mut self, key: &'static str, value: &str) -> Self {
        self.fields.insert(key, value.into());
        self
    }

    pub fn without(mut self, key: &'static str) -> Self {
        self.fields.remove(key);
        self
    }

    pub fn version(mut self, id: &str, info: &str, list: &str) -> Self {
        self.version = Some((id.into(), info.into(), list.into()));
        self
    }

    pub fn bound(mut self, fields: &[(&'static str, &str)]) -> Self {
        self.liveness = Some(fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect());
        self
    }

    pub fn encode(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut object = serde_json::Map::new();
                for (key, value) in &self.fields {
                    let value = match *key {
                        "global" | "enabled" => serde_json::Value::Bool(value == "true"),
                        _ => value.clone().into(),
                    };
                    object.insert((*key).into(), value);
                }
                if let Some((id, info, list)) = &self.version {
                    object.insert(
                        "version".into(),
                        serde_json::json!({"id": id, "info": info, "list": list}),
                    );
                }
                if let Some(liveness) = &self.liveness {
                    let binding: serde_json::Map<String, serde_json::Value> = liveness
                        .iter()
                        .map(|(k, v)| {
                            let value = match v.parse::<i64>() {
                                Ok(number) if *k == "minAlive" => number.into(),
                                _ => v.clone().into(),
                            };
                            ((*k).to_owned(), value)
                        })
                        .collect();
                    object.insert("liveness".into(), binding.into());
                }
                serde_json::json!({ "endpointTemplate": object }).to_string()
            }
            Format::Xml => {
                let mut xml = format!(r#"<endpointTemplate xmlns="{SERVICES_NS}""#);
                for (key, value) in &self.fields {
                    xml.push_str(&format!(r#" {key}="{}""#, xml_escape(value)));
                }
                let mut children = String::new();
                if let Some((id, info, list)) = &self.version {
                    children.push_str(&format!(
                        r#"<version id="{id}" info="{info}" list="{list}"/>"#
                    ));
                }
                if let Some(liveness) = &self.liveness {
                    children.push_str(&format!(r#"<liveness xmlns="{LIVENESS_NS}""#));
                    for (key, value) in liveness {
                        children.push_str(&format!(r#" {key}="{}""#, xml_escape(value)));
                    }
                    children.push_str("/>");
                }
                if children.is_empty() {
                    xml.push_str("/>");
                } else {
                    xml.push_str(&format!(">{children}</endpointTemplate>"));
                }
                xml
            }
        }
    }
}

/// A template or endpoint as written, read the same from JSON and XML: every field as
/// text, the version flattened as `version.id` etc.
pub fn fields_of(
    reply_format: Format,
    json: Option<&serde_json::Value>,
    xml: Option<&XmlElement>,
) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    match reply_format {
        Format::Json => {
            for (key, value) in json.unwrap().as_object().unwrap() {
                match value {
                    serde_json::Value::Object(version) => {
                        for (k, v) in version {
                            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                            fields.insert(format!("{key}.{k}"), text);
                        }
                    }
                    serde_json::Value::String(text) => {
                        fields.insert(key.clone(), text.clone());
                    }
                    other => {
                        fields.insert(key.clone(), other.to_string());
                    }
                }
            }
        }
        Format::Xml => {
            let element = xml.unwrap();
            for (key, value) in &element.attributes {
                fields.insert(key.clone(), value.clone());
            }
            for child in &element.children {
                for (key, value) in &child.attributes {
                    fields.insert(format!("{}.{key}", child.name), value.clone());
                }
            }
        }
    }
    fields
}

/// The one template or endpoint of a reply.
pub fn one(reply: &Reply, root: &str) -> BTreeMap<String, String> {
    match reply.format() {
        Format::Json => fields_of(Format::Json, Some(&reply.json()[root]), None),
        Format::Xml => {
            let element = reply.xml();
            assert_eq!(
                (element.namespace.as_str(), element.name.as_str()),
                (SERVICES_NS, root)
            );
            fields_of(Format::Xml, None, Some(&element))
        }
    }
}

/// The templates or endpoints of a list reply, in order.
pub fn many(reply: &Reply, root: &str, item: &str) -> Vec<BTreeMap<String, String>> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match reply.format() {
        Format::Json => reply.json()[root][item]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| fields_of(Format::Json, Some(v), None))
            .collect(),
        Format::Xml => reply
            .xml()
            .children
            .iter()
            .map(|e| fields_of(Format::Xml, None, Some(e)))
            .collect(),
    }
}

impl TestApp {
    pub async fn add_template(&self, body: &TemplateBody, format: Format) -> Reply {
        self.send_body(
            Method::POST,
            TEMPLATES,
            format,
            body.encode(format),
            &self.token.clone(),
        )
        .await
    }

    pub async fn added_template(&self, body: &TemplateBody) {
        let reply = self.add_template(body, Format::Json).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }

    pub async fn template_request(
        &self,
        method: Method,
        path: &str,
        format: Format,
        token: &str,
    ) -> Reply {
        Reply::from(self.request_as(method, &format!("{TEMPLATES}{path}"), format, token)).await
    }
}

/// A catalog read the same from JSON and XML: services in order, each with its endpoints'
/// fields (XML's `version.id` is JSON's `versionId`, so both become `versionId`).
pub type Catalog = Vec<(String, String, Vec<BTreeMap<String, String>>)>;

pub fn catalog_of(reply: &Reply) -> Catalog {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match reply.format() {
        Format::Json => reply.json()["access"]["serviceCatalog"]
            .as_array()
            .unwrap()
            .iter()
            .map(|service| {
                let endpoints = service["endpoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| fields_of(Format::Json, Some(e), None))
                    .collect();
                (
                    service["name"].as_str().unwrap().to_owned(),
                    service["type"].as_str().unwrap().to_owned(),
                    endpoints,
                )
            })
            .collect(),
        Format::Xml => {
            let access = reply.xml();
            let catalog = access
                .children
                .iter()
                .find(|c| c.name == "serviceCatalog")
                .unwrap();
            catalog
                .children
                .iter()
                .map(|service| {
                    assert_eq!(service.namespace, IDENTITY_NS);
                    let endpoints = service
                        .children
                        .iter()
                        .map(|e| {
                            fields_of(Format::Xml, None, Some(e))
                                .into_iter()
                                .map(|(k, v)| match k.strip_prefix("version.") {
                                    Some(part) => (
                                        format!(
                                            "version{}{}",
                                            part[..1].to_uppercase(),
                                            &part[1..]
                                        ),
                                        v,
                                    ),
                                    None => (k, v),
                                })
                                .collect()
                        })
                        .collect();
                    (
                        service.attributes["name"].clone(),
                        service.attributes["type"].clone(),
                        endpoints,
                    )
                })
                .collect()
        }
    }
}

pub fn tenant_endpoints(tenant: &str) -> String {
    format!("/v2.0/HP-IDM/v1.0/tenants/{tenant}/endpoints")
}

impl TestApp {
    pub(crate) async fn associate(
        &self,
        tenant: &str,
        template: u64,
        format: Format,
        token: &str,
    ) -> Reply {
        let body = match format {
            Format::Json => format!(r#"{{"endpointTemplate": {{"id": {template}}}}}"#),
            Format::Xml => format!(r#"<endpointTemplate xmlns="{SERVICES_NS}" id="{template}"/>"#),
        };
        self.send_body(Method::POST, &tenant_endpoints(tenant), format, body, token)
            .await
    }
}

/// Nova (global, two regions), Swift (per tenant), a disabled template, a decommissioned
/// service's template; tenants 7 and 8; alice (DA of 7), dave (DU of 7), erin (DA of 8).
pub async fn catalog_world(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.registered(
        &ServiceBody::new(100, "Nova")
            .kind("compute")
            .state("public"),
    )
    .await;
    app.registered(
        &ServiceBody::new(200, "Swift")
            .kind("object-store")
            .state("preview"),
    )
    .await;
    app.registered(&ServiceBody::new(300, "Old").kind("legacy"))
        .await;
    app.added_template(
        &TemplateBody::new(1, "Nova", "compute", "https://nova.a/v1.1/%tenant_id%")
            .with("region", "region-a")
            .with("internalURL", "http://nova.a.internal/v1.1/$(tenant_id)s")
            .with("global", "true")
            .version("1.1", "https://nova.a/v1.1/", "https://nova.a/"),
    )
    .await;
    app.added_template(
        &TemplateBody::new(2, "Nova", "compute", "https://nova.b/v1.1/%tenant_id%")
            .with("region", "region-b")
            .with("global", "true"),
    )
    .await;
    app.added_template(&TemplateBody::new(
        3,
        "Swift",
        "object-store",
        "https://swift/v1/AUTH_%tenant_id%",
    ))
    .await;
    app.added_template(
        &TemplateBody::new(4, "Swift", "object-store", "https://swift.off/v1")
            .with("region", "off")
            .with("enabled", "false")
            .with("global", "true"),
    )
    .await;
    app.added_template(
        &TemplateBody::new(5, "Old", "legacy", "https://old").with("global", "true"),
    )
    .await;
    app.tenant("acme", 7);
    app.tenant("globex", 8);
    app.user("alice", "DA", &["7"], None);
    app.user("dave", "DU", &["7"], None);
    app.user("erin", "DA", &["8"], None);
    app
}

pub async fn token_of(app: &TestApp, user: &'static str, scope: &Scope) -> String {
    access(
        &app.authenticate(&Credential::Password(user, PASSWORD), scope, Format::Json)
            .await,
    )
    .token
}
