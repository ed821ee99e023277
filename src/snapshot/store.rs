//! The snapshot's queries: every table read page by page in key order inside one
//! consistent read, written in batches inside one transaction. Rows cross as JSON arrays
//! built and taken apart by the database itself (`json_build_array` and
//! `json_array_elements` on PostgreSQL, `json_array` and `json_each` on SQLite), so one
//! statement moves a whole batch with a single bound parameter.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::platform::db::{DbConnection, DbError};

use super::error::SnapshotError;
use super::rows::Row;
use super::tables::{Kind, Table, TABLES};

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct CatalogColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    version: Option<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn is_postgres(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Postgresql(_))
}

pub fn backend_name(conn: &DbConnection) -> &'static str {
    if is_postgres(conn) {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Runs `work` inside one read-only snapshot of the whole database: a repeatable-read
/// transaction on PostgreSQL; on SQLite (WAL) a read transaction, whose view is fixed at
/// its first read. Writers carry on meanwhile and are not seen.
pub fn read_consistently<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, SnapshotError>,
) -> Result<T, SnapshotError> {
    conn.transaction(|conn| {
        if is_postgres(conn) {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        work(conn)
    })
}

/// Runs `work` in one write transaction: all of it commits or none of it. On SQLite the
/// write lock is taken first, so no other writer can slip in between the checks and the
/// writes.
pub fn write_atomically<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, SnapshotError>,
) -> Result<T, SnapshotError> {
    conn.transaction(|conn| {
        if !is_postgres(conn) {
            conn.batch_execute("UPDATE generations SET value = value WHERE name = ''")?;
        }
        work(conn)
    })
}

/// The last migration applied: a snapshot restores only into the same schema.
pub fn schema_version(conn: &mut DbConnection) -> Result<String, DbError> {
    let version: Version =
        diesel::sql_query("SELECT MAX(version) AS version FROM __diesel_schema_migrations")
            .get_result(conn)?;
    Ok(version.version.unwrap_or_default())
}

/// Checks [`TABLES`] against the database's own catalog: the same tables, the same
/// columns, of the same kinds.
pub fn check_schema(conn: &mut DbConnection) -> Result<(), SnapshotError> {
    let query = if is_postgres(conn) {
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
         data_type::text AS data_type FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'"
    } else {
        "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type \
         FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         AND m.name <> '__diesel_schema_migrations'"
    };
    let columns: Vec<CatalogColumn> = diesel::sql_query(query).load(conn)?;
    let mut found: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for column in columns {
        found
            .entry(column.table_name)
            .or_default()
            .insert(column.column_name, column.data_type.to_ascii_lowercase());
    }
    for table in TABLES {
        let Some(columns) = found.remove(table.name) else {
            return Err(SnapshotError::SchemaDrift(format!(
                "the database has no table {}",
                table.name
            )));
        };
        for column in table.columns {
            let kind = columns
                .get(column.name)
                .map(|data_type| match data_type.as_str() {
                    "bigint" | "integer" => Some(Kind::Int),
                    "text" => Some(Kind::Text),
                    _ => None,
                });
            if kind != Some(Some(column.kind)) {
                return Err(SnapshotError::SchemaDrift(format!(
                    "{}.{} is {:?} in the database, {:?} in the snapshot's list",
                    table.name,
                    column.name,
                    columns.get(column.name),
                    column.kind
                )));
            }
        }
        if columns.len() != table.columns.len() {
            let unknown: Vec<&String> = columns
                .keys()
                .filter(|name| !table.columns.iter().any(|c| c.name == name.as_str()))
                .collect();
            return Err(SnapshotError::SchemaDrift(format!(
                "{} has columns {unknown:?} the snapshot's list lacks",
                table.name
            )));
        }
    }
    if let Some(table) = found.keys().next() {
        return Err(SnapshotError::SchemaDrift(format!(
            "the table {table} is not in the snapshot's list"
        )));
    }
    Ok(())
}

