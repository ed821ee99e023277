//! A JSON array is not an object. For each API's JSON bodies, every object of a valid body
//! (the whole body, and each object inside it) is replaced in turn by the array of its
//! values, the shape serde would otherwise read field by field. Each variant must get its
//! API's 400 and change nothing.

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::reply::Reply;
use crate::helpers::*;

const TENANT: i64 = 8642;

on_both_backends!(
    identity_apis_refuse_arrays_for_objects,
    the_live_registry_refuses_arrays_for_objects,
);

/// `body` with one of its objects (at any depth) replaced by the array of its values, for
/// each object it has.
fn arrays_for_objects(body: &Value) -> Vec<Value> {
    let mut variants = Vec::new();
    if let Value::Object(members) = body {
        variants.push(Value::Array(members.values().cloned().collect()));
        for (key, member) in members {
            for variant in arrays_for_objects(member) {
                let mut copy = members.clone();
                copy.insert(key.clone(), variant);
                variants.push(Value::Object(copy));
            }
        }
    }
    variants
}

#[test]
fn every_object_of_a_body_gets_its_array_variant() {
    let body = json!({"a": {"b": 1, "c": {"d": "x"}}, "e": [1]});
    assert_eq!(
        arrays_for_objects(&body),
        [
            json!([{"b": 1, "c": {"d": "x"}}, [1]]),
            json!({"a": [1, {"d": "x"}], "e": [1]}),
            json!({"a": {"b": 1, "c": ["x"]}, "e": [1]}),
        ]
    );
}

async fn send_json(app: &TestApp, method: Method, path: &str, body: &Value) -> Reply {
    Reply::from(
        app.request(method, path, Format::Json)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string()),
    )
    .await
}

/// Each variant of `valid`, and each of `positional` (arrays in the DTO's field order,
/// which the derived `Deserialize` would read field by field), answered 400 `badRequest`
/// in the identity family's shape.
async fn refused_by_identity(
    app: &TestApp,
    method: Method,
    path: &str,
    valid: &Value,
    positional: &[Value],
) {
    let mut variants = arrays_for_objects(valid);
    assert!(!variants.is_empty());
    variants.extend_from_slice(positional);
    for variant in variants {
        let reply = send_json(app, method.clone(), path, &variant).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{variant}: {}",
            reply.body
        );
        reply.assert_fault(400, "badRequest");
    }
}

