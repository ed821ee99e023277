//! A trailing slash reads as absent on every route (Keystone-era clients append one),
//! except under the live registry's `/configuration/`, where it names a namespace. One
//! route of each family: HP-IDM services, tokens, endpoint templates, live services, live
//! configuration and events.

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::helpers::reply::Reply;
use crate::helpers::*;

const TENANT: i64 = 4321;

on_both_backends!(
    identity_routes_read_a_trailing_slash_as_absent,
    live_routes_read_a_trailing_slash_as_absent_but_under_configuration,
);

/// `GET path` and `GET path/` in `format`: the same status, body and `ETag`.
async fn same_with_a_slash(app: &TestApp, path: &str, format: Format) -> Reply {
    let slashed_path = match path.split_once('?') {
        Some((path, query)) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    let plain = Reply::from(app.request(Method::GET, path, format)).await;
    let slashed = Reply::from(app.request(Method::GET, &slashed_path, format)).await;
    assert_eq!(plain.status, StatusCode::OK, "{path}: {}", plain.body);
    assert_eq!(slashed.status, plain.status, "{slashed_path}");
    assert_eq!(slashed.body, plain.body, "{slashed_path}");
    assert!(plain.header("etag").is_some(), "{path}");
    assert_eq!(
        slashed.header("etag"),
        plain.header("etag"),
        "{slashed_path}"
    );
    assert_eq!(
        slashed.header("link"),
        plain.header("link"),
        "{slashed_path}"
    );
    plain
}

async fn identity_routes_read_a_trailing_slash_as_absent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], None);

    for (n, format) in FORMATS.into_iter().enumerate() {
        // HP-IDM services: POST, PUT and GET (one and a page) with a slash.
        let id = 300 + n;
        let body = ServiceBody::new(id, &format!("Slashed {n}")).state("public");
        let reply = app
            .send_body(
                Method::POST,
                &format!("{BASE}/services/"),
                format,
                body.encode(format),
                &app.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(
            reply.header("location"),
            Some(format!("{}{BASE}/services/{id}", app.address).as_str())
        );
        let reply = app
            .send_body(
                Method::PUT,
                &format!("{BASE}/services/{id}/"),
                format,
                body.describe("changed").encode(format),
                &app.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        same_with_a_slash(&app, &format!("{BASE}/services/{id}"), format).await;
        same_with_a_slash(&app, &format!("{BASE}/services?limit=1"), format).await;
        same_with_a_slash(&app, &format!("{BASE}/services"), format).await;

        // Endpoint templates.
        let template = TemplateBody::new(
            10 + n as u64,
            &format!("Slashed {n}"),
            "compute",
            "https://nova/v1.1/%tenant_id%",
        );
        let reply = app
            .send_body(
                Method::POST,
                &format!("{TEMPLATES}/"),
                format,
                template.encode(format),
                &app.token,
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        same_with_a_slash(&app, TEMPLATES, format).await;
        same_with_a_slash(&app, &format!("{TEMPLATES}/{}", 10 + n), format).await;

        // Tokens: Keystone-era clients post to /v2.0/tokens/.
        let credential = Credential::Password("alice", PASSWORD);
        let reply = Reply::from(
            app.client
                .post(format!("{}/v2.0/tokens/", app.address))
                .header(header::ACCEPT, format.media_type())
                .header(header::CONTENT_TYPE, format.media_type())
                .body(auth_body(&credential, &Scope::default(), format)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{format:?}: {}", reply.body);
    }

    // Still 404 and 405 where they were, and the root is not a route.
    let reply = Reply::from(app.request(Method::GET, "/v2.0/nothing/", Format::Json)).await;
    reply.assert_fault(404, "itemNotFound");
    let reply =
        Reply::from(app.request(Method::DELETE, &format!("{BASE}/services/"), Format::Json)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

async fn live_routes_read_a_trailing_slash_as_absent_but_under_configuration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);

    // Services: create, heartbeat, read and list with a slash.
    let reply = live
        .send(
            Method::POST,
            "/services/",
            Some(&json!({"id": "slashed", "heartbeat_timeout": 30})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let token = reply.json()["token"].as_str().unwrap().to_owned();
    let reply = live
        .send(
            Method::POST,
            "/services/slashed/heartbeat/",
            Some(&json!({ "token": token })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    live.created("other", 30).await;
    let v1 = format!("/v1.0/{TENANT}");
    for path in [
        format!("{v1}/services/slashed"),
        format!("{v1}/services"),
        format!("{v1}/services?limit=1"),
        format!("{v1}/events"),
        format!("{v1}/events?limit=1"),
    ] {
        same_with_a_slash(&app, &path, Format::Json).await;
    }

    // Configuration: the slash is the request's own.
    assert_eq!(
        live.set_value("/prod/", "an id that ends with a slash")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value("/prod/port", "80").await.status,
        StatusCode::NO_CONTENT
    );
    let listed = live.get("/configuration//prod/").await;
    assert_eq!(
        listed.json()["values"],
        json!([
            {"id": "/prod/", "value": "an id that ends with a slash"},
            {"id": "/prod/port", "value": "80"}
        ]),
        "GET with the slash lists the namespace"
    );
    assert_eq!(
        live.send(Method::DELETE, "/configuration//prod/", None)
            .await
            .status,
        StatusCode::NO_CONTENT,
        "DELETE with the slash removes the id that ends with it"
    );
    let reply = live.get("/configuration//prod/port/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json()["values"],
        json!([]),
        "a namespace, not the value"
    );
    assert_eq!(
        live.get("/configuration//prod/port").await.status,
        StatusCode::OK
    );
    let everything = live.get("/configuration/").await;
    assert_eq!(everything.status, StatusCode::OK, "{}", everything.body);
    assert_eq!(
        everything.json()["values"],
        live.get("/configuration").await.json()["values"]
    );
}
