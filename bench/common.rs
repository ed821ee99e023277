//! What the benchmark tools share: arguments, the live registry over HTTP, and the
//! server processes' CPU time and memory from /proc. Included by each tool with
//! `#[path = "common.rs"] mod common;`.

#![allow(dead_code, reason = "each tool uses its own part")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

pub fn argument(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

pub fn number(name: &str, default: u64) -> u64 {
    argument(name).map_or(default, |v| v.parse().expect(name))
}

#[derive(Clone)]
pub struct Live {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Live {
    pub async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("X-Auth-Token", &self.token)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// Creates `id`, trying again (for up to a minute) while the registry refuses for now:
    /// a 503 from a full queue means the create never ran.
    pub async fn create(&self, id: &str, timeout: u64) -> String {
        let mut last = String::new();
        for _ in 0..240 {
            match self
                .post(
                    "/services",
                    &json!({"id": id, "heartbeat_timeout": timeout}),
                )
                .await
            {
                Ok((201, body)) => return body["token"].as_str().unwrap().to_owned(),
                Ok((status, body)) => last = format!("{status} {body}"),
                Err(error) => last = error,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("could not create {id}: {last}");
    }

    /// The next token, or the status that refused it.
    pub async fn heartbeat(&self, id: &str, token: &str) -> Result<String, u16> {
        match self
            .post(
                &format!("/services/{id}/heartbeat"),
                &json!({ "token": token }),
            )
            .await
        {
            Ok((200, body)) => Ok(body["token"].as_str().unwrap().to_owned()),
            Ok((status, _)) => Err(status),
            Err(error) => {
                eprintln!("heartbeat of {id} failed: {error}");
                Err(0)
            }
        }
    }

    /// Deletes `id`; the status, 0 without an answer.
    pub async fn remove(&self, id: &str) -> u16 {
        self.client
            .delete(format!("{}/services/{id}", self.base))
            .header("X-Auth-Token", &self.token)
            .send()
            .await
            .map_or(0, |response| response.status().as_u16())
    }

    pub async fn events(&self, query: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let url = match &marker {
                Some(m) => format!("{}/events?limit=1000&{query}&marker={m}", self.base),
                None => format!("{}/events?limit=1000&{query}", self.base),
            };
            let page = self.page_of_events(&url).await;
            all.extend(page["values"].as_array().unwrap().iter().cloned());
            match page["metadata"]["next_marker"].as_str() {
                Some(next) => marker = Some(next.to_owned()),
                None => return all,
            }
        }
    }

    /// One page of the feed; a node that refuses for load (503, 429) is asked again.
    async fn page_of_events(&self, url: &str) -> Value {
        for _ in 0..60 {
            let response = self
                .client
                .get(url)
                .header("X-Auth-Token", &self.token)
                .send()
                .await
                .unwrap();
            match response.status().as_u16() {
                200 => return response.json().await.unwrap(),
                429 | 503 => tokio::time::sleep(Duration::from_secs(1)).await,
                status => panic!(
                    "reading {url}: {status} {}",
                    response.text().await.unwrap_or_default()
                ),
            }
        }
        panic!("reading {url}: refused for a minute")
    }
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// CPU seconds (user + system) the process has used.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server's /proc stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Resident memory of the process, in MiB.
pub fn rss_mib(pid: u32) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server's /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The nodes' processes: CPU seconds and resident memory summed over them.
pub struct Servers(pub Vec<u32>);

impl Servers {
    pub fn cpu_seconds(&self) -> f64 {
        self.0.iter().map(|&pid| cpu_seconds(pid)).sum()
    }

    pub fn rss_mib(&self) -> f64 {
        self.0.iter().map(|&pid| rss_mib(pid)).sum()
    }
}
