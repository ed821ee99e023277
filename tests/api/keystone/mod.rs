//! Keystone v3 beside v2.0 and version discovery: the rules OpenStack's tools rely on,
//! on both backends, every body checked against schemas/json/keystone by `Reply::from`.

mod admin_catalog;
mod admin_identity;
mod discovery;
mod tokens;
mod views;

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::schemas::{json_schema, violations};
use crate::helpers::*;

/// `{"auth": {"identity": {password by name in the Default domain}, "scope"?}}`.
pub fn password_by_name(user: &str, password: &str, scope: Option<Value>) -> Value {
    let mut auth = json!({
        "identity": {
            "methods": ["password"],
            "password": {"user": {"name": user, "domain": {"name": "Default"}, "password": password}}
        }
    });
    if let Some(scope) = scope {
        auth["scope"] = scope;
    }
    json!({ "auth": auth })
}

pub fn project_by_name(name: &str) -> Value {
    json!({"project": {"name": name, "domain": {"id": "default"}}})
}

pub fn project_by_id(id: &str) -> Value {
    json!({"project": {"id": id}})
}

impl TestApp {
    /// `POST /v3/auth/tokens` with `body` (and `query`, e.g. `?nocatalog`).
    pub async fn v3_issue(&self, body: &Value, query: &str) -> Reply {
        Reply::from(
            self.client
                .post(format!("{}/v3/auth/tokens{query}", self.address))
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// A token from `body`, insisting on 201; returns it with the reply's document.
    pub async fn v3_token(&self, body: &Value) -> (String, Value) {
        let reply = self.v3_issue(body, "").await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let token = reply
            .header("x-subject-token")
            .expect("X-Subject-Token")
            .to_owned();
        (token, reply.json())
    }

    /// A v3 request as `caller`, naming `subject` in X-Subject-Token when given.
    pub async fn v3(
        &self,
        method: Method,
        path: &str,
        caller: &str,
        subject: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("X-Auth-Token", caller);
        if let Some(subject) = subject {
            request = request.header("X-Subject-Token", subject);
        }
        Reply::from(request).await
    }

    /// A v3 write as `caller` with a JSON body, sent as it is.
    pub async fn v3_send(&self, method: Method, path: &str, caller: &str, body: &Value) -> Reply {
        Reply::from(
            self.client
                .request(method, format!("{}{path}", self.address))
                .header("X-Auth-Token", caller)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// A v3 write whose body keeps `schemas/json/keystone/<schema>.request.json` (asserted
    /// first, so the schema and the server agree on what they accept).
    pub async fn v3_write(
        &self,
        method: Method,
        path: &str,
        caller: &str,
        schema: &str,
        body: &Value,
    ) -> Reply {
        let validator = json_schema(&format!("keystone/{schema}.request.json"));
        let errors = violations(&validator, body);
        assert!(errors.is_empty(), "{body} breaks {schema}: {errors:?}");
        self.v3_send(method, path, caller, body).await
    }

    /// A v3 write with a body the request schema refuses too, answered 400.
    pub async fn v3_refused(
        &self,
        method: Method,
        path: &str,
        caller: &str,
        schema: &str,
        body: &Value,
    ) {
        let validator = json_schema(&format!("keystone/{schema}.request.json"));
        assert!(
            !violations(&validator, body).is_empty(),
            "{schema} accepts {body}, which the server refuses"
        );
        v3_fault(&self.v3_send(method, path, caller, body).await, 400);
    }

    /// A v3 write that must answer `status`; the document (`Null` for 204).
    pub async fn v3_ok(
        &self,
        method: Method,
        path: &str,
        caller: &str,
        schema: &str,
        body: &Value,
        status: u16,
    ) -> Value {
        let reply = self.v3_write(method, path, caller, schema, body).await;
        assert_eq!(reply.status.as_u16(), status, "{path}: {}", reply.body);
        if reply.body.is_empty() {
            Value::Null
        } else {
            reply.json()
        }
    }

    /// v3 `GET path` as `caller`, insisting on 200; the document.
    pub async fn v3_get(&self, path: &str, caller: &str) -> Value {
        let reply = self.v3(Method::GET, path, caller, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        reply.json()
    }

    /// Tenant 7 `acme` (alice, DU, default), tenant 8 `beta` (bob, DU, default), a
    /// registered compute service Nova (100) with a global template 1 in region-a with
    /// all three interfaces, and an identity service Keystone (101) with a template 2 in
    /// region-b, public only.
    pub async fn keystone_fixture(&self) {
        self.tenant("acme", 7);
        self.tenant("beta", 8);
        self.user("alice", "DU", &["acme"], Some("acme"));
        self.user("bob", "DU", &["beta"], Some("beta"));
        self.registered(
            &ServiceBody::new(100, "Nova")
                .kind("compute")
                .state("public"),
        )
        .await;
        self.registered(
            &ServiceBody::new(101, "Keystone")
                .kind("identity")
                .state("public")
                .describe("who is who"),
        )
        .await;
        self.added_template(
            &TemplateBody::new(
                1,
                "Nova",
                "compute",
                "https://nova.example/v1.1/%tenant_id%",
            )
            .with("region", "region-a")
            .with("internalURL", "http://nova.internal/v1.1/%tenant_id%")
            .with("adminURL", "http://nova.admin/v1.1")
            .with("global", "true"),
        )
        .await;
        self.added_template(
            &TemplateBody::new(2, "Keystone", "identity", "https://id.example/v3")
                .with("region", "region-b")
                .with("global", "true"),
        )
        .await;
    }

    /// Alice's project-scoped v3 token.
    pub async fn alice_v3(&self) -> String {
        self.v3_token(&password_by_name(
            "alice",
            PASSWORD,
            Some(project_by_name("acme")),
        ))
        .await
        .0
    }
}

/// The `(status, title)` of a v3 fault, asserting Keystone's shape (`Reply::fault` checks
/// that `error` stands alone and its code is the status).
pub fn v3_fault(reply: &Reply, status: u16) -> String {
    let fault = reply.assert_fault(status, "error");
    fault.details
}
