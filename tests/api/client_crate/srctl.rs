//! `srctl`'s output for each command, table and JSON (run in-process through
//! `service_registry_client::cli::run`, exactly what the binary runs).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use service_registry_client::NewService;

use super::{acme, alice};
use crate::helpers::*;

/// Runs srctl as alice: (exit code, stdout, stderr).
async fn srctl(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let mut argv: Vec<String> = [
        "srctl",
        "--url",
        &app.address,
        "--username",
        "alice",
        "--password",
        PASSWORD,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(args.iter().map(|s| s.to_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = service_registry_client::cli::run(argv, &mut out, &mut err).await;
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

async fn ok(app: &TestApp, args: &[&str]) -> String {
    let (code, out, err) = srctl(app, args).await;
    assert_eq!(code, 0, "srctl {args:?}: {err}");
    out
}

on_both_backends!(srctl_prints_every_command);

async fn srctl_prints_every_command(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let client = alice(&app);
    for (id, timeout, tags) in [("svc-a", 30, vec!["api".to_owned()]), ("svc-b", 45, vec![])] {
        client
            .services()
            .create(&NewService {
                id: id.into(),
                heartbeat_timeout: timeout,
                tags,
                metadata: BTreeMap::from([("region".into(), "dfw".into())]),
            })
            .await
            .unwrap();
    }
    assert_eq!(
        ok(&app, &["services", "list"]).await,
        "ID     TIMEOUT  TAGS  LAST SEEN\nsvc-a  30       api   never\nsvc-b  45             never\n"
    );
    assert_eq!(
        ok(&app, &["services", "list", "--tag", "api"]).await,
        "ID     TIMEOUT  TAGS  LAST SEEN\nsvc-a  30       api   never\n"
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&app, &["services", "list", "--json"]).await).unwrap();
    assert_eq!(listed[1]["id"], "svc-b");
    assert_eq!(listed[1]["metadata"]["region"], "dfw");
    assert_eq!(
        ok(&app, &["services", "get", "svc-a"]).await,
        "FIELD              VALUE\nid                 svc-a\nheartbeat_timeout  30\ntags               api\nmetadata           region=dfw\nlast_seen          never\n"
    );

    assert_eq!(
        ok(
            &app,
            &["configuration", "set", "/prod/dbs/host", "10.0.0.1"]
        )
        .await,
        "/prod/dbs/host set\n"
    );
    assert_eq!(
        ok(
            &app,
            &["configuration", "set", "/prod/dbsx/host", "10.0.0.2"]
        )
        .await,
        "/prod/dbsx/host set\n"
    );
    assert_eq!(
        ok(&app, &["configuration", "get", "/prod/dbs/host"]).await,
        "10.0.0.1\n"
    );
    assert_eq!(
        ok(&app, &["configuration", "list"]).await,
        "ID               VALUE\n/prod/dbs/host   10.0.0.1\n/prod/dbsx/host  10.0.0.2\n"
    );
    assert_eq!(
        ok(&app, &["configuration", "list", "/prod/dbs/"]).await,
        "ID              VALUE\n/prod/dbs/host  10.0.0.1\n"
    );
    let value: serde_json::Value = serde_json::from_str(
        &ok(&app, &["configuration", "get", "/prod/dbs/host", "--json"]).await,
    )
    .unwrap();
    assert_eq!(
        value,
        serde_json::json!({"id": "/prod/dbs/host", "value": "10.0.0.1"})
    );
    assert_eq!(
        ok(&app, &["configuration", "remove", "/prod/dbsx/host"]).await,
        "/prod/dbsx/host removed\n"
    );

    let events = ok(&app, &["events", "list"]).await;
    let lines: Vec<&str> = events.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].ends_with("TYPE                        PAYLOAD"),
        "{events}"
    );
    let kinds: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "service.join",
            "service.join",
            "configuration_value.update",
            "configuration_value.update",
            "configuration_value.remove"
        ]
    );
    let events: serde_json::Value =
        serde_json::from_str(&ok(&app, &["events", "list", "--json"]).await).unwrap();
    assert_eq!(events.as_array().unwrap().len(), 5);

    let limits = ok(&app, &["account", "limits"]).await;
    let lines: Vec<&str> = limits.lines().collect();
    assert_eq!(lines[0], "LIMIT                        MAX    USED");
    let used = |line: &str| {
        line.split_whitespace()
            .last()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(
        lines[1].starts_with("services                     200    "),
        "{limits}"
    );
    assert!(
        lines[2].starts_with("configuration values         1000   "),
        "{limits}"
    );
    let read = alice(&app).limits().await.unwrap();
    let heartbeats = read
        .heartbeats
        .expect("the server sends its heartbeat rate");
    assert_eq!(
        heartbeats.needed_per_minute, 4,
        "svc-a (30 s) and svc-b (45 s) need 2 + 1.3 a minute"
    );
    let usage = read.usage.unwrap();
    assert_eq!(
        (used(lines[1]), used(lines[2])),
        (usage.service, usage.configuration_value),
        "{limits}"
    );
    assert!(
        lines[3].starts_with("requests /.* per 24.0 hours  50000  "),
        "{limits}"
    );
    let limits: serde_json::Value =
        serde_json::from_str(&ok(&app, &["account", "limits", "--json"]).await).unwrap();
    assert_eq!(limits["resource"]["service"], 200);
    assert_eq!(limits["heartbeats"]["needed_per_minute"], 4, "{limits}");

    let (code, out, err) = srctl(&app, &["services", "get", "nope"]).await;
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with("error: 404 notFoundError: object does not exist"),
        "{err}"
    );
}

/// A writer the test can read while `srctl events list --follow` keeps writing.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn srctl_follows_the_feed_with_credentials_from_the_environment() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    acme(&app);
    // Only this test sets SRCTL_*: no other test reads them.
    std::env::set_var("SRCTL_URL", &app.address);
    std::env::set_var("SRCTL_USERNAME", "alice");
    std::env::set_var("SRCTL_PASSWORD", PASSWORD);
    let out = Shared::default();
    let follower = {
        let mut out = out.clone();
        tokio::spawn(async move {
            let args = ["srctl", "events", "list", "--follow"]
                .map(String::from)
                .to_vec();
            service_registry_client::cli::run(args, &mut out, &mut std::io::sink()).await
        })
    };
    let client = alice(&app);
    for id in ["one", "two"] {
        client
            .services()
            .create(&NewService {
                id: id.into(),
                heartbeat_timeout: 30,
                ..NewService::default()
            })
            .await
            .unwrap();
    }
    // Without a marker the follower starts an hour back: it sees both, whenever it began.
    let text = eventually("two events followed", Duration::from_secs(10), || async {
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        (text.lines().count() >= 2).then_some(text)
    })
    .await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains(" service.join ") && lines[0].contains(r#""id":"one""#),
        "{text}"
    );
    assert!(
        lines[1].contains(" service.join ") && lines[1].contains(r#""id":"two""#),
        "{text}"
    );
    assert_eq!(lines.len(), 2, "{text}");
    follower.abort();
}
