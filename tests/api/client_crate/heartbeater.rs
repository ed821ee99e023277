//! The HeartBeater, `register`, and the events stream's view of them.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use service_registry_client::{NewService, Stopped};

use super::{acme, alice};
use crate::helpers::*;
use service_registry::settings::Settings;

on_both_backends!(
    a_heartbeater_keeps_a_service_alive_until_stopped,
    a_heartbeater_stops_and_reports_when_its_service_is_deleted,
    register_waits_for_a_previous_instance_to_time_out,
);

async fn a_heartbeater_keeps_a_service_alive_until_stopped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let client = alice(&app);
    let (service, heartbeater) = client
        .services()
        .register("kept", 3, vec!["api".into()], Default::default())
        .await
        .unwrap();
    let running = heartbeater.start();
    let timeout = Duration::from_secs(3);
    // Three timeouts' worth: alive throughout.
    let until = Instant::now() + 3 * timeout;
    while Instant::now() < until {
        tokio::time::sleep(timeout / 2).await;
        assert!(
            client.services().get(&service.id).await.is_ok(),
            "still alive"
        );
    }
    assert!(running.is_running());
    assert!(matches!(running.stop().await, Stopped::Requested));
    // Gone within its timeout after the last heartbeat, plus a reaper pass and slack.
    let bound = timeout + Settings::default().live.reaper_interval + Duration::from_secs(1);
    eventually("the stopped service to time out", bound, || async {
        client.services().get("kept").await.is_err().then_some(())
    })
    .await;
    assert!(client
        .services()
        .get("kept")
        .await
        .unwrap_err()
        .is_not_found());

    // The stream: exactly the join, then the timeout.
    let mut events = Box::pin(client.events().follow(None));
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("the events arrive")
            .unwrap()
            .unwrap();
        seen.push((event.kind, event.payload["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(
        seen,
        [
            ("service.join".to_owned(), "kept".to_owned()),
            ("service.timeout".to_owned(), "kept".to_owned())
        ]
    );
    let more = tokio::time::timeout(Duration::from_millis(1500), events.next()).await;
    assert!(more.is_err(), "nothing else: {more:?}");
}

async fn a_heartbeater_stops_and_reports_when_its_service_is_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let client = alice(&app);
    let (_, heartbeater) = client
        .services()
        .register("doomed", 3, vec![], Default::default())
        .await
        .unwrap();
    let running = heartbeater.start();
    client.services().delete("doomed").await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), running.stopped())
        .await
        .expect("it stops on its own");
    match stopped {
        Stopped::Gone(error) => assert_eq!(error.status(), Some(404)),
        other => panic!("expected Gone, got {other:?}"),
    }
}

async fn register_waits_for_a_previous_instance_to_time_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    acme(&app);
    let client = alice(&app);
    // A previous instance that died without deleting itself.
    client
        .services()
        .create(&NewService {
            id: "phoenix".into(),
            heartbeat_timeout: 3,
            ..NewService::default()
        })
        .await
        .unwrap();
    let started = Instant::now();
    let (service, heartbeater) = client
        .services()
        .register("phoenix", 10, vec![], Default::default())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(service.heartbeat_timeout, 10);
    assert_eq!(
        client
            .services()
            .get("phoenix")
            .await
            .unwrap()
            .heartbeat_timeout,
        10
    );
    drop(heartbeater);
}
