//! The command line, driven through the real binary, plus what only a real process shows:
//! bootstrap on a brand-new database, restarts (even after SIGKILL) and the access log.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::*;

const BINARY: &str = env!("CARGO_BIN_EXE_service-registry");

fn cli(database: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database)
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A `service-registry serve` process on a free port.
struct Server {
    child: Child,
    address: String,
    bootstrap_token: Option<String>,
    log: PathBuf,
}

impl Server {
    #[allow(
        clippy::zombie_processes,
        reason = "the child is reaped by Server's Drop"
    )]
    fn start(database: &Path, log: PathBuf) -> Self {
        let child = Command::new(BINARY)
            .args(["serve", "--bind", "127.0.0.1:0", "--database-url"])
            .arg(database)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("server starts");
        let mut server = Self {
            child,
            address: String::new(),
            bootstrap_token: None,
            log,
        };
        let mut lines = BufReader::new(server.child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.address.is_empty() {
            assert!(
                Instant::now() < deadline,
                "server did not report its address"
            );
            let line = lines.next().expect("server printed its address").unwrap();
            if line.starts_with("HPAuth_") {
                server.bootstrap_token = Some(line.clone());
            }
            if let Some(address) = line.strip_prefix("listening on ") {
                server.address = address.to_owned();
            }
        }
        server
    }

    /// SIGKILL, then the server's log.
    fn kill(mut self) -> String {
        self.reap();
        std::fs::read_to_string(&self.log).unwrap()
    }

    fn reap(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn get(&self, path: &str, token: &str, format: Format) -> Reply {
        let request = reqwest::Client::new()
            .get(format!("{}{path}", self.address))
            .header("X-Auth-Token", token)
            .header("Accept", format.media_type());
        Reply::from(request).await
    }

    async fn post(&self, service: &ServiceBody, token: &str, format: Format) -> Reply {
        let request = reqwest::Client::new()
            .post(format!("{}{BASE}/services", self.address))
            .header("X-Auth-Token", token)
            .header("Accept", format.media_type())
            .header("Content-Type", format.media_type())
            .body(service.encode(format));
        Reply::from(request).await
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.reap();
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["principal", "--help"],
        vec!["principal", "create", "--help"],
        vec!["principal", "disable", "--help"],
        vec!["principal", "suspend", "--help"],
        vec!["principal", "enable", "--help"],
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

#[test]
fn commands_work_on_a_brand_new_database_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    // Each command first migrates its own brand-new database.
    let fresh = dir.path().join("a.db");
    let output = cli(&fresh, &["token", "issue", "nobody"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no principal is named 'nobody'"));
    let fresh = dir.path().join("b.db");
    assert!(stdout(&cli(
        &fresh,
        &["principal", "create", "ops", "--level", "SA"]
    ))
    .contains("created"));
    let fresh = dir.path().join("c.db");
    assert!(stdout(&cli(&fresh, &["migrate"])).contains("migrations applied"));
    assert!(
        stdout(&cli(&fresh, &["migrate"])).contains("migrations applied"),
        "idempotent"
    );
    // The URL forms select the same SQLite file.
    let url = format!("sqlite://{}", fresh.display());
    let output = Command::new(BINARY)
        .args([
            "--database-url",
            &url,
            "principal",
            "create",
            "x",
            "--level",
            "du",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = cli(&fresh, &["principal", "create", "x", "--level", "DU"]);
    assert!(!output.status.success(), "duplicate principal");
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    let output = cli(&fresh, &["principal", "create", "y", "--level", "ROOT"]);
    assert!(!output.status.success(), "unknown level");
}

#[tokio::test]
async fn principals_and_tokens_from_the_command_line_govern_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    stdout(&cli(
        &db,
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
    let issued = stdout(&cli(&db, &["token", "issue", "onboarder", "--ttl", "1h"]));
    let token = issued.trim().to_owned();
    assert_eq!(
        issued,
        format!("{token}\n"),
        "token issue prints only the token"
    );
    assert!(token.starts_with("HPAuth_"));

    let server = Server::start(&db, dir.path().join("server.log"));
    assert!(
        server.bootstrap_token.is_none(),
        "a database with principals is not brand-new"
    );
    let path = format!("{BASE}/services");
    assert_eq!(
        server.get(&path, &token, Format::Json).await.status,
        StatusCode::OK
    );

    for command in ["disable", "suspend"] {
        stdout(&cli(&db, &["principal", command, "onboarder"]));
        for format in FORMATS {
            server
                .get(&path, &token, format)
                .await
                .assert_fault(403, "userDisabled");
        }
        stdout(&cli(&db, &["principal", "enable", "onboarder"]));
        assert_eq!(
            server.get(&path, &token, Format::Json).await.status,
            StatusCode::OK
        );
    }

    stdout(&cli(&db, &["token", "revoke", &token]));
    server
        .get(&path, &token, Format::Xml)
        .await
        .assert_fault(401, "unauthorized");
    let output = cli(&db, &["token", "revoke", &token]);
    assert!(!output.status.success(), "revoking twice reports it");

    // Revoke reading the token from standard input.
    let second = stdout(&cli(&db, &["token", "issue", "onboarder"]))
        .trim()
        .to_owned();
    let mut child = Command::new(BINARY)
        .args(["token", "revoke", "-"])
        .env("DATABASE_URL", &db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{second}").unwrap();
    assert!(child.wait().unwrap().success());
    server
        .get(&path, &second, Format::Json)
        .await
        .assert_fault(401, "unauthorized");

    let expired = stdout(&cli(&db, &["token", "issue", "onboarder", "--ttl", "1ms"]))
        .trim()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(20)).await;
    server
        .get(&path, &expired, Format::Json)
        .await
        .assert_fault(401, "unauthorized");

    let log = server.kill();
    for secret in [&token, &second, &expired] {
        assert!(!log.contains(secret.as_str()), "a token reached the log");
    }
    assert_tokens_stored_hashed(&db, &[&token, &second, &expired]);
}

fn assert_tokens_stored_hashed(db: &Path, tokens: &[&str]) {
    let bytes = std::fs::read(db).unwrap();
    let mut all = bytes;
    for suffix in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(format!("{}{suffix}", db.display())) {
            all.extend(more);
        }
    }
    let haystack = String::from_utf8_lossy(&all);
    for token in tokens {
        assert!(!haystack.contains(token), "a token is stored in clear");
        let secret_part = token.trim_start_matches("HPAuth_");
        assert!(
            !haystack.contains(secret_part),
            "a token is stored in clear"
        );
    }
}

#[tokio::test]
async fn serve_bootstraps_an_admin_once_and_keeps_everything_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let server = Server::start(&db, dir.path().join("first.log"));
    let admin = server
        .bootstrap_token
        .clone()
        .expect("a brand-new database prints an admin token");
    let mut ids = Vec::new();
    for (i, format) in FORMATS.iter().cycle().take(20).enumerate() {
        let id = 500 + i;
        let reply = server
            .post(
                &ServiceBody::new(id, &format!("durable {i}")).describe("kept"),
                &admin,
                *format,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        ids.push(id);
    }
    // SIGKILL: no graceful shutdown, so only committed data can survive.
    let log = server.kill();
    assert!(
        log.contains("POST /v2.0/HP-IDM/v1.0/services 201"),
        "one access-log line per request: {log}"
    );
    assert!(log.contains("rid="));
    assert!(!log.contains(&admin), "the token reached the log");

    let server = Server::start(&db, dir.path().join("second.log"));
    assert!(server.bootstrap_token.is_none(), "bootstrap happens once");
    for format in FORMATS {
        let reply = server
            .get(&format!("{BASE}/services"), &admin, format)
            .await;
        let listed: Vec<usize> = reply
            .services()
            .iter()
            .map(|s| s.id.parse().unwrap())
            .collect();
        assert_eq!(listed, ids);
    }
    server.kill();
    assert_tokens_stored_hashed(&db, &[&admin]);
}
