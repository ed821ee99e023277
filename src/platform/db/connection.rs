//! One connection type for both backends, a pool manager that picks the backend from the
//! URL (never by trial), and the embedded migrations of each backend.

use std::fmt;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serializes migrations across nodes that start at once against one PostgreSQL database.
const MIGRATION_LOCK_KEY: i64 = 0x5e_7a_1c_e0_12_e9;

/// Every query of every subsystem is written once against this enum and runs on either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives: `postgres://` / `postgresql://` select PostgreSQL; `sqlite://PATH`
/// or a plain path select an SQLite file.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

/// The URL names neither an SQLite file nor a PostgreSQL database.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database URL must name an SQLite file or a postgres:// database \
     (an in-memory SQLite database would not be shared by the pool)"
)]
pub struct InvalidDatabaseUrl;

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.is_empty() || path.contains(":memory:") || path.starts_with("file::memory") {
            return Err(InvalidDatabaseUrl);
        }
        Ok(Self::Sqlite(path.to_owned()))
    }
}

/// Printable form that never shows a password.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite {path}"),
            Self::Postgres(url) => {
                let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
                let host_part = after_scheme
                    .rsplit_once('@')
                    .map_or(after_scheme, |(_, host)| host);
                write!(f, "postgres://{host_part}")
            }
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Durability and concurrency settings applied to every SQLite connection: WAL lets
/// readers run beside the writer, FULL sync makes a commit (and so a 201) survive power
/// loss, and the busy timeout queues writers instead of failing them.
fn sqlite_pragmas(busy_timeout: Duration) -> String {
    format!(
        "PRAGMA busy_timeout = {};
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;",
        busy_timeout.as_millis()
    )
}

pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_pragmas: String,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, sqlite_busy_timeout: Duration) -> Self {
        Self {
            url,
            sqlite_pragmas: sqlite_pragmas(sqlite_busy_timeout),
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(&self.sqlite_pragmas)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(&with_network_timeouts(url))
                .map(DbConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// libpq's defaults wait minutes for a peer that vanished; these bound connecting, and
/// sending to a dead server, so an outage turns into quick 503s. Values the operator put in
/// the URL win.
fn with_network_timeouts(url: &str) -> String {
    let mut url = url.to_owned();
    for (key, value) in [
        ("connect_timeout", "2"),
        ("tcp_user_timeout", "1500"),
        ("keepalives_idle", "5"),
    ] {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    }
    url
}

pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// Applies the pending migrations of the connection's backend, safely against other
/// processes doing the same: SQLite under one IMMEDIATE (write-locked) transaction,
/// PostgreSQL under a session advisory lock.
pub fn run_migrations(conn: &mut DbConnection) -> Result<(), MigrationError> {
    match conn {
        DbConnection::Sqlite(conn) => conn
            .immediate_transaction(|conn| conn.run_pending_migrations(SQLITE_MIGRATIONS).map(drop)),
        DbConnection::Postgresql(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            let applied = conn.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(conn)?;
            applied
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:secret@db:5432/reg").unwrap(),
            DatabaseUrl::Postgres("postgres://u:secret@db:5432/reg".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/reg.db").unwrap(),
            DatabaseUrl::Sqlite("data/reg.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("reg.db").unwrap(),
            DatabaseUrl::Sqlite("reg.db".into())
        );
        assert!(DatabaseUrl::parse(":memory:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn postgres_urls_get_network_timeouts_unless_given() {
        assert_eq!(
            with_network_timeouts("postgres://h/db"),
            "postgres://h/db?connect_timeout=2&tcp_user_timeout=1500&keepalives_idle=5"
        );
        assert_eq!(
            with_network_timeouts("postgres://h/db?sslmode=disable&connect_timeout=9"),
            "postgres://h/db?sslmode=disable&connect_timeout=9&tcp_user_timeout=1500&keepalives_idle=5"
        );
    }

    #[test]
    fn printing_a_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://u:secret@db:5432/reg").unwrap();
        assert_eq!(url.to_string(), "postgres://db:5432/reg");
    }
}
