//! Snapshots: one portable file of everything the registry holds, taken from a serving
//! database in one consistent read; restored into an empty database (either backend) in one
//! transaction; or copied from one database to another without a file.
//!
//! Every path is a pump from a source (the database, page by page in key order, or a file,
//! line by line) into a [`Sink`] (`pump.rs`) (a file, a database, or nothing, to verify a file). Rows
//! are streamed in batches, so memory does not grow with the registry.

mod error;
mod format;
mod pump;
mod reader;
mod rows;
mod store;
mod tables;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::platform::db::Database;

pub use error::SnapshotError;
use format::{FileSink, Header, SnapshotWriter};
pub use pump::Pace;
use pump::{pump_database, verify, DatabaseSink, Discard, Sink, BATCH};
use reader::{Contents, SnapshotReader};
pub use rows::Tally;
pub use tables::Table;

/// What a save, a restore or a copy moved: rows and digest per table.
#[derive(Debug, Clone)]
pub struct Summary {
    pub tallies: Vec<(&'static Table, Tally)>,
    /// The file's SHA-256 (save and restore).
    pub sha256: Option<String>,
    pub schema: String,
    pub elapsed: Duration,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tallies.iter().map(|(_, tally)| tally.rows).sum()
    }
}

fn open_file(path: &Path) -> Result<BufReader<File>, SnapshotError> {
    File::open(path)
        .map(|file| BufReader::with_capacity(1 << 20, file))
        .map_err(|cause| SnapshotError::File {
            action: "open",
            path: path.to_owned(),
            cause,
        })
}

/// Reads `path` through, checking its header, every row, every table's count and digest,
/// and the checksum. Nothing is written anywhere.
pub fn verify_file(path: &Path) -> Result<Summary, SnapshotError> {
    let started = Instant::now();
    let contents = read_file(path, &mut Discard, BATCH)?;
    Ok(summary_of(contents, started))
}

fn read_file(path: &Path, sink: &mut dyn Sink, batch: usize) -> Result<Contents, SnapshotError> {
    let mut reader = SnapshotReader::new(open_file(path)?, path);
    let header = reader.header()?;
    reader.tables(header, sink, batch)
}

fn summary_of(contents: Contents, started: Instant) -> Summary {
    Summary {
        tallies: contents.tallies,
        sha256: Some(contents.sha256),
        schema: contents.header.schema,
        elapsed: started.elapsed(),
    }
}

/// Writes a snapshot of `database` to `path`: under a temporary name in the same
/// directory, synced, then renamed, so `path` is either the complete file or absent.
pub fn save(database: &Database, path: &Path, pace: &mut Pace) -> Result<Summary, SnapshotError> {
    let started = Instant::now();
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map_or_else(|| "snapshot".into(), |name| name.to_string_lossy());
    let io = |action: &'static str, cause: std::io::Error| SnapshotError::File {
        action,
        path: path.to_owned(),
        cause,
    };
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".partial")
        .tempfile_in(directory)
        .map_err(|cause| io("create a temporary file beside", cause))?;
    let output = BufWriter::with_capacity(1 << 20, partial);
    let (partial, sha256, tallies, schema) = database.with_connection(|conn| {
        store::read_consistently(conn, |conn| {
            store::check_schema(conn)?;
            let header = Header {
                snapshot: format::MAGIC.into(),
                format: format::FORMAT,
                schema: store::schema_version(conn)?,
                taken_at: humantime::format_rfc3339_millis(std::time::SystemTime::now())
                    .to_string(),
                source: store::backend_name(conn).into(),
            };
            let writer = SnapshotWriter::new(output, &header).map_err(|e| io("write", e))?;
            let mut sink = FileSink { writer, path };
            let tallies = pump_database(conn, &mut sink, pace)?;
            let (output, sha256) = sink.writer.finish().map_err(|e| io("write", e))?;
            let partial = output
                .into_inner()
                .map_err(|e| io("write", e.into_error()))?;
            Ok((partial, sha256, tallies, header.schema))
        })
    })?;
    partial.as_file().sync_all().map_err(|e| io("sync", e))?;
    partial
        .persist(path)
        .map_err(|e| io("rename the temporary file to", e.error))?;
    // The rename itself must survive a crash too.
    File::open(directory)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| io("sync the directory of", e))?;
    Ok(Summary {
        tallies,
        sha256: Some(sha256),
        schema,
        elapsed: started.elapsed(),
    })
}

/// Restores the snapshot at `path` into `database`, in one transaction. The file is read
/// through and verified before anything is written, and read again (and checked again)
/// while it is written; the target is read back and compared before the commit.
pub fn restore(
    database: &Database,
    path: &Path,
    replace: bool,
    pace: &mut Pace,
) -> Result<Summary, SnapshotError> {
    let started = Instant::now();
    let verified = read_file(path, &mut Discard, BATCH)?;
    database.with_connection(|conn| {
        let schema = store::schema_version(conn)?;
        if schema != verified.header.schema {
            return Err(SnapshotError::SchemaVersion {
                path: path.to_owned(),
                snapshot: verified.header.schema.clone(),
                database: schema,
            });
        }
        store::write_atomically(conn, |conn| {
            pump::prepare_target(conn, replace)?;
            let batch = pace.batch();
            let sink = &mut DatabaseSink {
                conn,
                pace: Some(pace),
            };
            let contents = read_file(path, sink, batch)?;
            if contents.sha256 != verified.sha256 {
                return Err(SnapshotError::Checksum {
                    path: path.to_owned(),
                    recorded: verified.sha256.clone(),
                    computed: contents.sha256,
                });
            }
            store::continue_sequences(conn)?;
            verify(conn, &contents.tallies)
        })
    })?;
    Ok(summary_of(verified, started))
}

/// Copies everything in `source` into `target` (either backend to either): one consistent
/// read of the source, one transaction on the target, verified table by table before it
/// commits.
pub fn copy(
    source: &Database,
    target: &Database,
    replace: bool,
    pace: &mut Pace,
) -> Result<Summary, SnapshotError> {
    let started = Instant::now();
    if source.url() == target.url() {
        return Err(SnapshotError::SameDatabase(source.url().to_string()));
    }
    let (tallies, schema) = source.with_connection(|from| {
        store::read_consistently(from, |from| {
            store::check_schema(from)?;
            let schema = store::schema_version(from)?;
            target
                .with_connection(|to| {
                    let target_schema = store::schema_version(to)?;
                    if target_schema != schema {
                        return Err(SnapshotError::SchemaDrift(format!(
                        "the source is at schema version {schema}, the target at {target_schema}"
                    )));
                    }
                    store::write_atomically(to, |to| {
                        pump::prepare_target(to, replace)?;
                        let sink = &mut DatabaseSink {
                            conn: to,
                            pace: None,
                        };
                        let tallies = pump_database(from, sink, pace)?;
                        store::continue_sequences(to)?;
                        verify(to, &tallies)?;
                        Ok(tallies)
                    })
                })
                .map(|tallies| (tallies, schema))
        })
    })?;
    Ok(Summary {
        tallies,
        sha256: None,
        schema,
        elapsed: started.elapsed(),
    })
}
