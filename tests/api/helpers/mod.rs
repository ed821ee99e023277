//! `TestApp` runs the real server (port 0) on a fresh database and offers one typed helper
//! per endpoint. Replies are read format-neutrally (`reply.rs`), so one test body checks a
//! rule in JSON and in XML.

pub mod catalog;
pub mod identity;
pub mod metrics;
pub mod node;
pub mod poll;
pub mod proxy;
pub mod races;
pub mod reply;
pub mod schemas;
pub mod tools;

use std::time::Duration;

use reqwest::{header, Method, RequestBuilder, StatusCode};
use serde_json::Value;
use service_registry::app::{Application, Jobs};
use service_registry::identity::{Admin, PrincipalName, PrincipalStatus, PrivilegeLevel};
use service_registry::platform::db::Database;
use service_registry::settings::Settings;
use tempfile::TempDir;

/// For each `async fn NAME(backend: Backend)` listed, generates the test cases
/// `NAME::sqlite` and `NAME::postgres`. The latter are `#[ignore]`d, so a plain
/// `cargo test` needs no database server; `.ci/run` adds `--include-ignored`, and there a
/// missing PostgreSQL fails them loudly.
macro_rules! on_both_backends {
    // Tests whose own tasks must run while they block (starting a server process).
    (multi_thread: $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }

            #[tokio::test]
            #[ignore = "PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL database tests create their databases in (its user needs CREATEDB).
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            panic!(
            "TEST_DATABASE_URL must name a PostgreSQL database whose user may CREATE DATABASE, \
             e.g. postgres://postgres@127.0.0.1:5432/test (CI sets it)"
        )
        })
}

/// A brand-new, empty database for one test: a file in a temporary directory, or a
/// PostgreSQL database of its own (dropped afterwards), so runs never see each other's rows.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code, reason = "removed on drop")] TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = dir.path().join("registry.db").to_str().unwrap().to_owned();
                Self {
                    url,
                    cleanup: Cleanup::Directory(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                check_connection_room(&admin_url);
                let name = format!("sr_test_{:016x}", rand::random::<u64>());
                postgres_admin(&admin_url, &format!("CREATE DATABASE {name}"));
                let (base, query) = match admin_url.split_once('?') {
                    Some((base, query)) => (base, format!("?{query}")),
                    None => (admin_url.as_str(), String::new()),
                };
                let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
                let url = format!("{server}/{name}{query}");
                Self {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                }
            }
        }
    }
}

impl TestDatabase {
    /// The PostgreSQL database's name (none for a SQLite file).
    pub fn postgres_name(&self) -> Option<&str> {
        match &self.cleanup {
            Cleanup::Postgres { name, .. } => Some(name),
            Cleanup::Directory(_) => None,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            postgres_admin(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// The PostgreSQL connections the suite may hold at once: six test threads
/// (`.cargo/config.toml`), each with up to two in-process nodes whose pools hold up to
/// `database.postgres_pool_size` (16) connections, and the nodes some tests run as processes.
/// A server allowing fewer fails tests at random ("too many clients already"); say so once,
/// clearly, instead.
const CONNECTIONS_NEEDED: i64 = 250;

fn check_connection_room(admin_url: &str) {
    static CHECKED: std::sync::Once = std::sync::Once::new();
    CHECKED.call_once(|| {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            max_connections: String,
        }
        let mut conn = diesel::PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TEST_DATABASE_URL: {e}"));
        let setting: Setting = diesel::sql_query("SHOW max_connections")
            .get_result(&mut conn)
            .expect("SHOW max_connections");
        let allowed: i64 = setting.max_connections.parse().expect("a number");
        assert!(
            allowed >= CONNECTIONS_NEEDED,
            "PostgreSQL at TEST_DATABASE_URL allows {allowed} connections; the suite needs \
             {CONNECTIONS_NEEDED} (ALTER SYSTEM SET max_connections = 300, then restart it; \
             .ci/run does)"
        );
    });
}

fn postgres_admin(admin_url: &str, statement: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at TEST_DATABASE_URL: {e}"));
    diesel::sql_query(statement)
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

pub const BASE: &str = "/v2.0/HP-IDM/v1.0";

/// Milliseconds since the Unix epoch, the unit of every timestamp the registry shows.
pub fn now_ms() -> i64 {
    service_registry::platform::db::now_millis()
}

/// A duration in milliseconds, the unit of every timestamp the registry shows.
pub fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap()
}

pub const SERVICES_NS: &str = "http://www.hp.com/identity/api/ext/HP-IDM/v1.0";
pub const FAULT_NS: &str = "http://docs.openstack.org/identity/api/v2.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

pub const FORMATS: [Format; 2] = [Format::Json, Format::Xml];

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml",
        }
    }
}

