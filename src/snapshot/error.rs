//! Why a snapshot could not be saved, restored or copied, with what the operator needs to
//! act on it: the file and line, the table, the two values that disagree.

use std::path::PathBuf;

use crate::platform::db::{DbError, OpenError};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot {action} {path}")]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        cause: std::io::Error,
    },
    #[error("{path} is not a service-registry snapshot ({reason})")]
    Foreign { path: PathBuf, reason: String },
    #[error("{path} is snapshot format {found}; this build reads format {supported}")]
    UnsupportedFormat {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error(
        "{path} was taken at schema version {snapshot}, the database is at {database}: \
         restore it with the release that took it, then upgrade"
    )]
    SchemaVersion {
        path: PathBuf,
        snapshot: String,
        database: String,
    },
    #[error("{path} is truncated: it ends at line {line}, {expected}")]
    Truncated {
        path: PathBuf,
        line: u64,
        expected: &'static str,
    },
    #[error("{path} is corrupted at line {line}: {reason}")]
    Corrupted {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{path} is corrupted: its checksum is {recorded}, its content hashes to {computed}")]
    Checksum {
        path: PathBuf,
        recorded: String,
        computed: String,
    },
    #[error(
        "the target database already holds data ({table} is not empty); \
         pass --replace-existing-data to delete everything in it first"
    )]
    TargetNotEmpty { table: &'static str },
    #[error("the source and the target are the same database ({0})")]
    SameDatabase(String),
    #[error("the schema has changed without the snapshot's table list: {0}")]
    SchemaDrift(String),
    #[error(
        "verification failed: {table} holds {found_rows} rows (digest {found_digest}) \
         after the copy, the source {expected_rows} (digest {expected_digest})"
    )]
    Verification {
        table: &'static str,
        expected_rows: u64,
        expected_digest: String,
        found_rows: u64,
        found_digest: String,
    },
    #[error("{table}: a row read from the database does not fit the table: {reason}")]
    UnexpectedRow { table: &'static str, reason: String },
    #[error("{action} {table} failed")]
    Table {
        action: &'static str,
        table: &'static str,
        #[source]
        cause: DbError,
    },
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// Transactions are diesel's: their own failures (BEGIN, COMMIT) arrive as its error.
impl From<diesel::result::Error> for SnapshotError {
    fn from(cause: diesel::result::Error) -> Self {
        Self::Database(DbError::Query(cause))
    }
}
