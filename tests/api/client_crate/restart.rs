//! The client across a server restart: the events stream loses nothing and repeats
//! nothing, and a HeartBeater rides out an outage of twice its timeout with the token it
//! holds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{Stream, StreamExt};
use service_registry_client::{Client, Credentials, Event, NewService, Result, Stopped};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::node::{cli, Node};
use crate::helpers::*;

/// (Multi-threaded runtime: the proxy's tasks must run while the test blocks on starting
/// a server process.)
///
/// A TCP proxy on a fixed port, forwarding each connection to the current target: the
/// client keeps one URL while the server behind it restarts on another port.
async fn proxy(target: Arc<Mutex<String>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let to = target.lock().unwrap().clone();
            tokio::spawn(async move {
                match TcpStream::connect(&to).await {
                    Ok(mut outbound) => {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                    Err(error) => eprintln!("proxy: cannot reach {to}: {error}"),
                }
            });
        }
    });
    format!("http://{address}")
}

on_both_backends!(
    multi_thread: the_events_stream_survives_a_server_restart,
    a_heartbeater_rides_out_an_outage_of_twice_its_timeout,
);

/// A server on a fresh database with tenant 7, and a client of that tenant that reaches it
/// through [`proxy`], whose target a test moves to the server's successor.
struct Proxied {
    database: TestDatabase,
    logs: tempfile::TempDir,
    first: Node,
    target: Arc<Mutex<String>>,
    client: Client,
}

async fn proxied(backend: Backend) -> Proxied {
    let database = TestDatabase::new(backend);
    let logs = tempfile::tempdir().unwrap();
    let first = Node::start(&database.url, logs.path().join("first.log"));
    let token = first.bootstrap_token.clone().unwrap();
    assert!(
        cli(&database.url, &["tenant", "create", "acme", "--id", "7"])
            .status
            .success()
    );
    let target = Arc::new(Mutex::new(first.socket_address()));
    let url = proxy(Arc::clone(&target)).await;
    let client = Client::builder(&url)
        .credentials(Credentials::Token {
            token,
            tenant_id: "7".into(),
        })
        .build()
        .unwrap();
    Proxied {
        database,
        logs,
        first,
        target,
        client,
    }
}

/// The id of the next event's service; errors (the server down) are yielded, then the
/// stream resumes.
async fn next_event(stream: &mut (impl Stream<Item = Result<Event>> + Unpin)) -> String {
    loop {
        let item = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .expect("an event arrives")
            .expect("the stream goes on");
        if let Ok(event) = item {
            return event.payload["id"].as_str().unwrap().to_owned();
        }
    }
}

async fn the_events_stream_survives_a_server_restart(backend: Backend) {
    let Proxied {
        database,
        logs,
        first,
        target,
        client,
    } = proxied(backend).await;
    let create = |n: usize| {
        let client = client.clone();
        async move {
            client
                .services()
                .create(&NewService {
                    id: format!("svc-{n}"),
                    heartbeat_timeout: 60,
                    ..NewService::default()
                })
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    };
    create(0).await;
    let mut stream = Box::pin(client.events().follow(None));
    let mut seen: Vec<String> = Vec::new();
    seen.push(next_event(&mut stream).await);
    for n in 1..3 {
        create(n).await;
    }
    for _ in 1..3 {
        seen.push(next_event(&mut stream).await);
    }
    // Restart: the stream is mid long poll when the server goes away.
    drop(first);
    let second = Node::start(&database.url, logs.path().join("second.log"));
    *target.lock().unwrap() = second.socket_address();
    for n in 3..6 {
        create(n).await;
    }
    for _ in 3..6 {
        seen.push(next_event(&mut stream).await);
    }
    assert_eq!(seen, ["svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5"]);
    let more = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await;
    assert!(!matches!(more, Ok(Some(Ok(_)))), "nothing twice: {more:?}");
}

/// The server killed (kill -9) for twice the service's timeout, then started again: the
/// HeartBeater keeps its token through the connection errors, its next heartbeat is
/// accepted (no new registration), and the events stream goes on from its marker with no
/// timeout in between.
async fn a_heartbeater_rides_out_an_outage_of_twice_its_timeout(backend: Backend) {
    const TIMEOUT: u32 = 3;
    let timeout = Duration::from_secs(u64::from(TIMEOUT));
    let Proxied {
        database,
        logs,
        first,
        target,
        client,
    } = proxied(backend).await;
    let (_, heartbeater) = client
        .services()
        .register("rider", TIMEOUT, vec![], Default::default())
        .await
        .unwrap();
    let running = heartbeater.start();
    let mut stream = Box::pin(client.events().follow(None));
    assert_eq!(next_event(&mut stream).await, "rider");

    first.kill();
    tokio::time::sleep(2 * timeout).await;
    let back = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let second = Node::start(&database.url, logs.path().join("second.log"));
    *target.lock().unwrap() = second.socket_address();

    // A heartbeat after the return, with the token held through the outage: within one
    // timeout of it (the retries come at least three times per timeout), and slack.
    let bound = timeout + Duration::from_secs(3);
    eventually("a heartbeat after the return", bound, || async {
        let service = client.services().get("rider").await.ok()?;
        service
            .last_seen
            .is_some_and(|seen| seen >= back)
            .then_some(())
    })
    .await;
    assert!(running.is_running());
    // The stream resumes after the join: the next event is the next write, not a timeout.
    client
        .services()
        .create(&NewService {
            id: "after".into(),
            heartbeat_timeout: 60,
            ..NewService::default()
        })
        .await
        .unwrap();
    assert_eq!(next_event(&mut stream).await, "after");
    assert!(matches!(running.stop().await, Stopped::Requested));
    let timeouts = client
        .events()
        .list_page(None, Some("service.timeout"), None)
        .await
        .unwrap();
    assert!(timeouts.values.is_empty(), "{:?}", timeouts.values);
}
