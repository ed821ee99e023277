//! `service-registry snapshot save|restore|copy|verify`: backups, restores and moves
//! between backends, through [`crate::snapshot`].

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::platform::db::{Database, DatabaseUrl};
use crate::settings::Settings;
use crate::snapshot::{self, Pace, Summary};

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Write everything the database holds to FILE, from one consistent read, while
    /// servers keep serving and writing.
    Save {
        file: PathBuf,
        #[command(flatten)]
        pace: PaceArgs,
    },
    /// Restore FILE into the database (empty, or emptied with --replace-existing-data),
    /// in one transaction, after verifying the whole file.
    Restore {
        file: PathBuf,
        /// Delete everything the target holds first (in the same transaction).
        #[arg(long)]
        replace_existing_data: bool,
        #[command(flatten)]
        pace: PaceArgs,
    },
    /// Copy everything from the database to another (SQLite or PostgreSQL), in one
    /// transaction on the target, verified table by table before it commits.
    Copy {
        /// The target: an SQLite file or a postgres:// URL.
        #[arg(long)]
        to: String,
        /// Delete everything the target holds first (in the same transaction).
        #[arg(long)]
        replace_existing_data: bool,
        #[command(flatten)]
        pace: PaceArgs,
    },
    /// Read FILE through and check its format, every row and its checksum.
    Verify { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct PaceArgs {
    /// Move at most this many rows per second (default: as fast as the databases go).
    #[arg(long, value_name = "ROWS")]
    max_rows_per_second: Option<u32>,
}

impl PaceArgs {
    fn pace(&self) -> Pace {
        Pace::new(self.max_rows_per_second).reporting()
    }
}

pub fn run(
    database: impl FnOnce() -> anyhow::Result<Database>,
    settings: &Settings,
    command: SnapshotCommand,
) -> anyhow::Result<()> {
    match command {
        SnapshotCommand::Save { file, pace } => {
            let summary = snapshot::save(&database()?, &file, &mut pace.pace())?;
            print_summary(&format!("saved {}", file.display()), &summary);
        }
        SnapshotCommand::Restore {
            file,
            replace_existing_data,
            pace,
        } => {
            let database = database()?;
            let summary =
                snapshot::restore(&database, &file, replace_existing_data, &mut pace.pace())?;
            print_summary(
                &format!("restored {} into {}", file.display(), database.url()),
                &summary,
            );
        }
        SnapshotCommand::Copy {
            to,
            replace_existing_data,
            pace,
        } => {
            let source = database()?;
            let target = Database::open(DatabaseUrl::parse(&to)?, &settings.database)?;
            let summary =
                snapshot::copy(&source, &target, replace_existing_data, &mut pace.pace())?;
            print_summary(
                &format!("copied {} to {} (verified)", source.url(), target.url()),
                &summary,
            );
        }
        SnapshotCommand::Verify { file } => {
            let summary = snapshot::verify_file(&file)?;
            print_summary(&format!("verified {}", file.display()), &summary);
        }
    }
    Ok(())
}

fn print_summary(what: &str, summary: &Summary) {
    println!(
        "{what}: {} rows in {:.1?}, schema {}",
        summary.rows(),
        summary.elapsed,
        summary.schema
    );
    if let Some(sha256) = &summary.sha256 {
        println!("sha256 {sha256}");
    }
    for (table, tally) in &summary.tallies {
        println!("{:>12}  {}", tally.rows, table.holds);
    }
}
