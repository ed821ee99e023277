//! Storage behind a small repository API. Queries are written once against
//! [`DbConnection`] and run unchanged on SQLite and PostgreSQL; callers never see SQL.

mod connection;
pub mod principals;
mod schema;
pub mod services;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use connection::{run_migrations, ConnectionManager};
pub use connection::{DatabaseUrl, DbConnection};

use crate::error::{Error, Result};

/// How long a request waits for a pooled connection before answering 503. With the
/// database down, a checkout fails fast (refused connections) or at this bound, which
/// keeps outage answers well inside two seconds.
const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(1000);

/// A pool of connections to one database, migrated to the current schema.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    url: DatabaseUrl,
    /// SQLite admits one writer at a time and makes the others sleep and retry with growing
    /// naps, so under load some writes waited over a second. Queueing this process's own
    /// writers here keeps them in line; SQLite's busy timeout then only arbitrates between
    /// processes. (PostgreSQL queues writers itself, row by row.)
    sqlite_writer: Arc<Mutex<()>>,
}

impl Database {
    /// Connects and applies pending migrations, so every command works on a brand-new
    /// database. Blocking: call it before the server starts or from the command line.
    /// Its errors are for the operator and carry the cause, unlike [`Error`]'s.
    pub fn open(url: DatabaseUrl) -> std::result::Result<Self, OpenError> {
        let manager = ConnectionManager::new(url.clone());
        // One direct attempt first: a wrong path or URL fails at once with its cause,
        // instead of after the pool's retries.
        let mut first = manager.connect().map_err(|e| OpenError::Connect {
            url: url.to_string(),
            cause: e.to_string(),
        })?;
        run_migrations(&mut first).map_err(|e| OpenError::Migrate {
            url: url.to_string(),
            cause: e.to_string(),
        })?;
        let max_size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 16,
        };
        // A pooled PostgreSQL connection may have died with its server: test it on checkout
        // (that is how a node recovers from an outage). An SQLite connection is a handle to
        // a file in this process and cannot die, so the round trip would be pure cost.
        let test_on_check_out = matches!(url, DatabaseUrl::Postgres(_));
        let pool = Pool::builder()
            .max_size(max_size)
            .test_on_check_out(test_on_check_out)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(manager)
            .map_err(|e| OpenError::Connect {
                url: url.to_string(),
                cause: e.to_string(),
            })?;
        Ok(Self {
            pool,
            url,
            sqlite_writer: Arc::default(),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// One round trip to the database: readiness for `/healthz`.
    pub fn ping(conn: &mut DbConnection) -> Result<()> {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(drop)
            .map_err(|error| {
                log::warn!("database ping failed: {error}");
                Error::Unavailable
            })
    }

    /// Runs `work` on a pooled connection, blocking the calling thread.
    pub fn with_connection<T>(
        &self,
        work: impl FnOnce(&mut DbConnection) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.checkout()?;
        work(&mut conn)
    }

    /// Runs `work` on a pooled connection on the blocking thread pool, so database calls
    /// (and waits for a free connection) never stall the async workers.
    ///
    /// A database that stops answering (a network partition keeps sockets open) must not
    /// hang requests: past [`Self::deadline`] the caller gets 503 while the stuck call
    /// finishes or fails on its own. The outcome of a write answered this way is unknown
    /// to the client; retrying is safe (a repeated registration answers 409).
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let database = self.clone();
        let task = actix_web::web::block(move || database.with_connection(work));
        match actix_web::rt::time::timeout(self.deadline(), task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => {
                log::error!("database task did not complete: {e}");
                Err(Error::Internal)
            }
            Err(_) => {
                log::warn!("database did not answer within {:?}", self.deadline());
                Err(Error::Unavailable)
            }
        }
    }

    /// Threads each HTTP worker may use for database calls. SQLite calls are CPU work in
    /// this process: beyond a couple of threads they only add context switches (measured:
    /// 2 per worker serve ~40% more requests than tokio's default of hundreds). PostgreSQL
    /// calls mostly wait on the network, so more of them may be in flight.
    pub fn blocking_threads_per_worker(&self) -> usize {
        match self.url {
            DatabaseUrl::Sqlite(_) => 2,
            DatabaseUrl::Postgres(_) => 8,
        }
    }

    /// [`Self::run`] for work that writes: on SQLite it waits its turn behind this
    /// process's other writers first.
    pub async fn run_write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
    {
        let writer =
            matches!(self.url, DatabaseUrl::Sqlite(_)).then(|| Arc::clone(&self.sqlite_writer));
        self.run(move |conn| {
            let _turn = writer
                .as_ref()
                .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
            work(conn)
        })
        .await
    }

    /// PostgreSQL calls take milliseconds, so 1.5 s means the server is unreachable.
    /// SQLite writers queue on the file lock for up to the 5 s busy timeout, so its
    /// deadline only guards against the impossible.
    fn deadline(&self) -> Duration {
        match self.url {
            DatabaseUrl::Sqlite(_) => Duration::from_secs(10),
            DatabaseUrl::Postgres(_) => Duration::from_millis(1500),
        }
    }

    fn checkout(&self) -> Result<PooledConnection<ConnectionManager>> {
        self.pool.get().map_err(|e| {
            log::warn!("no database connection available: {e}");
            Error::Unavailable
        })
    }
}

/// Why a database could not be opened, for the operator starting a command.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open the database {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("cannot apply the migrations to {url}: {cause}")]
    Migrate { url: String, cause: String },
}

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Which UNIQUE constraint a write broke, if that is what failed.
pub(crate) fn unique_violation(error: &DieselError) -> Option<String> {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => Some(
            info.constraint_name()
                .map_or_else(|| info.message().to_owned(), str::to_owned),
        ),
        _ => None,
    }
}

/// Messages of failures that mean "the database is not reachable right now" rather than
/// "this query is wrong": libpq's lost-connection and shutdown messages, SQLite's lock
/// timeout. diesel exposes no SQLSTATE, so the text is what there is.
const TRANSIENT_MESSAGES: [&str; 9] = [
    "database is locked",
    "database is busy",
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "connection to server",
    "could not receive data",
    "could not send data",
    "the database system is",
];

/// Maps a database failure that the caller did not anticipate. Lost connections and
/// lock timeouts are transient (503); anything else is a bug or corruption (500). The
/// cause is logged here and never shown to the client.
pub(crate) fn unexpected(error: DieselError) -> Error {
    let transient = match &error {
        DieselError::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            ) || TRANSIENT_MESSAGES
                .iter()
                .any(|message| info.message().contains(message))
        }
        DieselError::BrokenTransactionManager => true,
        _ => false,
    };
    if transient {
        log::warn!("database unavailable: {error}");
        Error::Unavailable
    } else {
        log::error!("database error: {error}");
        Error::Internal
    }
}

/// Lets `?` and `Connection::transaction` carry database failures (commit, rollback)
/// that no caller anticipates.
impl From<DieselError> for Error {
    fn from(error: DieselError) -> Self {
        unexpected(error)
    }
}
