//! Resource limits per tenant, the rate limit, and `GET /limits`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::node::{cli, stdout};
use crate::helpers::*;
use service_registry::settings::Settings;

const TENANT: i64 = 777;

on_both_backends!(
    resource_limits_refuse_creation_past_them,
    the_rate_limit_refuses_with_headers_and_limits_show_usage,
    every_way_an_object_ends_gives_its_place_back,
    a_random_mix_keeps_the_usage_equal_to_the_rows,
    heartbeats_are_not_counted_against_the_rate_limit,
    rate_limits_are_set_per_tenant_and_apply_to_running_nodes,
);

async fn resource_limits_refuse_creation_past_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["resource"],
        json!({"service": 200, "configuration_value": 1000})
    );

    let output = cli(
        &app.database_url,
        &[
            "tenant",
            "limits",
            &TENANT.to_string(),
            "--services",
            "2",
            "--configuration-values",
            "1",
        ],
    );
    assert!(output.status.success());
    assert_eq!(
        stdout(&output),
        "services: 2\nconfiguration values: 1\nrequests: 50000 per 1day\n"
    );
    let output = cli(
        &app.database_url,
        &["tenant", "limits", "tenant-777", "--services", "2"],
    );
    assert_eq!(
        stdout(&output),
        "services: 2\nconfiguration values: 1\nrequests: 50000 per 1day\n",
        "the others kept"
    );

    live.created("one", 30).await;
    live.created("two", 30).await;
    let reply = live.create("three", 30).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.rsr_fault(),
        (
            "limitReached".into(),
            "Resource limit has been reached".into(),
            "Limit for resource service has been reached. Maximum allowed objects: 2".into()
        )
    );
    live.send(Method::DELETE, "/services/one", None).await;
    assert_eq!(live.create("three", 30).await.status, StatusCode::CREATED);
    // A service that times out frees its place too.
    live.send(Method::DELETE, "/services/two", None).await;
    live.created("brief", 3).await;
    assert_eq!(
        live.create("four", 30).await.status,
        StatusCode::BAD_REQUEST
    );
    eventually("the timed-out one's place", reaped_bound(3), || async {
        (live.create("four", 30).await.status == StatusCode::CREATED).then_some(())
    })
    .await;

    assert_eq!(
        live.set_value("first", "v").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value("first", "w").await.status,
        StatusCode::NO_CONTENT,
        "an update is no new value"
    );
    let reply = live.set_value("second", "v").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.rsr_fault().2,
        "Limit for resource configuration_value has been reached. Maximum allowed objects: 1"
    );
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["resource"],
        json!({"service": 2, "configuration_value": 1})
    );
    // Another tenant keeps the defaults.
    app.live_tenant(TENANT + 1);
    let other = app.live(TENANT + 1).get("/limits").await.json();
    assert_eq!(other["resource"]["service"], 200);
}

async fn the_rate_limit_refuses_with_headers_and_limits_show_usage(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.live.rate_limit = 5).await;
    app.live_tenant(TENANT);
    app.live_tenant(TENANT + 1);
    let live = app.live(TENANT);
    for _ in 0..3 {
        assert_eq!(live.get("/services").await.status, StatusCode::OK);
    }
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["rate"],
        json!({"/.*": {"limit": 5, "used": 4, "window": "24.0 hours"}}),
        "counted before answering, this request included"
    );
    assert_eq!(live.get("/services").await.status, StatusCode::OK);
    let reply = live.get("/services").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let (kind, message, _) = reply.rsr_fault();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("rateLimitReached", "Rate limit has been reached.")
    );
    assert_eq!(reply.header("x-ratelimit-limit"), Some("5"));
    assert_eq!(reply.header("x-ratelimit-remaining"), Some("0"));
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry));
    // Unauthenticated requests do not spend the tenant's allowance, nor see it.
    let stranger = app.live_as(TENANT, "HPAuth_nobody");
    assert_eq!(
        stranger.get("/services").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Other tenants are not affected.
    assert_eq!(
        app.live(TENANT + 1).get("/services").await.status,
        StatusCode::OK
    );
}

/// What the tenant holds, as `GET /limits` shows it, and as the rows count it.
async fn usage_and_rows(app: &TestApp, tenant: i64) -> ((i64, i64), (i64, i64)) {
    let limits = app.live(tenant).get("/limits").await.json();
    let shown = (
        limits["usage"]["service"].as_i64().unwrap(),
        limits["usage"]["configuration_value"].as_i64().unwrap(),
    );
    (shown, rows(app, tenant))
}

