//! What every subsystem stands on: the database, the HTTP edge, background workers, the
//! freshness of cached reads and the metrics.

pub mod coalesce;
pub mod db;
pub mod freshness;
pub mod gauge;
pub mod http;
pub mod intake;
pub mod metrics;
pub mod paging;
pub mod probe;
pub mod text;
pub mod tls;
pub mod workers;

/// Locks `mutex`, going on past a panic of another holder: every state kept under one
/// here stays valid between statements.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `error: its source: that one's source ...`, for logs.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}
