//! The real binary: command-line calls and `serve` processes ("nodes") on free ports.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

pub const BINARY: &str = env!("CARGO_BIN_EXE_service-registry");

/// Runs `service-registry ARGS` against `database_url` (given through DATABASE_URL).
pub fn cli(database_url: &str, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .output()
        .expect("binary runs")
}

/// [`cli`] with `input` on standard input.
pub fn cli_with_input(database_url: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Standard error of a command that must fail.
pub fn stderr(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Standard output of a command that must succeed.
pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A `service-registry serve` process on a free port; killed and reaped on drop.
pub struct Node {
    child: Child,
    pub address: String,
    pub bootstrap_token: Option<String>,
    log: PathBuf,
    pub client: reqwest::Client,
}

impl Node {
    pub fn start(database_url: &str, log: PathBuf) -> Self {
        Self::start_with(database_url, log, &[], reqwest::Client::builder())
    }

    /// A node with more `serve` flags, and requests sent through `client`.
    #[allow(
        clippy::zombie_processes,
        reason = "the child is reaped by Node's Drop"
    )]
    pub fn start_with(
        database_url: &str,
        log: PathBuf,
        extra_args: &[&str],
        client: reqwest::ClientBuilder,
    ) -> Self {
        let child = Command::new(BINARY)
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra_args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("server starts");
        let mut node = Self {
            child,
            address: String::new(),
            bootstrap_token: None,
            log,
            client: client.timeout(Duration::from_secs(30)).build().unwrap(),
        };
        let mut lines = BufReader::new(node.child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        while node.address.is_empty() {
            assert!(
                Instant::now() < deadline,
                "server did not report its address"
            );
            let line = match lines.next() {
                Some(line) => line.unwrap(),
                None => panic!("server exited: {}", node.log_text()),
            };
            if line.starts_with("HPAuth_") {
                node.bootstrap_token = Some(line.clone());
            }
            if let Some(address) = line.strip_prefix("listening on ") {
                node.address = address.to_owned();
            }
        }
        node
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `INT`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits at most `bound` for the process to exit; its exit code.
    pub fn wait_exit(&mut self, bound: Duration) -> Option<i32> {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("child can be waited for") {
                return Some(status.code().unwrap_or(-1));
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `host:port` of the node, for raw sockets.
    pub fn socket_address(&self) -> String {
        self.address.trim_start_matches("http://").to_owned()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, then the server's log.
    pub fn kill(mut self) -> String {
        self.reap();
        self.log_text()
    }

    fn reap(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn get(&self, path: &str, token: &str, format: Format) -> Reply {
        let request = self
            .client
            .get(format!("{}{path}", self.address))
            .header("X-Auth-Token", token)
            .header("Accept", format.media_type());
        Reply::from(request).await
    }

    pub async fn post(&self, service: &ServiceBody, token: &str, format: Format) -> Reply {
        let request = self
            .client
            .post(format!("{}{BASE}/services", self.address))
            .header("X-Auth-Token", token)
            .header("Accept", format.media_type())
            .header("Content-Type", format.media_type())
            .body(service.encode(format));
        Reply::from(request).await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.reap();
    }
}
