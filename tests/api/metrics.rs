//! `GET /metrics` on the admin listener (`admin_bind`), in Prometheus text format: what
//! each family counts, after requests whose effects are known. The public listener does
//! not serve it.

use reqwest::StatusCode;

use crate::helpers::*;

async fn metrics_count_requests_caches_the_pool_and_the_live_registry(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let public = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        StatusCode::NOT_FOUND,
        "not on the public listener"
    );

    app.registered(&ServiceBody::new(7, "Nova")).await;
    for _ in 0..3 {
        assert_eq!(
            app.get_service("7", Format::Json).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.get_service("8", Format::Xml).await.status,
        StatusCode::NOT_FOUND
    );
    let stranger = app
        .request_as(
            reqwest::Method::GET,
            "/nowhere/42",
            Format::Json,
            "no such token",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);

    let text = app.scrape().await;
    let one = "/v2.0/HP-IDM/v1.0/services/{serviceId}";
    let requests = |route: &str, method: &str, status: &str| {
        sample(
            &text,
            "http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests(one, "GET", "200"), Some(3.0), "{text}");
    assert_eq!(requests(one, "GET", "404"), Some(1.0));
    assert_eq!(
        requests("/v2.0/HP-IDM/v1.0/services", "POST", "201"),
        Some(1.0)
    );
    // /metrics and /nowhere/42 on the public listener: ids never become labels.
    assert_eq!(requests("unmatched", "GET", "404"), Some(2.0));
    assert_eq!(
        sample(
            &text,
            "http_request_duration_seconds_count",
            &[("route", one), ("method", "GET")]
        ),
        Some(4.0)
    );
    let cache = |result| {
        sample(
            &text,
            "read_cache_lookups_total",
            &[("cache", "registry.services"), ("result", result)],
        )
        .unwrap_or(0.0)
    };
    // One miss per representation rendered (7 in JSON; 8 is not found, never cached).
    assert_eq!(cache("hit") + cache("miss") + cache("bypass"), 4.0);
    assert!(cache("hit") >= 1.0, "{text}");
    let auth =
        |result| sample(&text, "auth_cache_lookups_total", &[("result", result)]).unwrap_or(0.0);
    assert!(auth("miss") >= 1.0 && auth("hit") >= 1.0, "{text}");
    let pool_size = match backend {
        Backend::Sqlite => 8.0,
        Backend::Postgres => 16.0,
    };
    assert_eq!(
        sample(&text, "db_pool_max_connections", &[]),
        Some(pool_size)
    );
    assert!(sample(&text, "db_pool_connections", &[("state", "idle")]).is_some());
    assert!(sample(&text, "db_pool_connections", &[("state", "in_use")]).is_some());
    assert_eq!(sample(&text, "db_pool_waiting", &[]), Some(0.0));
    assert_eq!(
        sample(&text, "db_pool_checkout_timeouts_total", &[]),
        Some(0.0)
    );
    assert!(sample(&text, "db_calls_in_flight", &[]).is_some());

    // The live registry: heartbeats, a long poll, a timeout and its lag.
    let tenant = app.live_tenant(77);
    let live = app.live(tenant);
    let first = live.created("short", 3).await;
    let next = live.heartbeat("short", &first).await;
    assert_eq!(next.status, StatusCode::OK);
    assert_eq!(
        live.heartbeat("short", &first).await.status,
        StatusCode::NOT_FOUND
    );
    let last = live.events("").await.last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!("?marker={last}&wait=20");
    let poll = live.events(&query);
    let wake = async {
        app.until_sample("events_long_poll_waiters", &[], 1.0).await;
        live.created("waker", 60).await;
    };
    let (woken, ()) = tokio::join!(poll, wake);
    assert_eq!(woken.last().unwrap()["type"], "service.join");
    let text = app
        .until_sample("live_service_timeouts_total", &[], 1.0)
        .await;
    assert_eq!(sample(&text, "events_long_poll_waiters", &[]), Some(0.0));
    assert_eq!(
        sample(&text, "live_heartbeats_total", &[("outcome", "accepted")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "live_heartbeats_total", &[("outcome", "refused")]),
        Some(1.0)
    );
    // Neither an outage nor a refused heartbeat here; every call above went to the database.
    assert_eq!(sample(&text, "live_registry_outages_total", &[]), Some(0.0));
    assert_eq!(
        sample(&text, "live_heartbeat_reprieves_total", &[]),
        Some(0.0)
    );
    assert!(sample(&text, "db_calls_total", &[]).is_some_and(|calls| calls > 0.0));
    // Nothing is pending once every answer is in; the workers' lateness is never negative.
    assert!(sample(&text, "http_intake_lag_seconds", &[]).is_some_and(|lag| lag >= 0.0));
    assert_eq!(
        sample(&text, "events_appended_total", &[("type", "service.join")]),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            "events_appended_total",
            &[("type", "service.timeout")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "live_reaper_lag_seconds_count", &[]),
        Some(1.0)
    );
    let lag = sample(&text, "live_reaper_lag_seconds_sum", &[]).unwrap();
    assert!((0.0..2.0).contains(&lag), "lag {lag} s");
    assert!(
        sample(
            &text,
            "http_requests_total",
            &[
                ("route", "/v1.0/{tenant_id}/events"),
                ("method", "GET"),
                ("status", "200")
            ]
        )
        .is_some(),
        "{text}"
    );
}

async fn the_admin_listener_serves_only_metrics(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let admin = app.admin_address.clone().unwrap();
    for path in ["/", "/healthz", "/v2.0/HP-IDM/v1.0/services"] {
        let reply = app
            .client
            .get(format!("{admin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let post = app
        .client
        .post(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let unset = TestApp::spawn(backend).await;
    assert!(
        unset.admin_address.is_none(),
        "no admin listener unless admin_bind is set"
    );
}

/// The node's probes of its own intake are answered on their loopback listener, outside
/// the request metrics; the public listener knows no such path.
async fn the_intake_probes_are_answered_and_never_counted_as_requests(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.admin_bind = Some("127.0.0.1:0".into());
    })
    .await;
    let probes = |text: &str, outcome| {
        sample(text, "http_intake_probes_total", &[("outcome", outcome)]).unwrap_or(0.0)
    };
    let bound = 20 * service_registry::platform::probe::EVERY;
    eventually("probes answered", bound, || async {
        let text = app.scrape().await;
        (probes(&text, "answered") >= 3.0).then_some(())
    })
    .await;
    let public = app
        .client
        .get(format!("{}/_intake-probe", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    // The probes' listener serves them and nothing else: the API stays behind the
    // listeners (and the TLS) the settings name.
    for path in ["/_intake-probe", "/v2.0/HP-IDM/v1.0/services", "/healthz"] {
        let status = app
            .client
            .get(format!("{}{path}", app.probe_address))
            .header("X-Auth-Token", &app.token)
            .send()
            .await
            .unwrap()
            .status();
        let expected = match path {
            "/_intake-probe" => StatusCode::NO_CONTENT,
            _ => StatusCode::NOT_FOUND,
        };
        assert_eq!(status, expected, "{path}");
    }
    let text = app.scrape().await;
    assert_eq!(probes(&text, "failed") + probes(&text, "unanswered"), 0.0);
    let requests: f64 = text
        .lines()
        .filter(|line| line.starts_with("http_requests_total"))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert_eq!(requests, 1.0, "only the public request counts: {text}");
}

on_both_backends!(
    metrics_count_requests_caches_the_pool_and_the_live_registry,
    the_admin_listener_serves_only_metrics,
    the_intake_probes_are_answered_and_never_counted_as_requests,
);