pub struct TestApp {
    pub address: String,
    /// The admin listener (`GET /metrics`), when the settings give `admin_bind`.
    pub admin_address: Option<String>,
    /// The loopback listener of the node's intake probes.
    pub probe_address: String,
    pub database: Database,
    pub database_url: String,
    /// The node's background jobs, for a test to run one at once.
    pub jobs: Jobs,
    /// An SA token, for tests that are not about privileges.
    pub token: String,
    pub client: reqwest::Client,
    /// Dropped last: removes the database once the app is gone (`None`: another node's).
    _test_database: Option<TestDatabase>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// The real application on a fresh database, with `adjust` applied to the settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        let test_database = TestDatabase::new(backend);
        let url = test_database.url.clone();
        let mut app = Self::start(&url, Some(test_database), adjust).await;
        app.token = app.principal_token("root-admin", &["SA"]);
        app
    }

    /// Another node (in this process, with its own pool, caches and workers) on the
    /// database of `first`, acting with the same SA token.
    pub async fn another_node(first: &TestApp, adjust: impl FnOnce(&mut Settings)) -> Self {
        let url = first.database_url.clone();
        let mut app = Self::start(&url, None, adjust).await;
        app.token = first.token.clone();
        app
    }

    /// A node on a database that already holds a registry (restored, copied), acting with
    /// `token`, an SA token that database holds.
    pub async fn on_existing(url: &str, token: &str) -> Self {
        let mut app = Self::start(url, None, |_| {}).await;
        app.token = token.to_owned();
        app
    }

    async fn start(
        url: &str,
        test_database: Option<TestDatabase>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let mut settings = Settings {
            database_url: url.to_owned(),
            bind: "127.0.0.1:0".into(),
            ..Settings::default()
        };
        adjust(&mut settings);
        let application = Application::build(settings)
            .await
            .expect("application starts");
        let address = format!("http://{}", application.address());
        let admin_address = application.admin_url();
        let probe_address = application.probe_url();
        let database = application.database().clone();
        let jobs = application.jobs();
        tokio::spawn(application.run_until_stopped());
        Self {
            address,
            admin_address,
            probe_address,
            database,
            database_url: url.to_owned(),
            jobs,
            token: String::new(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _test_database: test_database,
        }
    }

    /// Identity's administration API on the app's database.
    pub fn directory(&self) -> Admin {
        Admin::new(self.database.clone())
    }

    /// Creates a principal with these levels and returns a fresh token for it.
    pub fn principal_token(&self, name: &str, levels: &[&str]) -> String {
        let name = PrincipalName::parse(name).unwrap();
        let levels: Vec<PrivilegeLevel> = levels
            .iter()
            .map(|l| PrivilegeLevel::parse(l).unwrap())
            .collect();
        self.directory().create_principal(&name, &levels).unwrap();
        self.issue_token(name.as_str(), Duration::from_secs(3600))
    }

    pub fn issue_token(&self, name: &str, ttl: Duration) -> String {
        let name = PrincipalName::parse(name).unwrap();
        self.directory()
            .issue_token(&name, ttl)
            .unwrap()
            .expose()
            .to_owned()
    }

    pub fn set_status(&self, name: &str, status: PrincipalStatus) {
        let name = PrincipalName::parse(name).unwrap();
        self.directory().set_status(&name, status).unwrap();
    }

    /// A request with the SA token and `Accept` for `format`.
    pub fn request(&self, method: Method, path: &str, format: Format) -> RequestBuilder {
        self.request_as(method, path, format, &self.token)
    }

    pub fn request_as(
        &self,
        method: Method,
        path: &str,
        format: Format,
        token: &str,
    ) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .header("X-Auth-Token", token)
            .header(header::ACCEPT, format.media_type())
    }

    pub async fn get_service(&self, id: &str, format: Format) -> Reply {
        self.get_service_as(id, format, &self.token).await
    }

    pub async fn get_service_as(&self, id: &str, format: Format, token: &str) -> Reply {
        Reply::from(self.request_as(Method::GET, &format!("{BASE}/services/{id}"), format, token))
            .await
    }

    pub async fn list_services(&self, query: &str, format: Format) -> Reply {
        self.list_services_as(query, format, &self.token).await
    }

    pub async fn list_services_as(&self, query: &str, format: Format, token: &str) -> Reply {
        Reply::from(self.request_as(
            Method::GET,
            &format!("{BASE}/services{query}"),
            format,
            token,
        ))
        .await
    }

    pub async fn register(&self, service: &ServiceBody, format: Format) -> Reply {
        self.register_as(service, format, &self.token).await
    }

    pub async fn register_as(&self, service: &ServiceBody, format: Format, token: &str) -> Reply {
        self.send_body(
            Method::POST,
            &format!("{BASE}/services"),
            format,
            service.encode(format),
            token,
        )
        .await
    }

    pub async fn update(&self, id: &str, service: &ServiceBody, format: Format) -> Reply {
        self.update_as(id, service, format, &self.token).await
    }

    pub async fn update_as(
        &self,
        id: &str,
        service: &ServiceBody,
        format: Format,
        token: &str,
    ) -> Reply {
        self.send_body(
            Method::PUT,
            &format!("{BASE}/services/{id}"),
            format,
            service.encode(format),
            token,
        )
        .await
    }

    /// A body in `format`, declared as `format`, answered in `format`.
    pub async fn send_body(
        &self,
        method: Method,
        path: &str,
        format: Format,
        body: String,
        token: &str,
    ) -> Reply {
        let request = self
            .request_as(method, path, format, token)
            .header(header::CONTENT_TYPE, format.media_type())
            .body(body);
        Reply::from(request).await
    }

    /// Registers `service` and insists on 201.
    pub async fn registered(&self, service: &ServiceBody) -> ServiceView {
        let reply = self.register(service, Format::Json).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.service()
    }
}