fn rows(app: &TestApp, tenant: i64) -> (i64, i64) {
    use diesel::sql_types::BigInt;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count = |table: &str| {
        app.database
            .with_connection(|conn| {
                diesel::sql_query(format!(
                    "SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = {tenant}"
                ))
                .get_result::<Count>(conn)
                .map_err(service_registry::platform::db::DbError::from)
            })
            .unwrap()
            .n
    };
    (count("live_services"), count("live_configuration"))
}

fn set_limits(app: &TestApp, tenant: i64, args: &[&str]) -> String {
    let tenant = tenant.to_string();
    let mut all = vec!["tenant", "limits", tenant.as_str()];
    all.extend_from_slice(args);
    stdout(&cli(&app.database_url, &all))
}

async fn every_way_an_object_ends_gives_its_place_back(backend: Backend) {
    // A reaper that never runs in this test: dead services stay until a create replaces
    // them, so that path is what frees (and retakes) the place. A registry whose reaper
    // runs hourly must not count the hour between two runs as its own outage.
    let app = TestApp::spawn_with(backend, |settings| {
        settings.live.reaper_interval = std::time::Duration::from_secs(3600);
        settings.live.outage_threshold = std::time::Duration::from_secs(7200);
    })
    .await;
    app.live_tenant(TENANT);
    set_limits(
        &app,
        TENANT,
        &["--services", "2", "--configuration-values", "2"],
    );
    let live = app.live(TENANT);
    let full = |reply: crate::helpers::reply::Reply, what: &str| {
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{what}: {}",
            reply.body
        );
        assert_eq!(reply.rsr_fault().0, "limitReached", "{what}");
    };

    // Configuration values: a DELETE frees its place; an overwrite takes none.
    assert_eq!(
        live.set_value("first", "1").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value("second", "2").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value("second", "3").await.status,
        StatusCode::NO_CONTENT
    );
    full(live.set_value("third", "3").await, "two values held");
    assert_eq!(usage_and_rows(&app, TENANT).await, ((0, 2), (0, 2)));
    let reply = live
        .send(Method::DELETE, "/configuration/first", None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(usage_and_rows(&app, TENANT).await, ((0, 1), (0, 1)));
    assert_eq!(
        live.set_value("third", "3").await.status,
        StatusCode::NO_CONTENT,
        "the deleted value's place is free again"
    );
    full(live.set_value("fourth", "4").await, "full again");
    assert_eq!(usage_and_rows(&app, TENANT).await, ((0, 2), (0, 2)));

    // Services: a DELETE frees its place.
    live.created("one", 30).await;
    live.created("two", 3).await;
    full(live.create("three", 30).await, "two services held");
    assert_eq!(
        live.send(Method::DELETE, "/services/one", None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(usage_and_rows(&app, TENANT).await, ((1, 2), (1, 2)));
    live.created("three", 30).await;
    // A dead service keeps its row (no reaper here) and its place, until a create of its
    // id times it out and takes the place over.
    eventually("two to time out", reaped_bound(3), || async {
        (live.get("/services/two").await.status == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    full(
        live.create("four", 30).await,
        "the dead one still holds its place",
    );
    assert_eq!(usage_and_rows(&app, TENANT).await, ((2, 2), (2, 2)));
    live.created("two", 30).await;
    assert_eq!(usage_and_rows(&app, TENANT).await, ((2, 2), (2, 2)));
    let types: Vec<_> = live
        .events("?type=service.timeout")
        .await
        .iter()
        .map(|event| event["payload"]["id"].clone())
        .collect();
    assert_eq!(types, [json!("two")], "the replaced holder timed out once");
}

/// The kept usage equals `COUNT(*)` of the rows after a random mix of every way objects
/// begin and end: creates, deletes, timeouts by the reaper, creates over dead holders,
/// values set, overwritten and deleted, refusals at the limits.
async fn a_random_mix_keeps_the_usage_equal_to_the_rows(backend: Backend) {
    use rand::{Rng, SeedableRng};
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    set_limits(
        &app,
        TENANT,
        &["--services", "6", "--configuration-values", "6"],
    );
    let live = app.live(TENANT);
    let seed = rand::random::<u64>();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    for step in 0..150 {
        let service = format!("svc-{}", rng.random_range(0..9));
        let value = format!("val-{}", rng.random_range(0..9));
        let reply = match rng.random_range(0..6) {
            0 => live.create(&service, 30).await,
            // Short-lived: the reaper times these out while the mix goes on.
            1 => live.create(&service, 3).await,
            2 => {
                live.send(Method::DELETE, &format!("/services/{service}"), None)
                    .await
            }
            3 => live.set_value(&value, &format!("{step}")).await,
            4 => live.set_value(&value, "same").await,
            _ => {
                live.send(Method::DELETE, &format!("/configuration/{value}"), None)
                    .await
            }
        };
        assert!(
            matches!(reply.status.as_u16(), 201 | 204 | 400 | 404),
            "seed {seed}, step {step}: {} {}",
            reply.status,
            reply.body
        );
        if step % 25 == 0 {
            let (shown, counted) = usage_and_rows(&app, TENANT).await;
            assert_eq!(shown.1, counted.1, "seed {seed}, step {step}: values");
        }
    }
    // Once every short-lived service is reaped, nothing moves: compare all of it.
    eventually(
        "every short-lived service reaped",
        reaped_bound(3),
        || async {
            let listed = live.get("/services?limit=100").await.json();
            let short_lived = listed["values"]
                .as_array()
                .unwrap()
                .iter()
                .any(|service| service["heartbeat_timeout"] == 3);
            let all_listed =
                listed["values"].as_array().unwrap().len() as i64 == rows(&app, TENANT).0;
            (!short_lived && all_listed).then_some(())
        },
    )
    .await;
    let (shown, counted) = usage_and_rows(&app, TENANT).await;
    assert_eq!(shown, counted, "seed {seed}");
    assert_eq!(
        live.all_ids("/services", 100).await.len() as i64,
        counted.0,
        "seed {seed}: every row left is a live service"
    );
}

async fn heartbeats_are_not_counted_against_the_rate_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.live.rate_limit = 4).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let mut token = live.created("beating", 30).await;
    for beat in 0..20 {
        let reply = live.heartbeat("beating", &token).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "heartbeat {beat}: {}",
            reply.body
        );
        token = reply.json()["token"].as_str().unwrap().to_owned();
    }
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["rate"]["/.*"]["used"], 2,
        "the create and this GET; no heartbeat"
    );
    assert_eq!(live.get("/services").await.status, StatusCode::OK);
    assert_eq!(live.get("/services").await.status, StatusCode::OK);
    let refused = live.get("/services").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.rsr_fault().0, "rateLimitReached");
    let reply = live.heartbeat("beating", &token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "a tenant out of requests keeps its services alive: {}",
        reply.body
    );
    // A refused heartbeat is answered as always, and not counted either.
    let reply = live.heartbeat("beating", &token).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.rsr_fault().0, "notFoundError");
}

