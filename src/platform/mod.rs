//! What every subsystem stands on: the database, the HTTP edge and background workers.

pub mod db;
pub mod http;
pub mod workers;