/// A `registerService` request body; `None` fields are left out.
#[derive(Debug, Clone, Default)]
pub struct ServiceBody {
    pub id: Option<String>,
    pub name: Option<String>,
    pub service_type: Option<String>,
    pub release_state: Option<String>,
    pub description: Option<String>,
}

impl ServiceBody {
    pub fn new(id: impl ToString, name: &str) -> Self {
        Self {
            id: Some(id.to_string()),
            name: Some(name.to_owned()),
            service_type: Some("compute".to_owned()),
            release_state: None,
            description: None,
        }
    }

    pub fn state(mut self, state: &str) -> Self {
        self.release_state = Some(state.to_owned());
        self
    }

    pub fn kind(mut self, service_type: &str) -> Self {
        self.service_type = Some(service_type.to_owned());
        self
    }

    pub fn describe(mut self, description: &str) -> Self {
        self.description = Some(description.to_owned());
        self
    }

    pub fn encode(&self, format: Format) -> String {
        match format {
            Format::Json => {
                let mut fields = serde_json::Map::new();
                let mut put = |key: &str, value: &Option<String>| {
                    if let Some(value) = value {
                        fields.insert(key.to_owned(), Value::String(value.clone()));
                    }
                };
                put("id", &self.id);
                put("serviceName", &self.name);
                put("serviceType", &self.service_type);
                put("releaseState", &self.release_state);
                put("description", &self.description);
                fields.insert("otherAttributes".into(), Value::Object(Default::default()));
                serde_json::json!({ "registerService": fields }).to_string()
            }
            Format::Xml => {
                let mut xml = format!(r#"<registerService xmlns="{SERVICES_NS}""#);
                for (key, value) in [
                    ("id", &self.id),
                    ("serviceName", &self.name),
                    ("serviceType", &self.service_type),
                    ("releaseState", &self.release_state),
                    ("description", &self.description),
                ] {
                    if let Some(value) = value {
                        xml.push_str(&format!(r#" {key}="{}""#, xml_escape(value)));
                    }
                }
                xml.push_str("/>");
                xml
            }
        }
    }
}

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\t', "&#9;")
        .replace('\r', "&#13;")
}

pub use catalog::*;
pub use identity::*;
pub use metrics::*;
pub use poll::*;
pub use races::*;
pub use reply::*;