async fn rate_limits_are_set_per_tenant_and_apply_to_running_nodes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    app.live_tenant(TENANT + 1);
    assert_eq!(
        set_limits(&app, TENANT, &["--requests", "3", "--window", "90s"]),
        "services: 200\nconfiguration values: 1000\nrequests: 3 per 1m 30s\n"
    );
    let live = app.live(TENANT);
    let limits = live.get("/limits").await.json();
    assert_eq!(
        limits["rate"],
        json!({"/.*": {"limit": 3, "used": 1, "window": "0.025 hours"}})
    );
    assert_eq!(live.get("/services").await.status, StatusCode::OK);
    assert_eq!(live.get("/services").await.status, StatusCode::OK);
    let refused = live.get("/services").await;
    assert_eq!(refused.rsr_fault().0, "rateLimitReached");
    assert_eq!(refused.header("x-ratelimit-limit"), Some("3"));
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=90).contains(&retry), "within the 90 s window: {retry}");
    let other = app.live(TENANT + 1).get("/limits").await.json();
    assert_eq!(
        other["rate"],
        json!({"/.*": {"limit": 50000, "used": 1, "window": "24.0 hours"}}),
        "other tenants keep the setting's default"
    );

    // Raised while the node runs: enforced within one sync of the counts (polled on a
    // route that does not read the limits itself), and shown by `GET /limits` at once.
    set_limits(&app, TENANT, &["--requests", "10"]);
    let bound =
        Settings::default().live.rate_sync_interval * 2 + std::time::Duration::from_millis(500);
    eventually("the new limit to apply", bound, || async {
        (live.get("/services").await.status == StatusCode::OK).then_some(())
    })
    .await;
    set_limits(&app, TENANT, &["--requests", "20"]);
    let limits = live.get("/limits").await.json();
    assert_eq!(limits["rate"]["/.*"]["limit"], 20, "shown at once");
    set_limits(&app, TENANT, &["--window", "1h"]);
    let limits = live.get("/limits").await.json();
    assert_eq!(
        (
            &limits["rate"]["/.*"]["limit"],
            &limits["rate"]["/.*"]["window"]
        ),
        (&json!(20), &json!("1.0 hours")),
        "a new window length, shown at once"
    );

    let output = cli(
        &app.database_url,
        &["tenant", "limits", &TENANT.to_string(), "--window", "10ms"],
    );
    assert!(
        !output.status.success(),
        "a window under a second is refused"
    );
}
