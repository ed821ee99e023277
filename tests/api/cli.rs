//! The command line, driven through the real binary, plus what only a real process shows:
//! bootstrap on a brand-new database, restarts (even after SIGKILL) and the access log.

use std::process::Command;
use std::time::Duration;

use diesel::{Connection, QueryableByName, RunQueryDsl};
use reqwest::StatusCode;
use service_registry::platform::db::{DatabaseUrl, DbConnection};

use crate::helpers::node::*;
use crate::helpers::*;

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["config", "--help"],
        vec!["principal", "--help"],
        vec!["principal", "create", "--help"],
        vec!["principal", "disable", "--help"],
        vec!["principal", "suspend", "--help"],
        vec!["principal", "enable", "--help"],
        vec!["principal", "grant", "--help"],
        vec!["principal", "revoke", "--help"],
        vec!["principal", "password", "--help"],
        vec!["principal", "api-key", "--help"],
        vec!["principal", "access-key", "--help"],
        vec!["principal", "access-key", "create", "--help"],
        vec!["principal", "access-key", "disable", "--help"],
        vec!["principal", "access-key", "delete", "--help"],
        vec!["tenant", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["tenant", "disable", "--help"],
        vec!["tenant", "enable", "--help"],
        vec!["token", "--help"],
        vec!["token", "issue", "--help"],
        vec!["token", "revoke", "--help"],
    ] {
        let output = Command::new(BINARY).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && text.contains("Usage:"),
            "{args:?}: {text}"
        );
        if args.len() > 1 {
            assert!(
                text.contains("--database-url"),
                "{args:?} lacks --database-url: {text}"
            );
        }
    }
}

