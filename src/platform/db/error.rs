//! Why a database call failed, with its cause kept for the log. Callers decide what a
//! failure means to them (a unique violation is a conflict to the registry); whatever they
//! did not anticipate travels up as a [`DbError`] and the edge answers 503 or 500.

use std::sync::Arc;
use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection could be checked out")]
    Checkout(#[source] diesel::r2d2::PoolError),
    #[error("the database query failed")]
    Query(#[from] DieselError),
    #[error("the database did not answer within {0:?}")]
    Deadline(Duration),
    #[error("the database task did not complete")]
    Task(#[source] actix_web::error::BlockingError),
    /// A write gathered with others whose transaction failed.
    #[error("the batch of writes this one was part of failed")]
    Batch(#[source] Arc<DbError>),
    /// A transaction whose COMMIT failed: whether it took effect is unknown.
    #[error("the commit failed")]
    Commit(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the write was dropped unanswered")]
    Unanswered,
    #[error("the writer has stopped")]
    WriterStopped,
}

/// Messages of failures that mean "the database is not reachable right now" rather than
/// "this query is wrong": libpq's lost-connection and shutdown messages, SQLite's lock
/// timeout. diesel exposes no SQLSTATE, so the text is what there is.
const TRANSIENT_MESSAGES: [&str; 11] = [
    "database is locked",
    "database is busy",
    "server closed the connection",
    "terminating connection",
    "no connection to the server",
    "connection to server",
    "could not receive data",
    "could not send data",
    "the database system is",
    // PostgreSQL's answers to writers that crossed another node's: nothing was written.
    "deadlock detected",
    "could not serialize access",
];

impl DbError {
    /// Lost connections, lock timeouts and deadlines pass (503); anything else is a bug
    /// or corruption (500).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Checkout(_) | Self::Deadline(_) | Self::Unanswered | Self::WriterStopped => true,
            Self::Batch(cause) => cause.is_transient(),
            // A lost connection, most likely; retrying is the caller's call either way.
            Self::Commit(_) => true,
            Self::Task(_) => false,
            Self::Query(DieselError::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
                ) || TRANSIENT_MESSAGES
                    .iter()
                    .any(|message| info.message().contains(message))
            }
            Self::Query(DieselError::BrokenTransactionManager) => true,
            Self::Query(_) => false,
        }
    }

    /// Whether a write broke a FOREIGN KEY constraint (a row still referred to).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(
            self,
            Self::Query(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        ) || matches!(self, Self::Query(DieselError::DatabaseError(_, info))
            if info.message().contains("FOREIGN KEY constraint failed"))
    }

    /// The UNIQUE constraint (or, where the backend names none, the message) a write broke.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            Self::Query(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                Some(info.constraint_name().unwrap_or_else(|| info.message()))
            }
            _ => None,
        }
    }
}
