//! What the store's unit tests share: a fresh SQLite database with tenant 1, statements
//! run on it, and its services' deadlines.

use std::collections::HashMap;

use diesel::prelude::*;

use super::super::schema::live_services;
use crate::platform::db::{Database, DatabaseUrl, DbError};
use crate::settings::DatabaseSettings;

/// A migrated SQLite database in a directory of its own (kept alive by the caller), with
/// tenant 1.
pub fn database() -> (tempfile::TempDir, Database) {
    let directory = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&directory.path().join("t.db").display().to_string()).unwrap();
    let database = Database::open(url, &DatabaseSettings::default()).unwrap();
    statement(
        &database,
        "INSERT INTO tenants (id, name, name_key, created_at) VALUES (1, 'a', 'a', 0)",
    );
    (directory, database)
}

pub fn statement(database: &Database, sql: &str) {
    database
        .with_connection(|conn| diesel::sql_query(sql).execute(conn).map_err(DbError::from))
        .unwrap();
}

/// A service of tenant 1 with `timeout` seconds, `deadline` and the token hash `hash`.
pub fn service(database: &Database, id: &str, timeout: i64, deadline: i64, hash: &str) {
    statement(
        database,
        &format!(
            "INSERT INTO live_services (tenant_id, id, heartbeat_timeout, tags, metadata, \
             last_seen, deadline, token_hash) VALUES (1, '{id}', {timeout}, '[]', '{{}}', NULL, \
             {deadline}, '{hash}')"
        ),
    );
}

/// Every service's deadline, by id.
pub fn deadlines(database: &Database) -> HashMap<String, i64> {
    database
        .with_connection(|conn| {
            live_services::table
                .select((live_services::id, live_services::deadline))
                .load::<(String, i64)>(conn)
                .map_err(DbError::from)
        })
        .unwrap()
        .into_iter()
        .collect()
}
