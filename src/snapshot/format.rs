//! The snapshot file: UTF-8 JSON lines, readable with `head` and `grep`.
//!
//! ```text
//! {"snapshot":"service-registry","format":1,"schema":"20261206000001","taken_at":"…","source":"sqlite"}
//! {"table":"tenants","columns":["id","name",…]}
//! [1,"acme",…]                                   one line per row, in key order
//! {"end":"tenants","rows":1,"digest":"…"}        the table's count and order-free digest
//! …                                              every table, in the order of TABLES
//! {"tables":21,"rows":…,"sha256":"…"}            SHA-256 of every byte above this line
//! ```
//!
//! A file without its last line is truncated; a file whose bytes do not hash to it is
//! corrupted. The reader checks both, and every row against its table, as it goes.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SnapshotError;
use super::pump::Sink;
use super::rows::{Row, Tally};
use super::tables::Table;

pub const MAGIC: &str = "service-registry";
pub const FORMAT: u64 = 1;

/// The first line: what the file is and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub snapshot: String,
    pub format: u64,
    /// The last migration of the database it was taken from: a restore needs the same.
    pub schema: String,
    pub taken_at: String,
    pub source: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Marker {
    Table {
        table: String,
        columns: Vec<String>,
    },
    End {
        end: String,
        rows: u64,
        digest: String,
    },
    Trailer {
        tables: u64,
        rows: u64,
        sha256: String,
    },
}

/// Writes a snapshot line by line, hashing what it writes.
pub struct SnapshotWriter<W: Write> {
    out: W,
    hasher: Sha256,
    tables: u64,
    rows: u64,
}

impl<W: Write> SnapshotWriter<W> {
    pub fn new(out: W, header: &Header) -> std::io::Result<Self> {
        let mut writer = Self {
            out,
            hasher: Sha256::new(),
            tables: 0,
            rows: 0,
        };
        writer.line(&serde_json::to_string(header).expect("a header serializes"))?;
        Ok(writer)
    }

    fn line(&mut self, text: &str) -> std::io::Result<()> {
        self.hasher.update(text.as_bytes());
        self.hasher.update(b"\n");
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn marker(&mut self, marker: &Marker) -> std::io::Result<()> {
        self.line(&serde_json::to_string(marker).expect("a marker serializes"))
    }

    /// Writes the trailer and hands back the output, flushed; returns the checksum too.
    pub fn finish(mut self) -> std::io::Result<(W, String)> {
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let trailer = Marker::Trailer {
            tables: self.tables,
            rows: self.rows,
            sha256: sha256.clone(),
        };
        let text = serde_json::to_string(&trailer).expect("a marker serializes");
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.out.flush()?;
        Ok((self.out, sha256))
    }
}

/// The writer is where `snapshot save` pumps the database's rows.
pub struct FileSink<'a, W: Write> {
    pub writer: SnapshotWriter<W>,
    pub path: &'a Path,
}

impl<W: Write> FileSink<'_, W> {
    fn io(&self, cause: std::io::Error) -> SnapshotError {
        SnapshotError::File {
            action: "write",
            path: self.path.to_owned(),
            cause,
        }
    }
}

impl<W: Write> Sink for FileSink<'_, W> {
    fn table(&mut self, table: &'static Table) -> Result<(), SnapshotError> {
        let marker = Marker::Table {
            table: table.name.to_owned(),
            columns: table.column_names().into_iter().map(String::from).collect(),
        };
        self.writer.marker(&marker).map_err(|cause| self.io(cause))
    }

    fn rows(&mut self, _: &'static Table, rows: &[Row]) -> Result<(), SnapshotError> {
        for row in rows {
            self.writer
                .line(row.as_str())
                .map_err(|cause| self.io(cause))?;
        }
        self.writer.rows += rows.len() as u64;
        Ok(())
    }

    fn end_table(&mut self, table: &'static Table, tally: &Tally) -> Result<(), SnapshotError> {
        let marker = Marker::End {
            end: table.name.to_owned(),
            rows: tally.rows,
            digest: tally.digest(),
        };
        self.writer.tables += 1;
        self.writer.marker(&marker).map_err(|cause| self.io(cause))
    }
}
