//! `GET /limits`' `heartbeats`: every node's accepted heartbeats in the last complete minute,
//! against one heartbeat per timeout for each live service.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;
use service_registry::settings::Settings;

const TENANT: i64 = 4242;
/// The counts' buckets (docs/contract.md, "Limits").
const BUCKET: Duration = Duration::from_secs(10);

on_both_backends!(heartbeats_per_minute_are_every_nodes_against_what_the_fleet_needs);

async fn heartbeats_per_minute_are_every_nodes_against_what_the_fleet_needs(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = TestApp::another_node(&a, |_| {}).await;
    a.live_tenant(TENANT);
    a.live_tenant(TENANT + 1);
    let (on_a, on_b) = (a.live(TENANT), b.live(TENANT));
    // Timeouts none of them reaches while the test runs, but "steady", which heartbeats.
    let mut token = on_a.created("steady", 30).await;
    on_a.created("idle-1", 120).await;
    on_a.created("idle-2", 120).await;
    on_b.created("slow-1", 45).await;
    on_b.created("slow-2", 45).await;
    let heartbeats = |limits: Value| limits["heartbeats"].clone();
    let first = heartbeats(on_a.get("/limits").await.json());
    // 60/30 + 2 × 60/120 + 2 × 60/45 = 5.7 a minute, rounded up.
    assert_eq!(first["needed_per_minute"], 6, "{first}");
    assert_eq!(first["per_minute"], 0, "{first}");
    let window_end = first["window_end"].as_i64().unwrap();
    assert_eq!(window_end % 10_000, 0, "on a bucket boundary: {first}");

    // Nine accepted heartbeats, alternating nodes; refused ones do not count.
    for n in 0..9 {
        let node = if n % 2 == 0 { &on_a } else { &on_b };
        let reply = node.heartbeat("steady", &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let refused = node.heartbeat("steady", &token).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        token = reply.json()["token"].as_str().unwrap().to_owned();
    }
    // Counted once their bucket has ended and every node has synced twice since.
    let settings = Settings::default();
    let bound = BUCKET + settings.live.rate_sync_interval * 2 + Duration::from_secs(2);
    eventually("the 9 heartbeats to be counted", bound, || async {
        let shown = heartbeats(on_b.get("/limits").await.json());
        let counted = shown["per_minute"].as_i64().unwrap();
        assert!(counted <= 9, "more than were sent: {shown}");
        (counted == 9).then_some(())
    })
    .await;
    assert_eq!(
        heartbeats(on_a.get("/limits").await.json())["per_minute"],
        9
    );
    let other = heartbeats(a.live(TENANT + 1).get("/limits").await.json());
    assert_eq!(
        (&other["per_minute"], &other["needed_per_minute"]),
        (&Value::from(0), &Value::from(0)),
        "another tenant's fleet is its own"
    );

    // A removed service needs nothing: 2 + 1 + 60/45 = 4.3.
    assert_eq!(
        on_a.send(reqwest::Method::DELETE, "/services/slow-1", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    // Each node counts a tenant's needs at most once per sync interval.
    let bound = settings.live.rate_sync_interval + Duration::from_secs(1);
    for node in [&on_a, &on_b] {
        eventually("the removed service's need to go", bound, || async {
            let after = heartbeats(node.get("/limits").await.json());
            assert!(
                after["needed_per_minute"] == 5 || after["needed_per_minute"] == 6,
                "before or after: {after}"
            );
            (after["needed_per_minute"] == 5).then_some(())
        })
        .await;
    }
}
