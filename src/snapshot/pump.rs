//! The pumps every snapshot command is made of: a database read table by table in key
//! order, or a file read line by line, into a [`Sink`].

use std::time::{Duration, Instant};

use crate::platform::db::DbConnection;

use super::error::SnapshotError;
use super::rows::{Row, Tally};
use super::store;
use super::tables::{Table, TABLES};

/// Rows per statement: large enough that a round trip is amortized, small enough that a
/// batch is a few megabytes at most.
pub const BATCH: usize = 2000;

/// Where a pump puts rows, table by table.
pub trait Sink {
    fn table(&mut self, table: &'static Table) -> Result<(), SnapshotError>;
    fn rows(&mut self, table: &'static Table, rows: &[Row]) -> Result<(), SnapshotError>;
    fn end_table(&mut self, table: &'static Table, tally: &Tally) -> Result<(), SnapshotError>;
}

/// Verifying a file: rows are read and checked, and go nowhere.
pub struct Discard;

impl Sink for Discard {
    fn table(&mut self, _: &'static Table) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn rows(&mut self, _: &'static Table, _: &[Row]) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn end_table(&mut self, _: &'static Table, _: &Tally) -> Result<(), SnapshotError> {
        Ok(())
    }
}

/// Inserting into a database, inside the caller's transaction; paced where the source
/// is a file (a database source paces itself).
pub struct DatabaseSink<'a> {
    pub conn: &'a mut DbConnection,
    pub pace: Option<&'a mut Pace>,
}

impl Sink for DatabaseSink<'_> {
    fn table(&mut self, table: &'static Table) -> Result<(), SnapshotError> {
        if let Some(pace) = self.pace.as_deref() {
            pace.starting(table);
        }
        Ok(())
    }
    fn rows(&mut self, table: &'static Table, rows: &[Row]) -> Result<(), SnapshotError> {
        store::insert_rows(self.conn, table, rows)?;
        if let Some(pace) = self.pace.as_deref_mut() {
            pace.moved(rows.len());
        }
        Ok(())
    }
    fn end_table(&mut self, _: &'static Table, tally: &Tally) -> Result<(), SnapshotError> {
        if let Some(pace) = self.pace.as_deref() {
            pace.ended(tally);
        }
        Ok(())
    }
}

/// How a run moves: an optional cap on rows per second, so a save or a copy beside a busy
/// server takes its time rather than the server's; and whether it reports each table on
/// standard error as it starts and ends (an operator watching a long restore).
pub struct Pace {
    rows_per_second: Option<u32>,
    report: bool,
    started: Instant,
    rows: u64,
}

impl Pace {
    pub fn new(rows_per_second: Option<u32>) -> Self {
        Self {
            rows_per_second: rows_per_second.filter(|rate| *rate > 0),
            report: false,
            started: Instant::now(),
            rows: 0,
        }
    }

    pub fn reporting(mut self) -> Self {
        self.report = true;
        self
    }

    fn starting(&self, table: &Table) {
        if self.report {
            eprint!("{:>24} ... ", table.holds);
        }
    }

    fn ended(&self, tally: &Tally) {
        if self.report {
            eprintln!("{} rows", tally.rows);
        }
    }

    pub fn moved(&mut self, rows: usize) {
        self.rows += rows as u64;
        if let Some(rate) = self.rows_per_second {
            let due = Duration::from_secs_f64(self.rows as f64 / f64::from(rate));
            if let Some(early) = due.checked_sub(self.started.elapsed()) {
                std::thread::sleep(early);
            }
        }
    }

    /// Rows at a time that keep the pace smooth: no more than a tenth of a second's worth.
    pub fn batch(&self) -> usize {
        self.rows_per_second
            .map_or(BATCH, |rate| (rate as usize / 10).clamp(1, BATCH))
    }
}

/// Reads every table of the database (inside the caller's consistent read) into `sink`.
pub fn pump_database(
    conn: &mut DbConnection,
    sink: &mut dyn Sink,
    pace: &mut Pace,
) -> Result<Vec<(&'static Table, Tally)>, SnapshotError> {
    let mut tallies = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        pace.starting(table);
        sink.table(table)?;
        let mut tally = Tally::default();
        let mut last: Option<Row> = None;
        loop {
            let page = store::read_page(conn, table, last.as_ref(), pace.batch())?;
            page.iter().for_each(|row| tally.add(row));
            sink.rows(table, &page)?;
            pace.moved(page.len());
            if page.len() < pace.batch() {
                break;
            }
            last = page.into_iter().last();
        }
        sink.end_table(table, &tally)?;
        pace.ended(&tally);
        tallies.push((table, tally));
    }
    Ok(tallies)
}

/// Reads the target back, inside the write transaction, and compares every table's count
/// and digest with what was sent: a failure rolls the whole restore or copy back.
pub fn verify(
    conn: &mut DbConnection,
    expected: &[(&'static Table, Tally)],
) -> Result<(), SnapshotError> {
    let found = pump_database(conn, &mut Discard, &mut Pace::new(None))?;
    for ((table, expected), (_, found)) in expected.iter().zip(&found) {
        if expected != found {
            return Err(SnapshotError::Verification {
                table: table.name,
                expected_rows: expected.rows,
                expected_digest: expected.digest(),
                found_rows: found.rows,
                found_digest: found.digest(),
            });
        }
    }
    Ok(())
}

/// Readies the target inside the write transaction: the same tables as the snapshot's;
/// empty, or emptied if the operator said so.
pub fn prepare_target(conn: &mut DbConnection, replace: bool) -> Result<(), SnapshotError> {
    store::check_schema(conn)?;
    if replace {
        return store::delete_everything(conn);
    }
    if let Some(table) = store::first_table_with_data(conn)? {
        return Err(SnapshotError::TargetNotEmpty { table });
    }
    // Rows the migrations seeded come back from the snapshot.
    store::delete_everything(conn)
}
