//! HTTPS with rustls: `serve --tls-cert --tls-key` with a self-signed certificate made
//! here, and PostgreSQL over TLS (`sslmode`) through the bundled libpq.

use reqwest::StatusCode;

use crate::helpers::node::*;
use crate::helpers::*;

struct SelfSigned {
    dir: tempfile::TempDir,
    pem: String,
}

impl SelfSigned {
    fn new() -> Self {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), certified.cert.pem()).unwrap();
        std::fs::write(
            dir.path().join("key.pem"),
            certified.key_pair.serialize_pem(),
        )
        .unwrap();
        Self {
            pem: certified.cert.pem(),
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn serve_speaks_https_with_the_given_certificate_and_nothing_in_clear() {
    let certificate = SelfSigned::new();
    let database = TestDatabase::new(Backend::Sqlite);
    let logs = tempfile::tempdir().unwrap();
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.pem.as_bytes()).unwrap())
        .use_rustls_tls();
    let node = Node::start_with(
        &database.url,
        logs.path().join("node.log"),
        &[
            "--tls-cert",
            &certificate.path("cert.pem"),
            "--tls-key",
            &certificate.path("key.pem"),
        ],
        trusting,
    );
    assert!(
        node.address.starts_with("https://127.0.0.1:"),
        "{}",
        node.address
    );
    let token = node.bootstrap_token.clone().unwrap();
    for format in FORMATS {
        let reply = node.get(&format!("{BASE}/services"), &token, format).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }

    // A client that does not trust the certificate is refused by its own TLS check.
    let stranger = reqwest::Client::builder().use_rustls_tls().build().unwrap();
    assert!(stranger
        .get(format!("{}/healthz", node.address))
        .send()
        .await
        .is_err());
    // Plain HTTP to the same port gets no HTTP answer.
    let clear = node.address.replacen("https://", "http://", 1);
    let answered = reqwest::get(format!("{clear}/healthz")).await;
    assert!(
        answered
            .as_ref()
            .map_or(true, |r| r.status() != StatusCode::OK),
        "served in clear: {answered:?}"
    );
}

#[test]
fn unusable_certificates_are_refused_with_their_cause() {
    let certificate = SelfSigned::new();
    let database = TestDatabase::new(Backend::Sqlite);
    let serve = |args: &[&str]| {
        let mut all = vec!["serve", "--bind", "127.0.0.1:0"];
        all.extend_from_slice(args);
        stderr(&cli(&database.url, &all))
    };
    let missing = serve(&[
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        &certificate.path("key.pem"),
    ]);
    assert!(
        missing.contains("cannot read the TLS certificate chain /nonexistent/cert.pem"),
        "{missing}"
    );
    let swapped = serve(&[
        "--tls-cert",
        &certificate.path("key.pem"),
        "--tls-key",
        &certificate.path("cert.pem"),
    ]);
    assert!(swapped.contains("error:"), "{swapped}");
    let alone = serve(&["--tls-cert", &certificate.path("cert.pem")]);
    assert!(alone.contains("--tls-key"), "{alone}");
}

/// `url` with one more query parameter.
fn with_param(url: &str, param: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{param}")
}

/// The certificate the PostgreSQL server presents, as a root to verify it against: from
/// TEST_POSTGRES_TLS_ROOT (set by .ci/run), else where the server says it is.
fn postgres_server_certificate(admin_url: &str) -> String {
    if let Ok(path) = std::env::var("TEST_POSTGRES_TLS_ROOT") {
        return path;
    }
    use diesel::{Connection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    let mut conn = diesel::PgConnection::establish(admin_url).unwrap();
    let mut show = |name: &str| {
        diesel::sql_query(format!("SELECT current_setting('{name}') AS setting"))
            .get_result::<Setting>(&mut conn)
            .unwrap()
            .setting
    };
    let file = show("ssl_cert_file");
    if file.starts_with('/') {
        file
    } else {
        format!("{}/{file}", show("data_directory"))
    }
}

fn ssl_in_use(database: &service_registry::platform::db::Database) -> bool {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Ssl {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        ssl: bool,
    }
    database
        .with_connection(|conn| {
            diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .get_result::<Ssl>(conn)
                .map_err(service_registry::platform::db::DbError::from)
        })
        .unwrap()
        .ssl
}

fn open(url: &str) -> Result<service_registry::platform::db::Database, String> {
    use service_registry::platform::db::{Database, DatabaseUrl};
    let settings = service_registry::settings::Settings::default();
    Database::open(DatabaseUrl::parse(url).unwrap(), &settings.database)
        .map_err(|e| service_registry::platform::error_chain(&e))
}

#[tokio::test]
#[ignore = "PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
async fn postgres_connections_are_encrypted_and_verified() {
    let admin = postgres_admin_url();
    let required = open(&with_param(&admin, "sslmode=require")).expect("sslmode=require connects");
    assert!(ssl_in_use(&required), "sslmode=require must encrypt");

    // verify-full: the server's certificate names localhost and is its own root.
    let root = postgres_server_certificate(&admin);
    let by_name = admin.replacen("@127.0.0.1", "@localhost", 1);
    assert_ne!(by_name, admin, "TEST_DATABASE_URL must name 127.0.0.1");
    let verified = open(&with_param(
        &by_name,
        &format!("sslmode=verify-full&sslrootcert={root}"),
    ))
    .expect("verify-full against the server's own certificate connects");
    assert!(ssl_in_use(&verified));

    // A name the certificate does not carry is refused...
    let mismatch = open(&with_param(
        &admin,
        &format!("sslmode=verify-full&sslrootcert={root}"),
    ))
    .err()
    .expect("127.0.0.1 is not the certificate's name");
    assert!(mismatch.contains("does not match host name"), "{mismatch}");
    // ...and so is a root that did not sign the server's certificate.
    let stranger = SelfSigned::new();
    let unverified = open(&with_param(
        &by_name,
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            stranger.path("cert.pem")
        ),
    ))
    .err()
    .expect("an unrelated root must not verify the server");
    assert!(
        unverified.contains("certificate verify failed"),
        "{unverified}"
    );
}

/// The whole API over a TLS connection to the database.
async fn the_api_works_over_a_tls_database_connection(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.database_url = with_param(&settings.database_url, "sslmode=require");
    })
    .await;
    assert!(ssl_in_use(&app.database));
    let created = app
        .register(&ServiceBody::new(1, "Over TLS"), Format::Xml)
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
}

mod the_api_works_over_a_tls_database_connection {
    #[tokio::test]
    #[ignore = "PostgreSQL: run with --include-ignored and TEST_DATABASE_URL (CI does)"]
    async fn postgres() {
        super::the_api_works_over_a_tls_database_connection(crate::helpers::Backend::Postgres).await
    }
}
