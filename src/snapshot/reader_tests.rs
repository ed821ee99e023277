//! The reader against files cut, altered, foreign or from the future.

use super::*;
use crate::snapshot::format::{FileSink, SnapshotWriter};
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
                    Row::parse(table, r#"[9,"Nova","nova","compute","public","d",1,2,1]"#).unwrap(),
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
    let future = String::from_utf8(snapshot())
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
