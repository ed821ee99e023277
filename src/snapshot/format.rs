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

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SnapshotError;
use super::rows::{Row, Tally};
use super::tables::{Table, TABLES};
use super::Sink;

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
enum Marker {
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
        let read = self
            .input
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
mod tests {
    use super::*;
    use crate::snapshot::tables::table;

    struct Collect(Vec<String>);

    impl Sink for Collect {
        fn table(&mut self, _: &'static Table) -> Result<(), SnapshotError> {
            Ok(())
        }
        fn rows(&mut self, _: &'static Table, rows: &[Row]) -> Result<(), SnapshotError> {
            self.0
                .extend(rows.iter().map(|row| row.as_str().to_owned()));
            Ok(())
        }
        fn end_table(&mut self, _: &'static Table, _: &Tally) -> Result<(), SnapshotError> {
            Ok(())
        }
    }

    fn header() -> Header {
        Header {
            snapshot: MAGIC.into(),
            format: FORMAT,
            schema: "20261206000001".into(),
            taken_at: "2026-12-06T00:00:00.000Z".into(),
            source: "sqlite".into(),
        }
    }

    /// A complete file: two tenants (one named in odd Unicode) and a service.
    fn snapshot() -> Vec<u8> {
        let path = Path::new("test.snapshot");
        let writer = SnapshotWriter::new(Vec::new(), &header()).unwrap();
        let mut sink = FileSink { writer, path };
        for table in TABLES {
            sink.table(table).unwrap();
            let rows: Vec<Row> = match table.name {
                "tenants" => vec![
                    Row::parse(table, r#"[1,"acme","acme",null,1,5]"#).unwrap(),
                    Row::parse(table, r#"[2,"Ω\u0000\n\"x","ω",null,1,5]"#).unwrap(),
                ],
                "services" => {
                    vec![
                        Row::parse(table, r#"[9,"Nova","nova","compute","public","d",1,2]"#)
                            .unwrap(),
                    ]
                }
                _ => vec![],
            };
            let mut tally = Tally::default();
            rows.iter().for_each(|row| tally.add(row));
            sink.rows(table, &rows).unwrap();
            sink.end_table(table, &tally).unwrap();
        }
        sink.writer.finish().unwrap().0
    }

    fn read(bytes: &[u8]) -> Result<(Contents, Vec<String>), SnapshotError> {
        let mut reader = SnapshotReader::new(bytes, Path::new("test.snapshot"));
        let header = reader.header()?;
        let mut rows = Collect(Vec::new());
        let contents = reader.tables(header, &mut rows, 1)?;
        Ok((contents, rows.0))
    }

    #[test]
    fn a_complete_file_reads_back_row_for_row() {
        let bytes = snapshot();
        let (contents, rows) = read(&bytes).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(contents.tallies.len(), TABLES.len());
        assert!(rows[1].contains(r#""Ω\u0000\n\"x""#), "{}", rows[1]);
        assert_eq!(contents.header.schema, "20261206000001");
    }

    #[test]
    fn a_file_cut_anywhere_is_truncated_or_foreign_never_complete() {
        let bytes = snapshot();
        let header_end = bytes.iter().position(|b| *b == b'\n').unwrap();
        for cut in 0..bytes.len() {
            match read(&bytes[..cut]) {
                Err(SnapshotError::Truncated { .. }) => {}
                Err(SnapshotError::Foreign { .. }) if cut <= header_end => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn any_changed_byte_is_caught() {
        let bytes = snapshot();
        let header_end = bytes.iter().position(|b| *b == b'\n').unwrap();
        for at in (header_end + 1..bytes.len()).step_by(7) {
            let mut changed = bytes.clone();
            changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
            assert!(
                matches!(
                    read(&changed),
                    Err(SnapshotError::Corrupted { .. }
                        | SnapshotError::Checksum { .. }
                        | SnapshotError::Truncated { .. })
                ),
                "a changed byte at {at} went unnoticed"
            );
        }
    }

    #[test]
    fn foreign_and_future_files_are_named_as_such() {
        for foreign in [
            &b""[..],
            b"hello\n",
            b"\x89PNG\r\n\x1a\n\0\0",
            b"{\"snapshot\":\"etcd\"}\n",
        ] {
            assert!(
                matches!(read(foreign), Err(SnapshotError::Foreign { .. })),
                "{foreign:?}"
            );
        }
        let future =
            String::from_utf8(snapshot())
                .unwrap()
                .replacen("\"format\":1", "\"format\":2", 1);
        assert!(matches!(
            read(future.as_bytes()),
            Err(SnapshotError::UnsupportedFormat { found: 2, .. })
        ));
    }

    #[test]
    fn nothing_may_follow_the_checksum_and_counts_must_agree() {
        let mut longer = snapshot();
        longer.extend_from_slice(b"[1]\n");
        assert!(matches!(
            read(&longer),
            Err(SnapshotError::Corrupted { .. })
        ));

        // A row dropped along with a consistent checksum is still caught by its table's end.
        let text = String::from_utf8(snapshot()).unwrap();
        let without: String = text
            .lines()
            .filter(|line| !line.starts_with("[9,"))
            .map(|line| format!("{line}\n"))
            .collect();
        assert!(matches!(
            read(without.as_bytes()),
            Err(SnapshotError::Corrupted { .. })
        ));
        assert!(table("services").is_some());
    }
}
