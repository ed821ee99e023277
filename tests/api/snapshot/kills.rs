//! kill -9 in the middle of a save, a restore or a copy: no file that looks complete, and
//! a target exactly as it was. Each command is paced (`--max-rows-per-second`) so that it
//! spends seconds inside the table where it is killed.

use std::time::Duration;

use super::{leftovers, many_services, open, rows_in, Running};
use crate::helpers::node::{cli, stderr, stdout};
use crate::helpers::*;

on_both_backends!(multi_thread: killed_mid_way_a_save_leaves_no_file_and_a_restore_or_copy_no_trace);

const SERVICES: i64 = 3000;
const PACE: &str = "1000";
/// Where each command is killed: it has begun the table of registered services, which
/// takes it SERVICES / PACE = 3 s at its pace.
const STEP: &str = "registered services ...";

/// Starting the binary, opening the databases and the small tables before it.
fn bound() -> Duration {
    Duration::from_secs(60)
}

async fn killed_mid_way_a_save_leaves_no_file_and_a_restore_or_copy_no_trace(backend: Backend) {
    let source = TestDatabase::new(backend);
    drop(open(&source.url));
    many_services(&source.url, 1, SERVICES);
    let directory = tempfile::tempdir().unwrap();

    let file = directory.path().join("killed.snapshot");
    let path = file.to_str().unwrap().to_owned();
    Running::start(&source.url, &["save", &path, "--max-rows-per-second", PACE])
        .kill_when(STEP, bound());
    assert!(!file.exists(), "a killed save left {path}");
    for leftover in leftovers(directory.path()) {
        let verified = stderr(&cli(
            &source.url,
            &["snapshot", "verify", leftover.to_str().unwrap()],
        ));
        assert!(
            verified.contains("is truncated") || verified.contains("(it is empty)"),
            "{verified}"
        );
        std::fs::remove_file(leftover).unwrap();
    }

    let good = directory.path().join("good.snapshot");
    let good = good.to_str().unwrap();
    stdout(&cli(&source.url, &["snapshot", "save", good]));
    let target = TestDatabase::new(backend);
    stdout(&cli(&target.url, &["tenant", "create", "keep-me"]));
    let untouched = || {
        assert_eq!(rows_in(&target.url, "services"), 0);
        assert_eq!(rows_in(&target.url, "tenants"), 1, "keep-me, and only it");
        assert_eq!(rows_in(&target.url, "principals"), 0);
    };

    let replace = "--replace-existing-data";
    Running::start(
        &target.url,
        &["restore", good, replace, "--max-rows-per-second", PACE],
    )
    .kill_when(STEP, bound());
    untouched();
    Running::start(
        &source.url,
        &[
            "copy",
            "--to",
            &target.url,
            replace,
            "--max-rows-per-second",
            PACE,
        ],
    )
    .kill_when(STEP, bound());
    untouched();

    // Nothing was left locked or half-written: the same commands, left to finish, do.
    stdout(&cli(&target.url, &["snapshot", "restore", good, replace]));
    assert_eq!(rows_in(&target.url, "services"), SERVICES);
    stdout(&cli(
        &source.url,
        &["snapshot", "copy", "--to", &target.url, replace],
    ));
    assert_eq!(rows_in(&target.url, "tenants"), 0);
}
