//! The contract as files (schemas/), enforced on every response any test receives:
//! `Reply::from` calls [`check_response`]. XML goes through `xmllint --schema
//! schemas/xsd/api.xsd`, JSON through the JSON Schemas of schemas/json.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use jsonschema::Validator;
use reqwest::StatusCode;
use serde_json::Value;

use super::tools;

pub fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

/// A validator for schemas/json/NAME; relative `$ref`s resolve next to it.
pub fn json_schema(name: &str) -> Validator {
    let path = schemas_dir().join("json").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::options()
        .with_base_uri(format!("file://{}", path.display()))
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub struct ResponseSchemas {
    service: Validator,
    services: Validator,
    access: Validator,
    tenants: Validator,
    template: Validator,
    templates: Validator,
    tenant_endpoint: Validator,
    tenant_endpoints: Validator,
    token_endpoints: Validator,
    fault: Validator,
    keystone: KeystoneSchemas,
    live: LiveSchemas,
}

/// Keystone v3's bodies and version discovery (schemas/json/keystone).
pub struct KeystoneSchemas {
    error: Validator,
    token: Validator,
    versions: Validator,
    version: Validator,
    extensions: Validator,
    catalog: Validator,
    projects: Validator,
    project: Validator,
    domain: Validator,
    domains: Validator,
    services: Validator,
    service: Validator,
    endpoints: Validator,
    endpoint: Validator,
    regions: Validator,
    region: Validator,
    user: Validator,
    users: Validator,
    role: Validator,
    roles: Validator,
    role_assignments: Validator,
}

impl KeystoneSchemas {
    fn load() -> Self {
        let schema = |name: &str| json_schema(&format!("keystone/{name}.response.json"));
        Self {
            error: schema("error"),
            token: schema("token"),
            versions: schema("versions"),
            version: schema("version"),
            extensions: schema("extensions"),
            catalog: schema("catalog"),
            projects: schema("projects"),
            project: schema("project"),
            domain: schema("domain"),
            domains: schema("domains"),
            services: schema("services"),
            service: schema("service"),
            endpoints: schema("endpoints"),
            endpoint: schema("endpoint"),
            regions: schema("regions"),
            region: schema("region"),
            user: schema("user"),
            users: schema("users"),
            role: schema("role"),
            roles: schema("roles"),
            role_assignments: schema("role-assignments"),
        }
    }

    /// The schema of a v3 or discovery body, by its one top-level member (an HP-IDM or
    /// v2.0 body has other members, or other shapes under the same one).
    fn of(&self, document: &Value, root: &str) -> Option<&Validator> {
        let v3_list = document.get("links").is_some();
        Some(match root {
            "token" => &self.token,
            "versions" => &self.versions,
            "version" => &self.version,
            "extensions" => &self.extensions,
            "catalog" => &self.catalog,
            "projects" => &self.projects,
            "project" => &self.project,
            "domain" => &self.domain,
            "domains" => &self.domains,
            "services" => &self.services,
            "service" => &self.service,
            "endpoints" if v3_list => &self.endpoints,
            "endpoint" if document["endpoint"].get("interface").is_some() => &self.endpoint,
            "regions" => &self.regions,
            "region" => &self.region,
            "user" => &self.user,
            "users" => &self.users,
            "role" => &self.role,
            "roles" => &self.roles,
            "role_assignments" => &self.role_assignments,
            _ => return None,
        })
    }
}

/// The live registry's (`/v1.0`, `application/json; charset=UTF-8`).
pub struct LiveSchemas {
    service: Validator,
    services: Validator,
    token: Validator,
    events: Validator,
    value: Validator,
    values: Validator,
    limits: Validator,
    fault: Validator,
}

pub fn response_schemas() -> &'static ResponseSchemas {
    static SCHEMAS: OnceLock<ResponseSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| ResponseSchemas {
        service: json_schema("register-service.response.json"),
        services: json_schema("register-services.response.json"),
        access: json_schema("access.response.json"),
        tenants: json_schema("tenants.response.json"),
        template: json_schema("endpoint-template.response.json"),
        templates: json_schema("endpoint-templates.response.json"),
        tenant_endpoint: json_schema("tenant-endpoint.response.json"),
        tenant_endpoints: json_schema("tenant-endpoints.response.json"),
        token_endpoints: json_schema("token-endpoints.response.json"),
        fault: json_schema("fault.response.json"),
        keystone: KeystoneSchemas::load(),
        live: LiveSchemas {
            service: json_schema("live/service.response.json"),
            services: json_schema("live/services.response.json"),
            token: json_schema("live/token.response.json"),
            events: json_schema("live/events.response.json"),
            value: json_schema("live/configuration-value.response.json"),
            values: json_schema("live/configuration-values.response.json"),
            limits: json_schema("live/limits.response.json"),
            fault: json_schema("live/fault.response.json"),
        },
    })
}

