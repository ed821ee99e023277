//! The application as a process: settings by precedence, graceful shutdown on signals,
//! background workers, and failures logged once with their cause.

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::{Connection, QueryableByName, RunQueryDsl};
use reqwest::StatusCode;
use service_registry::platform::db::DbError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::node::*;
use crate::helpers::*;

#[test]
fn config_prints_the_effective_settings_by_precedence_with_the_password_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("settings.toml");
    std::fs::write(
        &file,
        r#"
database_url = "postgres://reg:file-secret@db.example:5432/reg"
bind = "127.0.0.1:4000"

[auth]
cache_ttl = "5s"
cache_capacity = 77

[http]
max_body_bytes = 1000
"#,
    )
    .unwrap();
    let config = |extra_args: &[&str], envs: &[(&str, &str)]| {
        let mut command = Command::new(BINARY);
        command
            .arg("config")
            .arg("--config")
            .arg(&file)
            .args(extra_args)
            .env_remove("DATABASE_URL")
            .env_remove("RUST_LOG");
        for (key, value) in envs {
            command.env(key, value);
        }
        let text = stdout(&command.output().unwrap());
        assert!(
            !text.contains("file-secret"),
            "a password is printed: {text}"
        );
        text.parse::<toml::Table>().expect("config prints TOML")
    };

    // File over defaults, environment over file.
    let shown = config(&[], &[("SERVICE_REGISTRY_AUTH__CACHE_TTL", "2s")]);
    assert_eq!(
        shown["database_url"].as_str(),
        Some("postgres://reg:****@db.example:5432/reg")
    );
    assert_eq!(shown["bind"].as_str(), Some("127.0.0.1:4000"));
    assert_eq!(shown["auth"]["cache_ttl"].as_str(), Some("2s"));
    assert_eq!(shown["auth"]["cache_capacity"].as_integer(), Some(77));
    assert_eq!(shown["auth"]["bootstrap_token_ttl"].as_str(), Some("12h"));
    assert_eq!(shown["http"]["max_body_bytes"].as_integer(), Some(1000));
    assert_eq!(shown["http"]["shutdown_timeout"].as_str(), Some("10s"));

    // The file may also be named by SERVICE_REGISTRY_CONFIG.
    let output = Command::new(BINARY)
        .arg("config")
        .env("SERVICE_REGISTRY_CONFIG", &file)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(stdout(&output).contains("cache_capacity = 77"));

    // DATABASE_URL over the file, the flag over everything.
    let shown = config(&[], &[("DATABASE_URL", "env.db")]);
    assert_eq!(shown["database_url"].as_str(), Some("env.db"));
    let shown = config(
        &["--database-url", "flag.db"],
        &[
            ("DATABASE_URL", "env.db"),
            ("SERVICE_REGISTRY_DATABASE_URL", "prefixed.db"),
        ],
    );
    assert_eq!(shown["database_url"].as_str(), Some("flag.db"));
}

#[test]
fn a_setting_that_does_not_exist_or_does_not_parse_is_refused_by_name() {
    for (key, value, named) in [
        ("SERVICE_REGISTRY_AUTH__CACHE_TTLL", "2s", "cache_ttll"),
        (
            "SERVICE_REGISTRY_HTTP__MAX_BODY_BYTES",
            "lots",
            "max_body_bytes",
        ),
    ] {
        let output = Command::new(BINARY)
            .arg("config")
            .env(key, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{key} accepted");
        assert!(stderr.to_lowercase().contains(named), "{key}: {stderr}");
    }
}

async fn the_body_limit_comes_from_the_settings(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.http.max_body_bytes = 300).await;
    let small = ServiceBody::new(1, "Small");
    assert_eq!(
        app.register(&small, Format::Json).await.status,
        StatusCode::CREATED
    );
    let large = ServiceBody::new(2, "Large").describe(&"d".repeat(400));
    for format in FORMATS {
        app.register(&large, format)
            .await
            .assert_fault(413, "overLimit");
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn expired_tokens_are_purged_by_a_background_worker(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.auth.token_purge_interval = Duration::from_millis(100);
    })
    .await;
    let count = |sql: &str| {
        app.database
            .with_connection(|conn| {
                diesel::sql_query(sql)
                    .get_result::<Count>(conn)
                    .map_err(DbError::from)
            })
            .unwrap()
            .n
    };
    let count_tokens = || count("SELECT COUNT(*) AS n FROM tokens");
    let live = count_tokens();
    app.principal_token("short-lived", &["DU"]);
    app.issue_token("short-lived", Duration::from_millis(50));
    // Failure counts quiet for over a day are forgotten; recent ones are kept.
    let day_ago = service_registry::platform::db::now_millis() - 24 * 3600 * 1000 - 1000;
    for (client, last) in [
        ("192.0.2.1", day_ago),
        ("192.0.2.2", day_ago + 2 * 3600 * 1000),
    ] {
        app.database
            .with_connection(|conn| {
                diesel::sql_query(format!(
                    "INSERT INTO auth_failures (principal_id, client, failures, last_failure_at) \
                     SELECT id, '{client}', 3, {last} FROM principals WHERE name = 'short-lived'"
                ))
                .execute(conn)
                .map_err(DbError::from)
            })
            .unwrap();
    }
    // The token expires in 50 ms; the worker runs every 100.
    let bound = Duration::from_millis(150) + auth_change_bound();
    eventually(
        "the expired token and the old failure count purged",
        bound,
        || async {
            let purged =
                count_tokens() == live + 1 && count("SELECT COUNT(*) AS n FROM auth_failures") == 1;
            purged.then_some(())
        },
    )
    .await;
    // The unexpired tokens stay, and keep working.
    assert_eq!(
        app.list_services("", Format::Json).await.status,
        StatusCode::OK
    );
}

