//! The database every subsystem stores its rows in: one pool for SQLite or PostgreSQL,
//! picked from the URL, with the schema migrated on open. Subsystems write their queries
//! once against [`DbConnection`] and run them through [`Database::run`].

mod connection;
mod error;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use prometheus::{IntCounter, IntGauge};

use crate::platform::gauge::GaugeGuard;

use connection::{run_migrations, ConnectionManager};
pub use connection::{DatabaseUrl, DbConnection, InvalidDatabaseUrl};
pub use error::DbError;

use crate::settings::DatabaseSettings;

/// A pool of connections to one database, migrated to the current schema. Cheap to
/// clone (one reference count): every request's guard clones it.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Shared>,
}

struct Shared {
    pool: Pool<ConnectionManager>,
    url: DatabaseUrl,
    deadline: Duration,
    blocking_threads: usize,
    /// SQLite admits one writer at a time and makes the others sleep and retry with growing
    /// naps, so under load some writes waited over a second. Queueing this process's own
    /// writers here keeps them in line; SQLite's busy timeout then only arbitrates between
    /// processes. (PostgreSQL queues writers itself, row by row.)
    sqlite_writer: Arc<Mutex<()>>,
    metrics: PoolMetrics,
}

/// What the pool's state alone does not tell: how many calls wait, and how many gave up.
#[derive(Clone)]
pub struct PoolMetrics {
    /// Calls waiting for a pooled connection.
    pub waiting: IntGauge,
    /// Database calls started and not finished (waiting for a blocking thread included).
    pub in_flight: IntGauge,
    /// Checkouts that found no free connection within `database.checkout_timeout`.
    pub checkout_timeouts: IntCounter,
    /// Database calls made: what a benchmark compares with the requests served.
    pub calls: IntCounter,
}

impl PoolMetrics {
    fn new() -> Self {
        Self {
            waiting: IntGauge::new(
                "db_pool_waiting",
                "Database calls waiting for a pooled connection",
            )
            .expect("a valid metric"),
            in_flight: IntGauge::new(
                "db_calls_in_flight",
                "Database calls started and not finished, queued for a blocking thread included",
            )
            .expect("a valid metric"),
            checkout_timeouts: IntCounter::new(
                "db_pool_checkout_timeouts_total",
                "Checkouts that found no free connection within the checkout timeout",
            )
            .expect("a valid metric"),
            calls: IntCounter::new(
                "db_calls_total",
                "Database calls made (connections checked out of the pool)",
            )
            .expect("a valid metric"),
        }
    }
}

impl Database {
    /// Connects and applies pending migrations, so every command works on a brand-new
    /// database. Blocking: call it before the server starts or from the command line.
    pub fn open(url: DatabaseUrl, settings: &DatabaseSettings) -> Result<Self, OpenError> {
        // libpq uses OpenSSL (sslmode=prefer by default). Initialized by libpq itself,
        // OpenSSL frees its state in an exit handler while the pool's threads may still be
        // in a handshake, which crashed short-lived commands at exit; initialized here
        // first, it registers no exit handler.
        openssl_sys::init();
        let manager = ConnectionManager::new(url.clone(), settings.sqlite_busy_timeout);
        // One direct attempt first: a wrong path or URL fails at once with its cause,
        // instead of after the pool's retries.
        let mut first = manager.connect().map_err(|cause| OpenError::Connect {
            url: url.clone(),
            cause: cause.into(),
        })?;
        run_migrations(&mut first).map_err(|cause| OpenError::Migrate {
            url: url.clone(),
            cause,
        })?;
        let sqlite = matches!(url, DatabaseUrl::Sqlite(_));
        let (max_size, deadline, blocking_threads) = if sqlite {
            (
                settings.sqlite_pool_size,
                settings.sqlite_deadline,
                settings.sqlite_blocking_threads,
            )
        } else {
            (
                settings.postgres_pool_size,
                settings.postgres_deadline,
                settings.postgres_blocking_threads,
            )
        };
        // A pooled PostgreSQL connection may have died with its server: test it on checkout
        // (that is how a node recovers from an outage). An SQLite connection is a handle to
        // a file in this process and cannot die, so the round trip would be pure cost.
        let pool = Pool::builder()
            .max_size(max_size)
            .test_on_check_out(!sqlite)
            .min_idle(Some(1))
            .connection_timeout(settings.checkout_timeout)
            .build(manager)
            .map_err(|cause| OpenError::Connect {
                url: url.clone(),
                cause: cause.into(),
            })?;
        Ok(Self {
            inner: Arc::new(Shared {
                pool,
                url,
                deadline,
                blocking_threads,
                sqlite_writer: Arc::default(),
                metrics: PoolMetrics::new(),
            }),
        })
    }

