//! What every live-registry route shares: bodies (JSON only, 5000 bytes), RSR's fault
//! shape, `X-Response-Id`, unknown routes, authentication.

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::helpers::reply::Reply;
use crate::helpers::*;

const TENANT: i64 = 2468;

on_both_backends!(bodies_are_json_only_and_faults_have_rsr_shape);

async fn bodies_are_json_only_and_faults_have_rsr_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let body = json!({"id": "typed", "heartbeat_timeout": 30}).to_string();
    let typed = |content_type: &'static str| {
        live.request(Method::POST, "/services")
            .header(header::CONTENT_TYPE, content_type)
            .body(body.clone())
    };
    let reply = Reply::from(typed("application/json; charset=utf-8")).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let reply = Reply::from(typed("text/plain")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.rsr_fault().1, "Unsupported content type: text/plain");

    let raw = |body: &'static str| live.request(Method::POST, "/services").body(body);
    let reply = Reply::from(raw("{\"id\": ")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply
        .rsr_fault()
        .1
        .starts_with("Failed to parse request body: "));
    for body in ["[1, 2]", "\"text\"", "{} {}", "\u{feff}{}"] {
        let reply = Reply::from(raw(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            reply
                .rsr_fault()
                .1
                .starts_with("Failed to parse request body"),
            "{body}"
        );
    }
    let reply = Reply::from(raw("")).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "an empty body is {{}}"
    );
    assert_eq!(
        reply.rsr_fault().1,
        "Validation error for key 'heartbeat_timeout'"
    );

    let padded = format!(
        "{{\"id\": \"big\", \"heartbeat_timeout\": 30, \"pad\": \"{}\"}}",
        "x".repeat(5000)
    );
    let reply = Reply::from(live.request(Method::POST, "/services").body(padded)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        reply.rsr_fault().0,
        "requestTooLargeError",
        "a JSON body, not a bare 413"
    );
    let fits = format!(
        "{{\"id\": \"fits\", \"heartbeat_timeout\": 30, \"pad\": \"{}\"}}",
        "x".repeat(4900)
    );
    let reply = Reply::from(live.request(Method::POST, "/services").body(fits)).await;
    assert_eq!(reply.status, StatusCode::CREATED);

    let reply = live.get("/nowhere").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let (kind, message, _) = reply.rsr_fault();
    assert_eq!(
        (kind.as_str(), message.as_str()),
        ("notFoundError", "The page cannot be found.")
    );
    let reply = live.send(Method::PATCH, "/services", None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    reply.rsr_fault();

    let anonymous = Reply::from(app.client.get(live.url("/services"))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let (kind, _, details) = anonymous.rsr_fault();
    assert_eq!(kind, "unauthorizedError");
    assert!(details.contains("X-Auth-Token"), "{details}");
    // Whatever the Accept header asks, the live registry answers JSON.
    let reply = Reply::from(
        live.request(Method::GET, "/services")
            .header(header::ACCEPT, "application/xml"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert!(reply.header("x-response-id").is_some());
}