on_both_backends!(
    the_body_limit_comes_from_the_settings,
    expired_tokens_are_purged_by_a_background_worker,
);

/// A request whose body is still arriving when SIGTERM comes is answered, new
/// connections are refused, and the process exits 0.
#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_then_exits_0() {
    let database = TestDatabase::new(Backend::Sqlite);
    let logs = tempfile::tempdir().unwrap();
    let mut node = Node::start(&database.url, logs.path().join("node.log"));
    let token = node.bootstrap_token.clone().unwrap();
    let address = node.socket_address();

    let body = ServiceBody::new(7, "Late Writer").encode(Format::Json);
    let (first, rest) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST {BASE}/services HTTP/1.1\r\nHost: {address}\r\nX-Auth-Token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    in_flight.write_all(first.as_bytes()).await.unwrap();
    // The server accepts connections in the order they came: once a later one is answered,
    // this one is the server's, and a graceful shutdown lets it finish.
    let mut later = TcpStream::connect(&address).await.unwrap();
    let probe = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    later.write_all(probe.as_bytes()).await.unwrap();
    let mut answer = String::new();
    later.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");

    node.signal("TERM");
    let started = Instant::now();
    while TcpStream::connect(&address).await.is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    in_flight.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    in_flight.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the request in flight was not answered: {response:?}\n{}",
        node.log_text()
    );
    assert_eq!(
        node.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        node.log_text()
    );

    // The 201 was durable: a new process sees the service.
    let restarted = Node::start(&database.url, logs.path().join("restarted.log"));
    let reply = restarted
        .get(&format!("{BASE}/services/7"), &token, Format::Json)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn sigint_stops_an_idle_server_at_once_with_exit_0() {
    let database = TestDatabase::new(Backend::Sqlite);
    let logs = tempfile::tempdir().unwrap();
    let mut node = Node::start(&database.url, logs.path().join("node.log"));
    let token = node.bootstrap_token.clone().unwrap();
    // A kept-alive idle connection must not hold the shutdown up.
    let reply = node
        .get(&format!("{BASE}/services"), &token, Format::Json)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let started = Instant::now();
    node.signal("INT");
    assert_eq!(
        node.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        node.log_text()
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// A failure of ours answers 500 with the fixed text (no SQL, no table names) and its
/// cause appears in the log exactly once, on the line with the request's id.
#[tokio::test]
async fn a_failure_is_answered_without_internals_and_its_cause_logged_once_with_the_request_id() {
    let database = TestDatabase::new(Backend::Sqlite);
    let logs = tempfile::tempdir().unwrap();
    let node = Node::start(&database.url, logs.path().join("node.log"));
    let token = node.bootstrap_token.clone().unwrap();
    let mut conn = diesel::SqliteConnection::establish(&database.url).unwrap();
    diesel::sql_query("DROP TABLE services")
        .execute(&mut conn)
        .unwrap();

    for (failures, format) in FORMATS.into_iter().enumerate() {
        let reply = node
            .get(&format!("{BASE}/services/1"), &token, format)
            .await;
        reply.assert_fault(500, "identityFault");
        assert!(!reply.body.contains("services"), "{}", reply.body);
        let request_id = reply
            .header("x-request-id")
            .expect("a request id")
            .to_owned();
        // The access line is written as the answer goes out: poll the log for it.
        let log = eventually("the request's log line", auth_change_bound(), || async {
            let log = node.log_text();
            log.contains(&request_id).then_some(log)
        })
        .await;
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(&request_id)).collect();
        assert_eq!(lines.len(), 1, "{log}");
        assert!(
            lines[0].contains(" 500 ") && lines[0].contains("no such table: services"),
            "{}",
            lines[0]
        );
        assert_eq!(log.matches("no such table").count(), failures + 1, "{log}");
    }
}