async fn identity_apis_refuse_arrays_for_objects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.tenant("acme", 7);
    app.user("alice", "DU", &["acme"], None);
    let services = format!("{BASE}/services");

    // HP-IDM: register, update.
    let register = json!({"registerService": {
        "id": "5", "serviceName": "arr", "serviceType": "t", "description": "d"
    }});
    let in_field_order = json!({"registerService": ["5", "arr", "t", null, "d"]});
    refused_by_identity(&app, Method::POST, &services, &register, &[in_field_order]).await;
    assert_eq!(
        app.get_service("5", Format::Json).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send_json(&app, Method::POST, &services, &register)
            .await
            .status,
        StatusCode::CREATED,
        "the valid body itself is taken"
    );
    let update = json!({"registerService": {
        "id": "5", "serviceName": "renamed", "serviceType": "t", "releaseState": "public"
    }});
    let in_field_order = json!({"registerService": ["5", "renamed", "t", "public"]});
    refused_by_identity(
        &app,
        Method::PUT,
        &format!("{services}/5"),
        &update,
        &[in_field_order],
    )
    .await;
    assert_eq!(
        app.get_service("5", Format::Json).await.service().name,
        "arr"
    );

    // Tokens: every credential kind's object, and the envelope.
    for auth in [
        json!({"auth": {"passwordCredentials": {"username": "alice", "password": PASSWORD}}}),
        json!({"auth": {"tenantName": "acme", "token": {"id": app.token}}}),
    ] {
        refused_by_identity(&app, Method::POST, "/v2.0/tokens", &auth, &[]).await;
        let reply = send_json(&app, Method::POST, "/v2.0/tokens", &auth).await;
        assert_eq!(reply.status, StatusCode::OK, "{auth}: {}", reply.body);
    }

    // A key given twice is refused too, nested or not (JSON's own reading keeps the last).
    for (path, body) in [
        (
            "/v2.0/tokens".to_owned(),
            format!(r#"{{"auth": {{"passwordCredentials": {{"username": "alice", "username": "bob", "password": "{PASSWORD}"}}}}}}"#),
        ),
        (
            services.clone(),
            r#"{"registerService": {"id": "6", "serviceName": "a", "serviceName": "b", "serviceType": "t"}}"#.to_owned(),
        ),
    ] {
        let reply = Reply::from(
            app.request(Method::POST, &path, Format::Json)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
        )
        .await;
        reply.assert_fault(400, "badRequest");
        assert!(reply.fault().details.contains("duplicate key"), "{body}: {}", reply.body);
    }
    assert_eq!(
        app.get_service("6", Format::Json).await.status,
        StatusCode::NOT_FOUND
    );

    // Endpoint templates, with the nested version.
    let template: Value = serde_json::from_str(
        &TemplateBody::new(20, "arr", "t", "https://x/%tenant_id%")
            .version("1.1", "https://x/v1.1/", "https://x/")
            .encode(Format::Json),
    )
    .unwrap();
    refused_by_identity(&app, Method::POST, TEMPLATES, &template, &[]).await;
    let reply =
        Reply::from(app.request(Method::GET, &format!("{TEMPLATES}/20"), Format::Json)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(
        send_json(&app, Method::POST, TEMPLATES, &template)
            .await
            .status,
        StatusCode::CREATED
    );
    // A tenant's endpoint association: `{"endpointTemplate": {"id": N}}`.
    let associations = format!("{BASE}/tenants/7/endpoints");
    refused_by_identity(
        &app,
        Method::POST,
        &associations,
        &json!({"endpointTemplate": {"id": 20}}),
        &[],
    )
    .await;
    let listed = Reply::from(app.request(Method::GET, &associations, Format::Json)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(
        !listed.body.contains("\"20\""),
        "nothing associated: {}",
        listed.body
    );
}

async fn the_live_registry_refuses_arrays_for_objects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let refused = |reply: Reply, variant: &Value| {
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{variant}: {}",
            reply.body
        );
        assert_eq!(reply.rsr_fault().0, "badRequest", "{variant}");
    };

    let create =
        json!({"id": "svc", "heartbeat_timeout": 30, "tags": ["t"], "metadata": {"k": "v"}});
    let mut variants = arrays_for_objects(&create);
    // In the DTO's field order, as the derived `Deserialize` would read it.
    variants.push(json!(["svc", 30, ["t"], {"k": "v"}]));
    for variant in &variants {
        refused(live.create_with(variant).await, variant);
    }
    assert_eq!(
        live.get("/services/svc").await.status,
        StatusCode::NOT_FOUND
    );
    let reply = live.create_with(&create).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let token = reply.json()["token"].as_str().unwrap().to_owned();

    let update = json!({"heartbeat_timeout": 60, "metadata": {"k": "w"}});
    for variant in arrays_for_objects(&update) {
        refused(
            live.send(Method::PUT, "/services/svc", Some(&variant))
                .await,
            &variant,
        );
    }
    let service = live.get("/services/svc").await.json();
    assert_eq!(
        (
            service["heartbeat_timeout"].clone(),
            service["metadata"].clone()
        ),
        (json!(30), json!({"k": "v"}))
    );

    let heartbeat = json!({ "token": token });
    for variant in arrays_for_objects(&heartbeat) {
        refused(
            live.send(Method::POST, "/services/svc/heartbeat", Some(&variant))
                .await,
            &variant,
        );
    }
    assert_eq!(
        live.heartbeat("svc", &token).await.status,
        StatusCode::OK,
        "the refused heartbeats did not spend the token"
    );

    for variant in arrays_for_objects(&json!({"value": "v"})) {
        refused(
            live.send(Method::PUT, "/configuration/key", Some(&variant))
                .await,
            &variant,
        );
    }
    let twice = live
        .request(Method::PUT, "/configuration/key")
        .body(r#"{"value": "a", "value": "b"}"#);
    let reply = Reply::from(twice).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    let (kind, _, details) = reply.rsr_fault();
    assert_eq!(kind, "badRequest");
    assert!(details.contains("duplicate key `value`"), "{details}");
    assert_eq!(
        live.get("/configuration/key").await.status,
        StatusCode::NOT_FOUND
    );
    let events = live.events("").await;
    assert_eq!(
        events.len(),
        1,
        "only the valid create recorded anything: {events:?}"
    );
}
