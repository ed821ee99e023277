//! Reading a snapshot file (its layout: `format.rs`), checking as it goes: the header,
//! every row against its table, each table's count and digest, and the checksum.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::SnapshotError;
use super::format::{Header, Marker, FORMAT, MAGIC};
use super::pump::Sink;
use super::rows::{Row, Tally};
use super::tables::{Table, TABLES};

/// The longest line a reader accepts (64 MiB), newline included.
const MAX_LINE: u64 = 64 << 20;

/// Reads a snapshot, checking as it goes, and hands its rows to a sink in batches.
pub struct SnapshotReader<R: BufRead> {
    input: R,
    path: PathBuf,
    hasher: Sha256,
    line: u64,
    bytes: Vec<u8>,
    text: String,
}

/// What a complete, verified file held.
#[derive(Debug, Clone)]
pub struct Contents {
    pub header: Header,
    pub tallies: Vec<(&'static Table, Tally)>,
    pub sha256: String,
}

impl<R: BufRead> SnapshotReader<R> {
    pub fn new(input: R, path: &Path) -> Self {
        Self {
            input,
            path: path.to_owned(),
            hasher: Sha256::new(),
            line: 0,
            bytes: Vec::new(),
            text: String::new(),
        }
    }

    /// Reads the next line into `self.text`, without its newline; false at the end of the
    /// file. A last line without its newline was cut short.
    fn next_line(&mut self, expected: &'static str) -> Result<bool, SnapshotError> {
        self.bytes.clear();
        self.text.clear();
        // A forged file's endless line must not take all memory: no row comes near this.
        let read = (&mut self.input)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.bytes)
            .map_err(|cause| SnapshotError::File {
                action: "read",
                path: self.path.clone(),
                cause,
            })?;
        if read == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.bytes.len() as u64 > MAX_LINE {
            return Err(self.corrupted(format!("a line is longer than {MAX_LINE} bytes")));
        }
        if self.bytes.pop() != Some(b'\n') {
            return Err(self.truncated(expected));
        }
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => self.text.push_str(text),
            Err(_) => return Err(self.corrupted("it is not UTF-8 text".into())),
        }
        Ok(true)
    }

    /// [`Self::next_line`] where the file must go on.
    fn expect_line(&mut self, expected: &'static str) -> Result<(), SnapshotError> {
        if self.next_line(expected)? {
            Ok(())
        } else {
            Err(self.truncated(expected))
        }
    }

    fn corrupted(&self, reason: String) -> SnapshotError {
        SnapshotError::Corrupted {
            path: self.path.clone(),
            line: self.line,
            reason,
        }
    }

    fn truncated(&self, expected: &'static str) -> SnapshotError {
        SnapshotError::Truncated {
            path: self.path.clone(),
            line: self.line,
            expected,
        }
    }

    fn hash_line(&mut self) {
        self.hasher.update(self.text.as_bytes());
        self.hasher.update(b"\n");
    }

    /// Reads and checks the first line.
    pub fn header(&mut self) -> Result<Header, SnapshotError> {
        let foreign = |path: &Path, reason: &str| SnapshotError::Foreign {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        match self.next_line("a header") {
            Ok(true) => {}
            Ok(false) => return Err(foreign(&self.path, "it is empty")),
            Err(SnapshotError::Truncated { .. } | SnapshotError::Corrupted { .. }) => {
                return Err(foreign(
                    &self.path,
                    "its first line is not a snapshot header",
                ))
            }
            Err(other) => return Err(other),
        }
        let value: serde_json::Value = serde_json::from_str(&self.text)
            .map_err(|_| foreign(&self.path, "its first line is not a snapshot header"))?;
        if value.get("snapshot").and_then(|v| v.as_str()) != Some(MAGIC) {
            return Err(foreign(
                &self.path,
                "its first line is not a snapshot header",
            ));
        }
        let format = value.get("format").and_then(|v| v.as_u64()).unwrap_or(0);
        if format != FORMAT {
            return Err(SnapshotError::UnsupportedFormat {
                path: self.path.clone(),
                found: format,
                supported: FORMAT,
            });
        }
        let header: Header = serde_json::from_value(value)
            .map_err(|cause| self.corrupted(format!("the header is malformed: {cause}")))?;
        self.hash_line();
        Ok(header)
    }

    /// Reads every table after the header into `sink`, `batch` rows at a time, and checks
    /// the counts, the digests and the checksum. Nothing after the trailer is allowed.
    pub fn tables(
        mut self,
        header: Header,
        sink: &mut dyn Sink,
        batch: usize,
    ) -> Result<Contents, SnapshotError> {
        let mut tallies = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            self.expect_line("the next table")?;
            match serde_json::from_str::<Marker>(&self.text) {
                Ok(Marker::Table {
                    table: name,
                    columns,
                }) if name == table.name && columns == table.column_names() => {}
                _ => {
                    let reason = format!(
                        "expected the table {} with columns {:?}",
                        table.name,
                        table.column_names()
                    );
                    return Err(self.corrupted(reason));
                }
            }
            self.hash_line();
            sink.table(table)?;
            tallies.push((table, self.table_rows(table, sink, batch)?));
        }
        self.expect_line("the checksum")?;
        let (tables, rows, recorded) = match serde_json::from_str::<Marker>(&self.text) {
            Ok(Marker::Trailer {
                tables,
                rows,
                sha256,
            }) => (tables, rows, sha256),
            _ => return Err(self.corrupted("expected the checksum".into())),
        };
        let computed = hex::encode(self.hasher.clone().finalize());
        if recorded != computed {
            return Err(SnapshotError::Checksum {
                path: self.path.clone(),
                recorded,
                computed,
            });
        }
        let total: u64 = tallies.iter().map(|(_, tally)| tally.rows).sum();
        if tables != TABLES.len() as u64 || rows != total {
            return Err(self.corrupted(format!(
                "the trailer counts {tables} tables and {rows} rows, the file holds {} and {total}",
                TABLES.len()
            )));
        }
        if self.next_line("nothing")? {
            return Err(self.corrupted("there is more after the checksum".into()));
        }
        Ok(Contents {
            header,
            tallies,
            sha256: computed,
        })
    }

    fn table_rows(
        &mut self,
        table: &'static Table,
        sink: &mut dyn Sink,
        batch: usize,
    ) -> Result<Tally, SnapshotError> {
        let mut tally = Tally::default();
        let mut rows = Vec::with_capacity(batch);
        loop {
            self.expect_line("a row or the end of the table")?;
            if self.text.starts_with('[') {
                let row = Row::parse(table, &self.text).map_err(|reason| self.corrupted(reason))?;
                self.hash_line();
                tally.add(&row);
                rows.push(row);
                if rows.len() == batch {
                    sink.rows(table, &rows)?;
                    rows.clear();
                }
                continue;
            }
            let (name, count, digest) = match serde_json::from_str::<Marker>(&self.text) {
                Ok(Marker::End { end, rows, digest }) => (end, rows, digest),
                _ => {
                    let reason = format!("expected a row of {} or its end", table.name);
                    return Err(self.corrupted(reason));
                }
            };
            if name != table.name || count != tally.rows || digest != tally.digest() {
                return Err(self.corrupted(format!(
                    "{} ends with {count} rows (digest {digest}); the file holds {} (digest {})",
                    table.name,
                    tally.rows,
                    tally.digest()
                )));
            }
            self.hash_line();
            if !rows.is_empty() {
                sink.rows(table, &rows)?;
            }
            sink.end_table(table, &tally)?;
            return Ok(tally);
        }
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