/// Up to `limit` rows of `table` after the row `after` (from the first without one), in
/// key order.
pub fn read_page(
    conn: &mut DbConnection,
    table: &'static Table,
    after: Option<&Row>,
    limit: usize,
) -> Result<Vec<Row>, SnapshotError> {
    let postgres = is_postgres(conn);
    let columns = table.column_names().join(", ");
    let keys: Vec<&str> = table.keys().map(|column| column.name).collect();
    let mut sql = if postgres {
        format!(
            "SELECT json_build_array({columns})::text AS row FROM {}",
            table.name
        )
    } else {
        format!("SELECT json_array({columns}) AS row FROM {}", table.name)
    };
    if after.is_some() {
        let array = if postgres { "CAST($1 AS json)" } else { "$1" };
        let bounds: Vec<String> = table
            .keys()
            .enumerate()
            .map(|(i, column)| element(postgres, array, i, column.kind))
            .collect();
        sql.push_str(&format!(
            " WHERE ({}) > ({})",
            keys.join(", "),
            bounds.join(", ")
        ));
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", keys.join(", ")));
    let query = diesel::sql_query(sql);
    let loaded: Result<Vec<JsonRow>, _> = match after {
        Some(row) => query.bind::<Text, _>(row.key(table)).load(conn),
        None => query.load(conn),
    };
    let loaded = loaded.map_err(|cause| SnapshotError::Table {
        action: "reading",
        table: table.name,
        cause: cause.into(),
    })?;
    loaded
        .into_iter()
        .map(|json| {
            Row::parse(table, &json.row).map_err(|reason| SnapshotError::UnexpectedRow {
                table: table.name,
                reason,
            })
        })
        .collect()
}

/// The SQL for element `i` of the JSON array `array`, as a value of `kind`.
fn element(postgres: bool, array: &str, i: usize, kind: Kind) -> String {
    match (postgres, kind) {
        (true, Kind::Int) => format!("({array}->>{i})::bigint"),
        (true, Kind::Text) => format!("({array}->>{i})"),
        (false, _) => format!("json_extract({array}, '$[{i}]')"),
    }
}

/// Inserts `rows` into `table` with one statement.
pub fn insert_rows(
    conn: &mut DbConnection,
    table: &'static Table,
    rows: &[Row],
) -> Result<(), SnapshotError> {
    let postgres = is_postgres(conn);
    let array = if postgres { "r" } else { "value" };
    let values: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| element(postgres, array, i, column.kind))
        .collect();
    let source = if postgres {
        "json_array_elements(CAST($1 AS json)) AS e(r)"
    } else {
        "json_each($1)"
    };
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM {source}",
        table.name,
        table.column_names().join(", "),
        values.join(", ")
    );
    let mut batch = String::with_capacity(rows.iter().map(|row| row.as_str().len() + 1).sum());
    batch.push('[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            batch.push(',');
        }
        batch.push_str(row.as_str());
    }
    batch.push(']');
    diesel::sql_query(sql)
        .bind::<Text, _>(batch)
        .execute(conn)
        .map_err(|cause| SnapshotError::Table {
            action: "writing",
            table: table.name,
            cause: cause.into(),
        })?;
    Ok(())
}

/// The first table that holds data of its own (rows a migration put there do not count).
pub fn first_table_with_data(
    conn: &mut DbConnection,
) -> Result<Option<&'static str>, SnapshotError> {
    for table in TABLES.iter().filter(|table| !table.seeded) {
        let count: Count = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {} LIMIT 1) AS any_row",
            table.name
        ))
        .get_result(conn)
        .map_err(|cause| SnapshotError::Table {
            action: "counting",
            table: table.name,
            cause: cause.into(),
        })?;
        if count.n > 0 {
            return Ok(Some(table.name));
        }
    }
    Ok(None)
}

/// Deletes every row of every table, children first.
pub fn delete_everything(conn: &mut DbConnection) -> Result<(), SnapshotError> {
    for table in TABLES.iter().rev() {
        diesel::sql_query(format!("DELETE FROM {}", table.name))
            .execute(conn)
            .map_err(|cause| SnapshotError::Table {
                action: "emptying",
                table: table.name,
                cause: cause.into(),
            })?;
    }
    Ok(())
}

/// After rows came in with their own ids: PostgreSQL's identity sequence of principals
/// must continue after the largest (SQLite takes the next rowid by itself).
pub fn continue_sequences(conn: &mut DbConnection) -> Result<(), SnapshotError> {
    if is_postgres(conn) {
        conn.batch_execute(
            "SELECT setval(pg_get_serial_sequence('principals', 'id'), \
             COALESCE((SELECT MAX(id) FROM principals), 0) + 1, false)",
        )?;
    }
    Ok(())
}
