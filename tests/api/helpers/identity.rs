//! Identity fixtures: credentials, scopes, authentication bodies in both formats, and what
//! an `access` answer holds.

use reqwest::{header, StatusCode};
use service_registry::identity::{
    NewPrincipal, PrincipalName, PrivilegeLevel, Secret, TenantId, TenantName, TenantRef,
};

use super::*;

pub const IDENTITY_NS: &str = "http://docs.openstack.org/identity/api/v2.0";
pub const HP_IDM_NS: &str = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";
pub const RAX_NS: &str = "http://docs.rackspace.com/identity/api/ext/RAX-KSKEY/v1.0";
pub const PASSWORD: &str = "correct horse battery";

/// A credential and scope, written in either format.
#[derive(Clone)]
pub enum Credential {
    Password(&'static str, &'static str),
    ApiKey(&'static str, String),
    AccessKey(String, String),
    Token(String),
}

#[derive(Clone, Default)]
pub struct Scope {
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
}

pub fn auth_body(credential: &Credential, scope: &Scope, format: Format) -> String {
    match format {
        Format::Json => {
            let mut auth = serde_json::Map::new();
            let (key, value) = match credential {
                Credential::Password(user, password) => (
                    "passwordCredentials",
                    serde_json::json!({"username": user, "password": password}),
                ),
                Credential::ApiKey(user, key) => (
                    "RAX-KSKEY:apiKeyCredentials",
                    serde_json::json!({"username": user, "apiKey": key}),
                ),
                Credential::AccessKey(access, secret) => (
                    "apiAccessKeyCredentials",
                    serde_json::json!({"accessKey": access, "secretKey": secret}),
                ),
                Credential::Token(id) => ("token", serde_json::json!({ "id": id })),
            };
            auth.insert(key.into(), value);
            if let Some(id) = &scope.tenant_id {
                auth.insert("tenantId".into(), id.clone().into());
            }
            if let Some(name) = &scope.tenant_name {
                auth.insert("tenantName".into(), name.clone().into());
            }
            serde_json::json!({ "auth": auth }).to_string()
        }
        Format::Xml => {
            let mut root = format!(r#"<auth xmlns="{IDENTITY_NS}""#);
            if let Some(id) = &scope.tenant_id {
                root.push_str(&format!(r#" tenantId="{}""#, xml_escape(id)));
            }
            if let Some(name) = &scope.tenant_name {
                root.push_str(&format!(r#" tenantName="{}""#, xml_escape(name)));
            }
            let child = match credential {
                Credential::Password(user, password) => format!(
                    r#"<passwordCredentials username="{user}" password="{}"/>"#,
                    xml_escape(password)
                ),
                Credential::ApiKey(user, key) => format!(
                    r#"<apiKeyCredentials xmlns="{RAX_NS}" username="{user}" apiKey="{key}"/>"#
                ),
                Credential::AccessKey(access, secret) => format!(
                    r#"<hp:apiAccessKeyCredentials xmlns:hp="{HP_IDM_NS}" accessKey="{access}" secretKey="{secret}"/>"#
                ),
                Credential::Token(id) => format!(r#"<token id="{id}"/>"#),
            };
            format!("{root}>{child}</auth>")
        }
    }
}

/// What an `access` document says, read the same from JSON and XML.
#[derive(Debug, PartialEq)]
pub struct Access {
    pub token: String,
    pub expires: String,
    pub tenant: Option<(String, String)>,
    pub user: (String, String),
    pub roles: Vec<(String, Option<String>)>,
    /// Whether a `serviceCatalog` is present (issued: yes; validated: no).
    pub catalog: bool,
}

pub fn access(reply: &Reply) -> Access {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    match reply.format() {
        Format::Json => {
            let doc = reply.json();
            let a = &doc["access"];
            let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
            Access {
                token: text(&a["token"]["id"]),
                expires: text(&a["token"]["expires"]),
                tenant: a["token"]
                    .get("tenant")
                    .map(|t| (text(&t["id"]), text(&t["name"]))),
                user: (text(&a["user"]["id"]), text(&a["user"]["name"])),
                roles: a["user"]["roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| (text(&r["id"]), r.get("tenantId").map(text)))
                    .collect(),
                catalog: a.get("serviceCatalog").is_some_and(|c| c.is_array()),
            }
        }
        Format::Xml => {
            let root = reply.xml();
            assert_eq!(
                (root.namespace.as_str(), root.name.as_str()),
                (IDENTITY_NS, "access")
            );
            let child = |e: &XmlElement, name: &str| {
                e.children.iter().find(|c| c.name == name).cloned().unwrap()
            };
            let token = child(&root, "token");
            let user = child(&root, "user");
            Access {
                token: token.attributes["id"].clone(),
                expires: token.attributes["expires"].clone(),
                tenant: token
                    .children
                    .first()
                    .map(|t| (t.attributes["id"].clone(), t.attributes["name"].clone())),
                user: (
                    user.attributes["id"].clone(),
                    user.attributes["name"].clone(),
                ),
                roles: child(&user, "roles")
                    .children
                    .iter()
                    .map(|r| {
                        (
                            r.attributes["id"].clone(),
                            r.attributes.get("tenantId").cloned(),
                        )
                    })
                    .collect(),
                catalog: root.children.iter().any(|c| c.name == "serviceCatalog"),
            }
        }
    }
}

impl TestApp {
    pub async fn authenticate(
        &self,
        credential: &Credential,
        scope: &Scope,
        format: Format,
    ) -> Reply {
        self.authenticate_from(&self.client, credential, scope, format)
            .await
    }

    pub async fn authenticate_from(
        &self,
        client: &reqwest::Client,
        credential: &Credential,
        scope: &Scope,
        format: Format,
    ) -> Reply {
        let request = client
            .post(format!("{}/v2.0/tokens", self.address))
            .header(header::ACCEPT, format.media_type())
            .header(header::CONTENT_TYPE, format.media_type())
            .body(auth_body(credential, scope, format));
        Reply::from(request).await
    }

    pub fn tenant(&self, name: &str, id: i64) -> TenantId {
        self.directory()
            .create_tenant(
                &TenantName::parse(name).unwrap(),
                Some(TenantId::parse(&id.to_string()).unwrap()),
                None,
            )
            .unwrap()
    }

    /// A principal with a password, member of `tenants`, default tenant `default`.
    pub fn user(&self, name: &str, level: &str, tenants: &[&str], default: Option<&str>) {
        let directory = self.directory();
        let name = PrincipalName::parse(name).unwrap();
        directory
            .create(&NewPrincipal {
                name: name.clone(),
                levels: vec![PrivilegeLevel::parse(level).unwrap()],
                tenants: tenants
                    .iter()
                    .map(|t| TenantRef::parse(t).unwrap())
                    .collect(),
                default_tenant: default.map(|t| TenantRef::parse(t).unwrap()),
            })
            .unwrap();
        directory
            .set_password(&name, &Secret::password(PASSWORD).unwrap())
            .unwrap();
    }
}

pub fn scoped_by_name(name: &str) -> Scope {
    Scope {
        tenant_name: Some(name.into()),
        ..Scope::default()
    }
}

pub fn scoped_by_id(id: &str) -> Scope {
    Scope {
        tenant_id: Some(id.into()),
        ..Scope::default()
    }
}
