//! `service-registry snapshot`: save, restore and copy through the real binary, on both
//! backends and across them (docs/operations.md, "Backups, restore, and moving to PostgreSQL").

mod faults;
mod kills;
mod round_trip;
mod under_writes;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;
use service_registry::platform::db::{Database, DatabaseUrl, DbError};
use service_registry::settings::DatabaseSettings;

use crate::helpers::node::BINARY;

/// Rows in `table` of the database at `url`.
pub fn rows_in(url: &str, table: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    open(url)
        .with_connection(|conn| {
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result::<Count>(conn)
                .map_err(DbError::from)
        })
        .unwrap()
        .n
}

pub fn open(url: &str) -> Database {
    Database::open(
        DatabaseUrl::parse(url).unwrap(),
        &DatabaseSettings::default(),
    )
    .unwrap()
}

/// Registers `count` services with ids from `first`, straight into the database: enough
/// rows that a paced command spends seconds on them.
pub fn many_services(url: &str, first: i64, count: i64) {
    let values: Vec<String> = (first..first + count)
        .map(|id| format!("({id}, 'svc {id}', 'svc {id}', 'bulk', 'public', NULL, 1, 1)"))
        .collect();
    open(url)
        .with_connection(|conn| {
            diesel::sql_query(format!(
                "INSERT INTO services (id, name, name_key, service_type, release_state, \
                 description, created_at, updated_at) VALUES {}",
                values.join(", ")
            ))
            .execute(conn)
            .map_err(DbError::from)
        })
        .unwrap();
}

/// A `service-registry snapshot …` process whose standard error (its progress, one table
/// at a time) is collected as it comes.
pub struct Running {
    child: Child,
    progress: Arc<Mutex<String>>,
}

impl Running {
    #[allow(clippy::zombie_processes, reason = "killed and reaped by kill_when")]
    pub fn start(database_url: &str, args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .args(["--database-url", database_url, "snapshot"])
            .args(args)
            .env_remove("RUST_LOG")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let progress = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let collected = Arc::clone(&progress);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 256];
            while let Ok(read @ 1..) = stderr.read(&mut chunk) {
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..read]));
            }
        });
        Self { child, progress }
    }

    /// Kills the process (kill -9) once its progress shows `step`; fails if it exits first
    /// or does not get there within `bound`.
    pub fn kill_when(mut self, step: &str, bound: Duration) -> String {
        let started = Instant::now();
        loop {
            let progress = self.progress.lock().unwrap().clone();
            if progress.contains(step) {
                self.child.kill().unwrap();
                self.child.wait().unwrap();
                return progress;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exited ({status}) before {step:?}: {progress}");
            }
            assert!(
                started.elapsed() < bound,
                "no {step:?} in {bound:?}: {progress}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The files in `directory`.
pub fn leftovers(directory: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect()
}