/// Errors of `instance` against `validator`, as text.
pub fn violations(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

pub fn check_response(status: StatusCode, content_type: Option<&str>, body: &str) {
    match content_type {
        Some("application/json") => check_json(status, body),
        Some("application/json; charset=UTF-8") => check_live_json(status, body),
        Some("application/xml") => check_xml(body).unwrap_or_else(|e| panic!("{e}")),
        _ => {}
    }
}

pub fn check_json(status: StatusCode, body: &str) {
    let document: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("invalid JSON ({e}): {body}"));
    let schemas = response_schemas();
    // The document's member (v3's lists have `links` beside theirs).
    let root = document
        .as_object()
        .and_then(|members| members.keys().find(|key| *key != "links"))
        .map(String::as_str);
    let error_only = document
        .as_object()
        .is_some_and(|members| members.len() == 1 && members.contains_key("error"));
    let keystone = root.and_then(|root| schemas.keystone.of(&document, root));
    let schema = match (status.is_success() || status.as_u16() == 300, root) {
        (false, _) if error_only => &schemas.keystone.error,
        (false, _) => &schemas.fault,
        (true, _) if keystone.is_some() => keystone.unwrap(),
        (true, Some("registerServices")) => &schemas.services,
        (true, Some("access")) => &schemas.access,
        (true, Some("tenants")) => &schemas.tenants,
        (true, Some("endpointTemplate")) => &schemas.template,
        (true, Some("endpointTemplates")) => &schemas.templates,
        (true, Some("endpoint")) => &schemas.tenant_endpoint,
        // Identity's flat list, or HP-IDM's {"endpoints": {"endpoint": [...]}}.
        (true, Some("endpoints")) if document["endpoints"].is_array() => &schemas.token_endpoints,
        (true, Some("endpoints")) => &schemas.tenant_endpoints,
        (true, _) => &schemas.service,
    };
    let errors = violations(schema, &document);
    assert!(
        errors.is_empty(),
        "{status} response violates schemas/json: {errors:?}\n{body}"
    );
    record("json");
}

/// A live-registry body, dispatched by its shape (lists by the shape of their items).
pub fn check_live_json(status: StatusCode, body: &str) {
    let document: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("invalid JSON ({e}): {body}"));
    let schemas = &response_schemas().live;
    let has = |key: &str| document.get(key).is_some();
    let first_item = document["values"].get(0);
    let item_has = |key: &str| first_item.is_some_and(|item| item.get(key).is_some());
    let schema = if !status.is_success() {
        &schemas.fault
    } else if has("token") {
        &schemas.token
    } else if has("resource") {
        &schemas.limits
    } else if has("values") && item_has("heartbeat_timeout") {
        &schemas.services
    } else if has("values") && item_has("payload") {
        &schemas.events
    } else if has("values") {
        &schemas.values
    } else if has("value") {
        &schemas.value
    } else {
        &schemas.service
    };
    let errors = violations(schema, &document);
    assert!(
        errors.is_empty(),
        "{status} response violates schemas/json/live: {errors:?}\n{body}"
    );
    record("json");
}

/// Validates `document` against schemas/xsd/api.xsd. `Ok` without checking only where
/// xmllint is missing outside CI (said once on stderr); in CI a missing xmllint fails.
pub fn check_xml(document: &str) -> Result<(), String> {
    if !xmllint_available() {
        return Ok(());
    }
    let mut child = Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schemas_dir().join("xsd/api.xsd"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(document.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if !output.status.success() {
        return Err(format!(
            "XML violates schemas/xsd: {}\n{document}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    record("xml");
    Ok(())
}

pub fn xmllint_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let found = Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        tools::present(
            found,
            "xmllint (Debian package libxml2-utils)",
            "XML responses are not checked against schemas/xsd",
        )
    })
}

/// Counts validations for CI's summary: one line per validated document.
pub fn record(kind: &str) {
    if let Ok(path) = std::env::var("SCHEMA_VALIDATION_LOG") {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        // One write per line: O_APPEND keeps concurrent tests' lines whole.
        log.write_all(format!("{kind}\n").as_bytes()).unwrap();
    }
}
