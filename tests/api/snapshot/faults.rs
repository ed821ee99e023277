//! A file that is cut short, altered, foreign, of another format or schema, or a target
//! that already holds data: a clear error naming what is wrong, a non-zero exit, and the
//! target exactly as it was.

use sha2::{Digest, Sha256};

use super::{many_services, rows_in};
use crate::helpers::node::{cli, stderr, stdout};
use crate::helpers::*;

on_both_backends!(multi_thread: bad_files_and_full_targets_are_refused_and_the_target_kept);

/// `text` with a new header and the checksum recomputed: a well-formed file.
fn resealed(text: &str, header: impl Fn(&str) -> String) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.pop();
    lines[0] = header(&lines[0]);
    let body: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let trailer: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let trailer = serde_json::json!({
        "tables": trailer["tables"], "rows": trailer["rows"],
        "sha256": hex::encode(Sha256::digest(body.as_bytes())),
    });
    format!("{body}{trailer}\n")
}

async fn bad_files_and_full_targets_are_refused_and_the_target_kept(backend: Backend) {
    let source = TestApp::spawn(backend).await;
    source.live_tenant(5);
    source.live(5).created("one", 60).await;
    many_services(&source.database_url, 1000, 50);
    let directory = tempfile::tempdir().unwrap();
    let good = directory.path().join("good.snapshot");
    stdout(&cli(
        &source.database_url,
        &["snapshot", "save", good.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(&good).unwrap();

    let target = TestDatabase::new(backend);
    stdout(&cli(&target.url, &["tenant", "create", "keep-me"]));
    let kept = || {
        (
            rows_in(&target.url, "tenants"),
            rows_in(&target.url, "principals"),
            rows_in(&target.url, "services"),
        )
    };
    let as_it_was = kept();
    assert_eq!(as_it_was, (1, 0, 0));

    let refused = stderr(&cli(
        &target.url,
        &["snapshot", "restore", good.to_str().unwrap()],
    ));
    assert!(
        refused.contains("already holds data (tenants is not empty)")
            && refused.contains("--replace-existing-data"),
        "{refused}"
    );
    assert_eq!(kept(), as_it_was);
    let itself = stderr(&cli(
        &target.url,
        &[
            "snapshot",
            "copy",
            "--to",
            &target.url,
            "--replace-existing-data",
        ],
    ));
    assert!(itself.contains("are the same database"), "{itself}");
    assert_eq!(kept(), as_it_was);

    let row = text
        .lines()
        .find(|line| line.starts_with("[1010,"))
        .unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "cut",
            text.as_bytes()[..text.len() / 2].to_vec(),
            "is truncated: it ends at line",
        ),
        (
            "no-trailer",
            text[..text.trim_end().rfind('\n').unwrap() + 1].into(),
            "is truncated",
        ),
        (
            "altered",
            text.replacen(row, &row.replace("svc 1010", "svc 1011"), 1)
                .into(),
            "is corrupted at line",
        ),
        (
            "resealed-row-dropped",
            resealed(&text.replacen(&format!("{row}\n"), "", 1), str::to_owned).into(),
            "is corrupted at line",
        ),
        (
            "empty",
            Vec::new(),
            "is not a service-registry snapshot (it is empty)",
        ),
        (
            "png",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "is not a service-registry snapshot",
        ),
        (
            "future",
            text.replacen("\"format\":1", "\"format\":2", 1).into(),
            "is snapshot format 2; this build reads format 1",
        ),
        (
            "other-schema",
            resealed(&text, |header| {
                header.replace("\"schema\":\"2", "\"schema\":\"1")
            })
            .into(),
            "was taken at schema version 1",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = directory.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_str().unwrap();
        let message = stderr(&cli(
            &target.url,
            &["snapshot", "restore", path, "--replace-existing-data"],
        ));
        assert!(message.contains(expected), "{name}: {message}");
        assert_eq!(kept(), as_it_was, "{name} changed the target");
        if name != "other-schema" {
            let verified = stderr(&cli(&target.url, &["snapshot", "verify", path]));
            assert!(verified.contains(expected), "verify {name}: {verified}");
        }
    }

    // The good file, when told in so many words: the target is the source now.
    let restored = stdout(&cli(
        &target.url,
        &[
            "snapshot",
            "restore",
            good.to_str().unwrap(),
            "--replace-existing-data",
        ],
    ));
    assert!(
        restored.contains("          50  registered services"),
        "{restored}"
    );
    assert_eq!(kept(), (1, 1, 50));
    assert_eq!(rows_in(&target.url, "live_services"), 1);

    // A column no snapshot knows (a migration that forgot src/snapshot/tables.rs): every
    // command refuses, rather than leave it behind.
    super::open(&target.url)
        .with_connection(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("ALTER TABLE tenants ADD COLUMN nickname TEXT")
                .execute(conn)
                .map_err(service_registry::platform::db::DbError::from)
        })
        .unwrap();
    let file = directory.path().join("drifted.snapshot");
    let drifted = stderr(&cli(
        &target.url,
        &["snapshot", "save", file.to_str().unwrap()],
    ));
    assert!(
        drifted.contains("the schema has changed without the snapshot's table list")
            && drifted.contains("nickname"),
        "{drifted}"
    );
    assert!(!file.exists());
}