    /// How long a call may take before its caller is answered 503.
    pub fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.inner.url, DatabaseUrl::Sqlite(_))
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// One round trip to the database: readiness for `/healthz`.
    pub fn ping(conn: &mut DbConnection) -> Result<(), DbError> {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    }

    /// Runs `work` on a pooled connection, blocking the calling thread (command line,
    /// workers' blocking sections, tests).
    pub fn with_connection<T, E: From<DbError>>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.checkout()?;
        work(&mut conn)
    }

    /// Runs `work` on a pooled connection on the blocking thread pool, so database calls
    /// (and waits for a free connection) never stall the async workers.
    ///
    /// A database that stops answering (a network partition keeps sockets open) must not
    /// hang requests: past the backend's deadline the caller gets [`DbError::Deadline`]
    /// while the stuck call finishes or fails on its own. The outcome of a write answered
    /// this way is unknown to the client; retrying is safe (a repeated registration
    /// answers 409).
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let database = self.clone();
        let task = actix_web::web::block(move || database.with_connection(work));
        let _in_flight = GaugeGuard::enter(&self.inner.metrics.in_flight);
        match actix_web::rt::time::timeout(self.inner.deadline, task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(cause)) => Err(DbError::Task(cause).into()),
            Err(_) => Err(DbError::Deadline(self.inner.deadline).into()),
        }
    }

    /// [`Self::run`] for work that writes: on SQLite it waits its turn behind this
    /// process's other writers first.
    pub async fn run_write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        let writer = matches!(self.inner.url, DatabaseUrl::Sqlite(_))
            .then(|| Arc::clone(&self.inner.sqlite_writer));
        self.run(move |conn| {
            let _turn = writer
                .as_ref()
                .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            work(conn)
        })
        .await
    }

    /// Threads each HTTP worker may use for database calls. SQLite calls are CPU work in
    /// this process: beyond a couple of threads they only add context switches. PostgreSQL
    /// calls mostly wait on the network, so more of them may be in flight.
    pub fn blocking_threads_per_worker(&self) -> usize {
        self.inner.blocking_threads
    }

    pub fn pool_metrics(&self) -> &PoolMetrics {
        &self.inner.metrics
    }

    pub fn pool_state(&self) -> r2d2::State {
        self.inner.pool.state()
    }

    pub fn pool_max_size(&self) -> u32 {
        self.inner.pool.max_size()
    }

    fn checkout(&self) -> Result<PooledConnection<ConnectionManager>, DbError> {
        self.inner.metrics.calls.inc();
        let waiting = GaugeGuard::enter(&self.inner.metrics.waiting);
        let checked_out = self.inner.pool.get();
        drop(waiting);
        checked_out.map_err(|cause| {
            self.inner.metrics.checkout_timeouts.inc();
            DbError::Checkout(cause)
        })
    }
}

/// Why a database could not be opened, for the operator starting a command.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database {url}")]
    Connect {
        url: DatabaseUrl,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot apply the migrations to {url}")]
    Migrate {
        url: DatabaseUrl,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `($1, $2, …), (…)`: the placeholders of a `VALUES` list of `rows` rows of `columns`
/// parameters each, numbered in order (both backends then name its columns column1..).
pub fn values_placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let numbers: Vec<String> = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod placeholder_tests {
    use super::values_placeholders;

    #[test]
    fn values_are_numbered_row_after_row() {
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(0, 3), "");
    }
}
