//! Configuration values: set, read, list, namespaces, removal, and their events.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const TENANT: i64 = 5150;

on_both_backends!(
    values_are_set_read_listed_and_removed_with_events,
    namespaces_list_what_is_inside_and_nothing_beside,
    a_namespace_lists_alike_with_or_without_its_leading_slash,
    ids_and_values_are_checked,
);

async fn values_are_set_read_listed_and_removed_with_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    let id = "/production/cassandra/listen_ip";
    let reply = live.set_value(id, "10.0.0.1").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);
    assert_eq!(
        reply.header("location"),
        Some(format!("{}/v1.0/{TENANT}/configuration/{id}", app.address).as_str()),
        "the double slash of a namespaced id, and the port"
    );
    let value = live.get(&format!("/configuration/{id}")).await;
    assert_eq!(value.json(), json!({"id": id, "value": "10.0.0.1"}));
    // Unchanged: nothing written, no event.
    assert_eq!(
        live.set_value(id, "10.0.0.1").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value(id, "10.0.0.2").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.set_value("plain_key", "x").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(live.all_ids("/configuration", 1).await, [id, "plain_key"]);
    let reply = live
        .send(Method::DELETE, &format!("/configuration/{id}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = live.get(&format!("/configuration/{id}")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.rsr_fault().2,
        format!(r#"Object "ConfigurationValue" with key "{id}" does not exist"#)
    );
    assert_eq!(
        live.send(Method::DELETE, &format!("/configuration/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let payloads: Vec<_> = live
        .events("")
        .await
        .iter()
        .map(|e| (e["type"].clone(), e["payload"].clone()))
        .collect();
    assert_eq!(
        payloads,
        [
            (
                json!("configuration_value.update"),
                json!({"configuration_value_id": id, "old_value": null, "new_value": "10.0.0.1"})
            ),
            (
                json!("configuration_value.update"),
                json!({"configuration_value_id": id, "old_value": "10.0.0.1", "new_value": "10.0.0.2"})
            ),
            (
                json!("configuration_value.update"),
                json!({"configuration_value_id": "plain_key", "old_value": null, "new_value": "x"})
            ),
            (
                json!("configuration_value.remove"),
                json!({"configuration_value_id": id, "old_value": "10.0.0.2"})
            ),
        ]
    );
}

async fn namespaces_list_what_is_inside_and_nothing_beside(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    for id in [
        "/production/cassandra/listen_ip",
        "/production/cassandra/seeds/first",
        "/production/cassandra2/listen_ip",
        "/production/cassandra",
        "/production/web/port",
        "/staging/cassandra/listen_ip",
    ] {
        assert_eq!(
            live.set_value(id, "v").await.status,
            StatusCode::NO_CONTENT,
            "{id}"
        );
    }
    assert_eq!(
        live.all_ids("/configuration//production/cassandra/", 1)
            .await,
        [
            "/production/cassandra/listen_ip",
            "/production/cassandra/seeds/first"
        ],
        "at any depth inside; not the sibling cassandra2, not the key cassandra"
    );
    assert_eq!(
        live.all_ids("/configuration//production/", 100).await.len(),
        5
    );
    assert_eq!(live.all_ids("/configuration", 100).await.len(), 6);
}

/// RSR's clients list `/rsr/python` as `configuration/rsr/python/` (one slash after
/// `configuration`, none before the namespace): the same values, pages and markers as
/// `configuration//rsr/python/`. Without the trailing slash the path is one value's id.
async fn a_namespace_lists_alike_with_or_without_its_leading_slash(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    for id in [
        "/rsr/python/a_key",
        "/rsr/python/deeper/b_key",
        "/rsr/python/zzz",
        "/rsr/pythonic/c_key",
        "/rsr/top_key",
    ] {
        assert_eq!(live.set_value(id, "v").await.status, StatusCode::NO_CONTENT);
    }
    let inside = [
        "/rsr/python/a_key",
        "/rsr/python/deeper/b_key",
        "/rsr/python/zzz",
    ];
    for path in ["/configuration//rsr/python/", "/configuration/rsr/python/"] {
        assert_eq!(live.all_ids(path, 1).await, inside, "{path}, one a page");
        assert_eq!(live.all_ids(path, 100).await, inside, "{path}");
        let page = live
            .get(&format!("{path}?limit=1&marker=/rsr/python/deeper/b_key"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let document = page.json();
        assert_eq!(document["values"][0]["id"], "/rsr/python/deeper/b_key");
        assert_eq!(document["metadata"]["next_marker"], "/rsr/python/zzz");
    }
    let one = live.get("/configuration/rsr/python/").await.json();
    let other = live.get("/configuration//rsr/python/").await.json();
    assert_eq!(one["values"], other["values"]);
    assert_eq!(
        live.all_ids("/configuration/rsr/", 100).await.len(),
        5,
        "a one-segment namespace"
    );

    let single = live.get("/configuration/rsr/python").await;
    assert_eq!(single.status, StatusCode::BAD_REQUEST, "{}", single.body);
    assert_eq!(
        single.rsr_fault().1,
        "Invalid value for 'configurationId' query string parameter",
        "without the trailing slash it names one value, and no id has a slash but at its start"
    );
    let single = live.get("/configuration//rsr/python/zzz").await;
    assert_eq!(
        single.json(),
        json!({"id": "/rsr/python/zzz", "value": "v"})
    );
}

async fn ids_and_values_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.live_tenant(TENANT);
    let live = app.live(TENANT);
    for id in ["ab", "has%20space", "/ab/key"] {
        let reply = live.set_value(id, "v").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(
            reply.rsr_fault().1,
            "Invalid value for 'configurationId' query string parameter"
        );
    }
    for body in [
        json!({}),
        json!({"value": ""}),
        json!({"value": "v".repeat(1025)}),
        json!({"value": 5}),
    ] {
        let reply = live
            .send(Method::PUT, "/configuration/key", Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.rsr_fault().1, "Validation error for key 'value'");
    }
    let reply = live.set_value("key", &"é".repeat(1024)).await;
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "1024 characters, not bytes"
    );
}
