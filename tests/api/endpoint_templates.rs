//! Endpoint templates and tenant endpoints (HP-IDM v1.0), in JSON and XML: the request
//! and response shapes, the rules and the levels.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};

use crate::helpers::*;

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

async fn a_template_is_added_read_replaced_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(
        &ServiceBody::new(100, "Nova")
            .kind("compute")
            .state("public"),
    )
    .await;
    for (n, format) in FORMATS.into_iter().enumerate() {
        let id = 10 + n as u64;
        let region = format!("region-{n}");
        let body = TemplateBody::new(id, "NOVA", "compute", "https://nova/v1.1/%tenant_id%")
            .with("region", &region)
            .with("internalURL", "http://nova.internal/v1.1/%tenant_id%")
            .with("global", "true")
            .version("1.1", "https://nova/v1.1/", "https://nova/");
        let reply = app.add_template(&body, format).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert!(reply
            .header("location")
            .is_some_and(|l| l.ends_with(&format!("{TEMPLATES}/{id}"))));
        let created = one(&reply, "endpointTemplate");
        assert_eq!(created["name"], "Nova", "the service's own spelling");
        assert_eq!(created["type"], "compute");
        assert_eq!(
            created["publicURL"], "https://nova/v1.1/%tenant_id%",
            "templates keep placeholders"
        );
        assert_eq!(created["global"], "true");
        assert_eq!(created["enabled"], "true");
        assert_eq!(
            created["releaseState"], "public",
            "the service's state by default"
        );
        assert_eq!(created["version.id"], "1.1");
        assert!(!created.contains_key("adminURL"));

        let fetched = app
            .template_request(Method::GET, &format!("/{id}"), format, &app.token)
            .await;
        assert_eq!(one(&fetched, "endpointTemplate"), created);

        // PUT replaces everything but the release state, which it keeps when left out.
        let replacement = TemplateBody::new(id, "nova", "compute", "https://nova2/v2/%tenant_id%")
            .with("region", &region)
            .with("enabled", "false");
        let reply = app
            .send_body(
                Method::PUT,
                &format!("{TEMPLATES}/{id}"),
                format,
                replacement.clone().without("id").encode(format),
                &app.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let replaced = one(&reply, "endpointTemplate");
        assert_eq!(replaced["publicURL"], "https://nova2/v2/%tenant_id%");
        assert_eq!(replaced["enabled"], "false");
        assert_eq!(replaced["global"], "false");
        assert_eq!(replaced["releaseState"], "public");
        assert!(!replaced.contains_key("internalURL") && !replaced.contains_key("version.id"));
        let reply = app
            .send_body(
                Method::PUT,
                &format!("{TEMPLATES}/{id}"),
                format,
                replacement
                    .clone()
                    .with("releaseState", "beta")
                    .encode(format),
                &app.token,
            )
            .await;
        assert_eq!(one(&reply, "endpointTemplate")["releaseState"], "beta");

        let deleted = app
            .template_request(Method::DELETE, &format!("/{id}"), format, &app.token)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.template_request(Method::GET, &format!("/{id}"), format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
        app.template_request(Method::DELETE, &format!("/{id}"), format, &app.token)
            .await
            .assert_fault(404, "itemNotFound");
    }
}

async fn templates_must_name_a_registered_service_of_their_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    app.added_template(&TemplateBody::new(1, "Nova", "compute", "https://a").with("region", "r1"))
        .await;
    for format in FORMATS {
        for (body, status, element) in [
            (
                TemplateBody::new(2, "Glance", "image", "https://g"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "image", "https://g"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").without("publicURL"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://a b"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").with("releaseState", "gone"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(2, "Nova", "compute", "https://g").without("id"),
                400,
                "badRequest",
            ),
            (
                TemplateBody::new(1, "Nova", "compute", "https://g").with("region", "r2"),
                409,
                "identityFault",
            ),
            (
                TemplateBody::new(2, "nova", "compute", "https://g").with("region", "r1"),
                409,
                "identityFault",
            ),
        ] {
            app.add_template(&body, format)
                .await
                .assert_fault(status, element);
        }
    }
}

async fn templates_are_listed_in_pages_by_service_and_enabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    app.registered(&ServiceBody::new(200, "Swift").kind("object-store"))
        .await;
    for id in 1..=5u64 {
        let (name, kind) = if id % 2 == 1 {
            ("Nova", "compute")
        } else {
            ("Swift", "object-store")
        };
        let body = TemplateBody::new(id, name, kind, "https://x")
            .with("region", &format!("r{id}"))
            .with("enabled", if id == 3 { "false" } else { "true" });
        app.added_template(&body).await;
    }
    let ids = |reply: &Reply| -> Vec<String> {
        many(reply, "endpointTemplates", "endpointTemplate")
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    for format in FORMATS {
        let du = app.principal_token(&format!("reader-{}", format.media_type().len()), &["DU"]);
        let first = app
            .template_request(Method::GET, "?limit=2", format, &du)
            .await;
        assert_eq!(ids(&first), ["1", "2"]);
        assert!(first.header("link").is_some_and(|l| l.contains("marker=2")));
        let last = app
            .template_request(Method::GET, "?limit=2&marker=4", format, &du)
            .await;
        assert_eq!(ids(&last), ["5"]);
        assert!(last.header("link").is_none());
        let nova = app
            .template_request(Method::GET, "?serviceName=NOVA", format, &du)
            .await;
        assert_eq!(ids(&nova), ["1", "3", "5"]);
        let enabled = app
            .template_request(Method::GET, "/enabled?serviceName=nova", format, &du)
            .await;
        assert_eq!(ids(&enabled), ["1", "5"]);
        let nobody = app
            .template_request(Method::GET, "?serviceName=Nothing", format, &du)
            .await;
        assert!(ids(&nobody).is_empty());
        app.template_request(Method::GET, "?marker=99", format, &du)
            .await
            .assert_fault(404, "itemNotFound");
        app.template_request(Method::GET, "?limit=1001", format, &du)
            .await
            .assert_fault(413, "overLimit");
        for bad in ["?limit=x", "?limit=0", "?limit=-1", "?limit=%2B5"] {
            app.template_request(Method::GET, bad, format, &du)
                .await
                .assert_fault(400, "badRequest");
        }
        // DU reads but does not write.
        let body = TemplateBody::new(9, "Nova", "compute", "https://x").with("region", "r9");
        app.send_body(Method::POST, TEMPLATES, format, body.encode(format), &du)
            .await
            .assert_fault(401, "unauthorized");
        app.template_request(Method::DELETE, "/1", format, &du)
            .await
            .assert_fault(401, "unauthorized");
    }
}

/// HP's own JSON spelling of the root, `EndpointTemplate`, is read like ours.
async fn hps_spelling_of_the_root_is_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.registered(&ServiceBody::new(100, "Nova").kind("compute"))
        .await;
    let body = TemplateBody::new(1, "Nova", "compute", "https://nova")
        .encode(Format::Json)
        .replacen("\"endpointTemplate\"", "\"EndpointTemplate\"", 1);
    let reply = app
        .send_body(Method::POST, TEMPLATES, Format::Json, body, &app.token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(one(&reply, "endpointTemplate")["publicURL"], "https://nova");
    // A JSON number is an id too.
    let body = TemplateBody::new(2, "Nova", "compute", "https://nova2")
        .with("region", "r2")
        .encode(Format::Json)
        .replacen("\"id\":\"2\"", "\"id\":2", 1);
    assert!(body.contains("\"id\":2"), "{body}");
    let reply = app
        .send_body(Method::POST, TEMPLATES, Format::Json, body, &app.token)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(one(&reply, "endpointTemplate")["id"], "2");
}

on_both_backends!(
    hps_spelling_of_the_root_is_accepted,
    a_template_is_added_read_replaced_and_deleted,
    templates_must_name_a_registered_service_of_their_type,
    templates_are_listed_in_pages_by_service_and_enabled,
);