async fn commands_work_on_a_brand_new_database_in_any_order(backend: Backend) {
    // Each command first migrates its own brand-new database.
    let fresh = TestDatabase::new(backend);
    let output = cli(&fresh.url, &["token", "issue", "nobody"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no principal is named 'nobody'"));

    let fresh = TestDatabase::new(backend);
    let created = stdout(&cli(
        &fresh.url,
        &["principal", "create", "ops", "--level", "SA"],
    ));
    assert!(created.contains("created"));

    let fresh = TestDatabase::new(backend);
    assert!(stdout(&cli(&fresh.url, &["migrate"])).contains("migrations applied"));
    assert!(
        stdout(&cli(&fresh.url, &["migrate"])).contains("migrations applied"),
        "idempotent"
    );
    let output = Command::new(BINARY)
        .args([
            "--database-url",
            &fresh.url,
            "principal",
            "create",
            "x",
            "--level",
            "du",
        ])
        .output()
        .unwrap();
    stdout(&output);
    let output = cli(&fresh.url, &["principal", "create", "x", "--level", "DU"]);
    assert!(!output.status.success(), "duplicate principal");
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    let output = cli(&fresh.url, &["principal", "create", "y", "--level", "ROOT"]);
    assert!(!output.status.success(), "unknown level");
    let output = cli(&fresh.url, &["principal", "disable", "nobody"]);
    assert!(!output.status.success(), "unknown principal");
}

#[test]
fn the_default_database_is_a_file_in_the_working_directory_and_url_forms_agree() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BINARY)
        .args(["principal", "create", "local", "--level", "SA"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    stdout(&output);
    assert!(dir.path().join("service-registry.db").exists());
    // sqlite://PATH names the same file.
    let url = format!(
        "sqlite://{}",
        dir.path().join("service-registry.db").display()
    );
    let output = cli(&url, &["principal", "create", "local", "--level", "SA"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
}

async fn a_database_that_cannot_be_opened_is_reported_with_its_cause(backend: Backend) {
    let (url, cause) = match backend {
        Backend::Sqlite => ("/nonexistent/dir/registry.db".to_owned(), "unable to open"),
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let (base, _) = admin.split_once('?').unwrap_or((&admin, ""));
            let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
            (format!("{server}/sr_no_such_database"), "does not exist")
        }
    };
    let output = cli(&url, &["migrate"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(stderr.contains(cause), "{stderr}");
    assert_eq!(
        stderr.matches("error").count(),
        1,
        "one clear line, no retry noise: {stderr}"
    );
}

#[derive(QueryableByName)]
struct StoredToken {
    #[diesel(sql_type = diesel::sql_types::Text)]
    token_hash: String,
}

/// No token is stored in clear: not in the tokens table, and (SQLite) nowhere in the files.
fn assert_tokens_stored_hashed(database_url: &str, tokens: &[&str]) {
    let url = DatabaseUrl::parse(database_url).unwrap();
    let mut conn = match &url {
        DatabaseUrl::Sqlite(path) => {
            DbConnection::Sqlite(diesel::SqliteConnection::establish(path).unwrap())
        }
        DatabaseUrl::Postgres(url) => {
            DbConnection::Postgresql(diesel::PgConnection::establish(url).unwrap())
        }
    };
    let stored: Vec<StoredToken> = diesel::sql_query("SELECT token_hash FROM tokens")
        .load(&mut conn)
        .unwrap();
    assert!(!stored.is_empty());
    for token in tokens {
        let secret = token.trim_start_matches("HPAuth_");
        assert!(
            stored.iter().all(|row| !row.token_hash.contains(secret)),
            "a token is stored in clear"
        );
    }
    if let DatabaseUrl::Sqlite(path) = url {
        let mut bytes = std::fs::read(&path).unwrap();
        for suffix in ["-wal", "-shm"] {
            bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
        }
        let haystack = String::from_utf8_lossy(&bytes);
        for token in tokens {
            assert!(
                !haystack.contains(token.trim_start_matches("HPAuth_")),
                "a token is in the file"
            );
        }
    }
}

async fn principals_and_tokens_from_the_command_line_govern_the_api(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.url.as_str();
    let logs = tempfile::tempdir().unwrap();
    stdout(&cli(
        db,
        &[
            "principal",
            "create",
            "onboarder",
            "--level",
            "SVC",
            "--level",
            "DU",
        ],
    ));
    let issued = stdout(&cli(db, &["token", "issue", "onboarder", "--ttl", "1h"]));
    let token = issued.trim().to_owned();
    assert_eq!(
        issued,
        format!("{token}\n"),
        "token issue prints only the token"
    );
    assert!(token.starts_with("HPAuth_"));

    let node = Node::start(db, logs.path().join("node.log"));
    assert!(
        node.bootstrap_token.is_none(),
        "a database with principals is not brand-new"
    );
    let path = format!("{BASE}/services");
    assert_eq!(
        node.get(&path, &token, Format::Json).await.status,
        StatusCode::OK
    );

    for command in ["disable", "suspend"] {
        stdout(&cli(db, &["principal", command, "onboarder"]));
        until_status(403, || node.get(&path, &token, Format::Json)).await;
        for format in FORMATS {
            node.get(&path, &token, format)
                .await
                .assert_fault(403, "userDisabled");
        }
        stdout(&cli(db, &["principal", "enable", "onboarder"]));
        until_status(200, || node.get(&path, &token, Format::Json)).await;
    }

    stdout(&cli(db, &["token", "revoke", &token]));
    let (reply, _) = until_status(401, || node.get(&path, &token, Format::Xml)).await;
    reply.assert_fault(401, "unauthorized");
    let output = cli(db, &["token", "revoke", &token]);
    assert!(!output.status.success(), "revoking twice reports it");

    // Revoke reading the token from standard input.
    let second = stdout(&cli(db, &["token", "issue", "onboarder"]))
        .trim()
        .to_owned();
    stdout(&cli_with_input(
        db,
        &["token", "revoke", "-"],
        &format!("{second}\n"),
    ));
    until_status(401, || node.get(&path, &second, Format::Json)).await;

    let expired = stdout(&cli(db, &["token", "issue", "onboarder", "--ttl", "1ms"]))
        .trim()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    node.get(&path, &expired, Format::Json)
        .await
        .assert_fault(401, "unauthorized");

    let log = node.kill();
    for secret in [&token, &second, &expired] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
    }
    assert_tokens_stored_hashed(db, &[&token, &second, &expired]);
}

async fn serve_bootstraps_an_admin_once_and_keeps_everything_across_restarts(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.url.as_str();
    let logs = tempfile::tempdir().unwrap();
    let node = Node::start(db, logs.path().join("first.log"));
    let admin = node
        .bootstrap_token
        .clone()
        .expect("a brand-new database prints an admin token");
    let mut ids = Vec::new();
    for (i, format) in FORMATS.iter().cycle().take(20).enumerate() {
        let id = 500 + i;
        let service = ServiceBody::new(id, &format!("durable {i}")).describe("kept");
        let reply = node.post(&service, &admin, *format).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        ids.push(id);
    }
    // SIGKILL: no graceful shutdown, so only committed data can survive.
    let log = node.kill();
    assert!(
        log.contains("POST /v2.0/HP-IDM/v1.0/services 201"),
        "one access-log line per request: {log}"
    );
    assert!(log.contains("rid="));
    // Every write answered is audited with its caller (the bootstrapped admin).
    assert!(
        log.contains("POST /v2.0/HP-IDM/v1.0/services 201 by principal 1 (admin)"),
        "an audit line per write: {log}"
    );
    assert!(!log.contains(&admin), "the token reached the log");

    let node = Node::start(db, logs.path().join("second.log"));
    assert!(node.bootstrap_token.is_none(), "bootstrap happens once");
    for format in FORMATS {
        let reply = node.get(&format!("{BASE}/services"), &admin, format).await;
        let listed: Vec<usize> = reply
            .services()
            .iter()
            .map(|s| s.id.parse().unwrap())
            .collect();
        assert_eq!(listed, ids);
    }
    node.kill();
    assert_tokens_stored_hashed(db, &[&admin]);
}

on_both_backends!(
    a_database_that_cannot_be_opened_is_reported_with_its_cause,
    commands_work_on_a_brand_new_database_in_any_order,
    principals_and_tokens_from_the_command_line_govern_the_api,
    serve_bootstraps_an_admin_once_and_keeps_everything_across_restarts,
);
