//! Resource limits per tenant, the rate limit, and `GET /limits`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::node::{cli, stdout};

const TENANT: i64 = 777;

on_both_backends!(
    resource_limits_refuse_creation_past_them,
    the_rate_limit_refuses_with_headers_and_limits_show_usage,
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
    assert_eq!(stdout(&output), "services: 2\nconfiguration values: 1\n");
    let output = cli(
        &app.database_url,
        &["tenant", "limits", "tenant-777", "--services", "2"],
    );
    assert_eq!(
        stdout(&output),
        "services: 2\nconfiguration values: 1\n",
        "the other kept"
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
    tokio::time::sleep(std::time::Duration::from_millis(3600)).await;
    assert_eq!(live.create("four", 30).await.status, StatusCode::CREATED);

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
